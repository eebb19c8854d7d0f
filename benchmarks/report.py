"""One line per benchmark result, with its target, so ``make bench`` output reads as a checklist."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    name: str
    value: float
    unit: str
    target: float | None = None
    """Upper bound the value must stay under (``None``: reported for information only)."""
    skipped_because: str = ""
    at_least: bool = False
    """``target`` is a lower bound the value must reach (a rate) instead of an upper bound."""
    """Set when the figure could not be measured here (e.g. no PostgreSQL): neither met nor
    missed, and the line says why, so a fresh clone's ``make bench`` stays honest and green."""

    @classmethod
    def not_measured(cls, name: str, why: str) -> Result:
        return cls(name, float("nan"), "", None, skipped_because=why)

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.value >= self.target if self.at_least else self.value <= self.target

    def line(self) -> str:
        if self.skipped_because:
            return f"{'skip':6} {self.name}: not measured ({self.skipped_because})"
        verdict = {None: "info", True: "MET", False: "MISSED"}[self.met]
        bound = ">=" if self.at_least else "<="
        target = "" if self.target is None else f"  (target {bound} {self.target:g} {self.unit})"
        return f"{verdict:6} {self.name}: {self.value:.4g} {self.unit}{target}"


def median_ms(call: Callable[[], object], *, warmup: int, repeats: int) -> float:
    """Median wall time of ``call`` in ms over ``repeats`` calls after ``warmup`` untimed ones.

    The median, not the best, carries a target: it is what a user sees on a busy machine too.
    """
    timings = []
    for i in range(warmup + repeats):
        start = time.perf_counter()
        call()
        if i >= warmup:
            timings.append(time.perf_counter() - start)
    return statistics.median(timings) * 1e3
