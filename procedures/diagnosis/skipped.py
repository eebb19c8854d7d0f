"""Measurements the station could not take, recorded as such instead of left out.

A missing record reads as "nobody looked"; a *skipped* record says the test was due and why it
was not done (no instrument channel, no µA range, a source too small, an earlier result that made
it unsafe or meaningless), so QA sees the gap in the report and the verdict is not blamed on the
pack. Skipped never passes and never fails: a test that was not performed has no outcome.

Two kinds of gap (docs/verdicts.md):

* *required*: a protection test whose function no other record of the run shows. The step then
  ends ``INCOMPLETE`` (unless something in it failed), and so does the run: nobody may sign
  "pass" over missing evidence.
* *optional*: an item another record already covers (the board's short on a station that
  cannot drive one, after the closed pack's short passed), or one that is informational (a
  delay the station cannot time, after the cut itself was seen). Recorded and reported, nothing
  more.

The reason goes into the customer's report, so it is made fit for that here, at the source:
no VISA resource strings, host names, addresses or ports (``procedures.redaction``, the one
list of what an address looks like), and no driver advice meant for the bench engineer
(``customer_text``).
"""

from __future__ import annotations

import re

from instruments.roles import Instrument
from procedures.context import StepContext
from procedures.measurements import CategoricalMeasurement
from procedures.phrases import say
from procedures.records import MeasurementRecord, Verdict
from procedures.redaction import redact_addresses

NOT_MEASURED = "not_measured"

_ENGINEER_TAIL = re.compile(r"[;.]?\s*nothing was sent\b.*$", re.IGNORECASE | re.DOTALL)


def customer_text(text: str) -> str:
    """``text`` without resource strings, hosts, ports or the driver's fix for the engineer.

    ``"TCPIP::127.0.0.1::5025::SOCKET: OCP level 28.8 A is outside the E36312A channel 1 rating
    (0 .. 5 A); nothing was sent. Fix: ..."`` becomes ``"OCP level 28.8 A is outside the E36312A
    channel 1 rating (0 .. 5 A)"``.
    """
    text = _ENGINEER_TAIL.sub("", text)
    text = redact_addresses(text, "")
    text = re.sub(r"^\s*[:;,]\s*", "", text)  # a prefix "<resource>: " leaves a bare colon
    text = re.sub(r"\(\s*[:;,]?\s*", "(", text)
    text = re.sub(r"\s{2,}", " ", text)
    return text.strip()


class NotMeasured(CategoricalMeasurement):
    """A categorical record whose verdict is SKIPPED and whose comparison carries the reason."""

    __slots__ = ("reason", "required")

    def __init__(self, name: str, reason: str, *, required: bool = False) -> None:
        reason = customer_text(reason)
        super().__init__(name, (NOT_MEASURED,), description=reason)
        self.reason = reason
        self.required = required

    def judge(self, text: str) -> tuple[Verdict, str]:
        super().judge(text)
        key = "skip.required" if self.required else "skip.not_measured"
        return Verdict.SKIPPED, say(key, reason=self.reason)


def record_not_measured(
    ctx: StepContext,
    name: str,
    reason: str,
    *,
    required: bool = False,
    instrument: Instrument | None = None,
) -> MeasurementRecord:
    """Record ``name`` as skipped with ``reason`` (which names the fix).

    ``required``: the run lacks evidence it needs (the step ends incomplete unless it failed).
    """
    measurement = NotMeasured(name, reason, required=required)
    record = ctx.measure(measurement, NOT_MEASURED, instrument=instrument)
    if required:
        ctx.missing_evidence(name, measurement.reason)
    return record


def covered_by(ctx: StepContext, *names: str) -> str | None:
    """The reference of the first of ``names`` judged in this run (not skipped), or ``None``.

    Lets a step say "the closed pack's short test already shows this protection" when the bare
    board's version cannot be done, instead of declaring the evidence missing.
    """
    for name in names:
        if ctx.has(name) and ctx.measurement(name).verdict is not Verdict.SKIPPED:
            return ctx.ref(name)
    return None
