"""One line per benchmark result, with its target, so ``make bench`` output reads as a checklist."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Result:
    name: str
    value: float
    unit: str
    target: float | None = None
    """Upper bound the value must stay under (``None``: reported for information only)."""
    skipped_because: str = ""
    """Set when the figure could not be measured here (e.g. no PostgreSQL): neither met nor
    missed, and the line says why, so a fresh clone's ``make bench`` stays honest and green."""
    at_least: bool = False
    """``target`` is a lower bound the value must reach (a rate) instead of an upper bound."""
    open_in: str = ""
    """The open issue whose acceptance sets ``target`` and does not reach it yet (``"#18"``).
    Such a figure is printed ``OPEN`` when it misses, with the issue, and does not fail
    ``make bench``: the exit status guards what has been reached, and an open goal is not a
    regression. When it is met it prints ``MET`` like any other; the day its issue closes, the
    mark goes and a miss fails the run again."""
    attempts: tuple[float, ...] = ()
    """This figure's value in each attempt of its module, when it was measured more than once
    (``confirmed``): printed, so a figure met only on a later attempt says so."""

    @classmethod
    def not_measured(cls, name: str, why: str) -> Result:
        return cls(name, float("nan"), "", None, skipped_because=why)

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.value >= self.target if self.at_least else self.value <= self.target

    @property
    def fails_the_run(self) -> bool:
        """A missed target that is not an open issue's goal (``open_in``)."""
        return self.met is False and not self.open_in

    def line(self) -> str:
        if self.skipped_because:
            return f"{'skip':6} {self.name}: not measured ({self.skipped_because})"
        verdict = {None: "info", True: "MET", False: "MISSED"}[self.met]
        if self.met is False and self.open_in:
            verdict = "OPEN"
        bound = ">=" if self.at_least else "<="
        target = "" if self.target is None else f"  (target {bound} {self.target:g} {self.unit}"
        if target:
            target += (
                f"; not reached yet, open in issue {self.open_in})" if verdict == "OPEN" else ")"
            )
        attempts = ""
        if self.attempts:
            values = ", ".join(f"{value:.4g}" for value in self.attempts)
            attempts = f"  [the best of {len(self.attempts)} attempts: {values} {self.unit}]"
        return f"{verdict:6} {self.name}: {self.value:.4g} {self.unit}{target}{attempts}"

    def better_of(self, again: Result) -> Result:
        """This figure or ``again`` (the same figure, measured again), whichever is nearer its
        target, with every attempt's value. A figure without a target keeps its first value."""
        attempts = (*(self.attempts or (self.value,)), again.value)
        if self.target is None:
            return self
        closer = again.value > self.value if self.at_least else again.value < self.value
        return replace(again if closer else self, attempts=attempts)


ATTEMPTS = 3
"""Attempts of a module whose figures miss: a target missed in every attempt fails the run."""


def confirmed(measure: Callable[[], list[Result]], *, say: Callable[[str], None]) -> list[Result]:
    """``measure()``'s figures; while one misses a target (``fails_the_run``), the module is
    measured again, up to ``ATTEMPTS`` times, and each figure keeps its best attempt.

    Why: the machine is shared and its speed swings by half from one minute to the next (the same
    code measured 0.16 and 0.30 s a minute apart), so a single miss does not tell a regression
    from a slow minute. A regression misses in every attempt and still fails the run; a figure met
    on a later attempt prints the earlier values beside it, so nothing is hidden. Figures are
    matched by position (a module measures the same figures in the same order each time); if the
    list changes shape, the later attempt is taken whole.
    """
    results = measure()
    for attempt in range(2, ATTEMPTS + 1):
        missed = [result.name for result in results if result.fails_the_run]
        if not missed:
            break
        say(
            f"       {len(missed)} figure(s) missed on attempt {attempt - 1} of {ATTEMPTS}; "
            "measuring the module again: " + "; ".join(name[:60] for name in missed)
        )
        again = measure()
        if len(again) != len(results):
            results = again
            continue
        results = [before.better_of(after) for before, after in zip(results, again, strict=True)]
    return results


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
