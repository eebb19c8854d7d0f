"""One line per benchmark result, with its target, so ``make bench`` output reads as a checklist."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    name: str
    value: float
    unit: str
    target: float | None = None
    """Upper bound the value must stay under (``None``: reported for information only)."""

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.value <= self.target

    def line(self) -> str:
        verdict = {None: "info", True: "MET", False: "MISSED"}[self.met]
        target = "" if self.target is None else f"  (target <= {self.target:g} {self.unit})"
        return f"{verdict:6} {self.name}: {self.value:.4g} {self.unit}{target}"
