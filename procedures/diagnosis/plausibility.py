"""Plausibility before energy: can the pack on the fixture be the spec it was registered as?

A pack reading 7.17 V registered as a 1S pack is not a 1S pack: charging it to the 1S spec's
4.2 V would be the wrong charge, and every later judgement would be against the wrong limits.
Before any output goes on, the voltage check compares the terminal voltage with the highest a
pack of the declared spec can show: every series cell at its over-charge detect level plus
its tolerance plus ``CELL_MARGIN`` (the margin the board fixture also never exceeds; a board
whose charge FET failed short lets cells creep past the detect level, not by volts). Above
it, the pack has more cells in series, or another chemistry, than the spec declares.

Low readings prove nothing (a deeply discharged 4S pack reads like a healthy 2S one), so only
the high side is judged.

Outcome, decided: the run **fails** (verdict FAIL, exit 1) with the measurement
``pack_voltage_plausibility`` above its limit, no energised step runs, and the conclusion is
``pack_spec_mismatch`` with the fix (identify the unit, register it with the right model,
run again). Not an *error*: no instrument or software failed, the reading is sound. Not
*aborted*: nobody interrupted anything. What the unit was registered as is wrong, or the unit
is; both are a finding about this unit as received that QA must see, and no disposition is
proposed until it is diagnosed against its real spec.
"""

from __future__ import annotations

from instruments.units import Q_, Quantity
from procedures.context import RunView, StepContext
from procedures.measurements import Measurement
from procedures.phrases import say
from procedures.records import Conclusion, Verdict
from procedures.specs import PackSpec

NAME = "pack_voltage_plausibility"
STEP = "voltage_check"
CELL_MARGIN = Q_(0.25, "V")
"""Per cell above the over-charge detect tolerance (as ``board_tests.CELL_CEILING``)."""
ROOT_CAUSE = "pack_spec_mismatch"


def plausible_ceiling(spec: PackSpec) -> Quantity:
    """The highest terminal voltage a pack of ``spec`` can show (per cell x series)."""
    p = spec.protection
    ceiling: Quantity = (
        p.overcharge_detect + p.overcharge_detect_tolerance + CELL_MARGIN
    ) * spec.product.series
    return ceiling


def plausibility_limit(spec: PackSpec) -> Measurement:
    """The plausibility measurement for ``spec``: the step's declared limit factory."""
    per_cell = spec.protection.overcharge_detect + spec.protection.overcharge_detect_tolerance
    return Measurement(
        NAME,
        "V",
        high=plausible_ceiling(spec),
        description=(
            f"highest P+/P- reading; a {spec.product.series}S {spec.product.chemistry} pack "
            f"({spec.model}) cannot exceed {spec.product.series} x ({per_cell:~P} + "
            f"{CELL_MARGIN:~P})"
        ),
    )


def judge(ctx: StepContext, voltage: Quantity) -> bool:
    """Record the plausibility of ``voltage`` for the declared spec; True when it fits."""
    return ctx.measure(plausibility_limit(ctx.spec), voltage).verdict is not Verdict.FAIL


def matches_spec(view: RunView) -> bool:
    """``run_if`` of every energised step: False once the pack proved not to be its spec."""
    return not (view.has(NAME) and view.measurement(NAME).verdict is Verdict.FAIL)


def mismatch_conclusions(view: RunView) -> list[Conclusion] | None:
    """The conclusions of a run stopped by a mismatch (``None`` when the pack fitted)."""
    if matches_spec(view):
        return None
    record = view.measurement(NAME)
    evidence = (f"{STEP}/{NAME}", f"{STEP}/voltage_as_received")
    explanation = say("finding.mismatch", reading=record.comparison)

    return [
        Conclusion("root_cause", ROOT_CAUSE, explanation, evidence),
        Conclusion(
            "advice",
            say("advice.identify_unit"),
            say("conclusion.stopped_early"),
            evidence,
        ),
    ]
