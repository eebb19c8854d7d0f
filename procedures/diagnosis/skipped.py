"""Measurements the station could not take, recorded as such instead of left out.

A missing record reads as "nobody looked"; a *skipped* record says the test was due and why the
station could not do it (no instrument channel, no µA range, a source too small), so QA sees the
gap in the report and the verdict is not blamed on the pack (skipped counts for nothing).
"""

from __future__ import annotations

from instruments.roles import Instrument
from procedures.context import StepContext
from procedures.measurements import CategoricalMeasurement
from procedures.records import MeasurementRecord, Verdict

NOT_MEASURED = "not_measured"


class NotMeasured(CategoricalMeasurement):
    """A categorical record whose verdict is SKIPPED and whose comparison carries the reason."""

    __slots__ = ("reason",)

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(name, (NOT_MEASURED,), description=reason)
        self.reason = reason

    def judge(self, text: str) -> tuple[Verdict, str]:
        super().judge(text)
        return Verdict.SKIPPED, f"not measured: {self.reason}"


def record_not_measured(
    ctx: StepContext, name: str, reason: str, *, instrument: Instrument | None = None
) -> MeasurementRecord:
    """Record ``name`` as skipped with ``reason`` (which names the fix)."""
    return ctx.measure(NotMeasured(name, reason), NOT_MEASURED, instrument=instrument)
