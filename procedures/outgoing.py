"""Outgoing inspection of reworked or replacement goods: release or hold, from the verdicts.

The complaint procedure lets reworked and replacement packs leave only "like a normal shipment",
with an outgoing inspection report (出货检验报告). This procedure is that inspection: the pack's
open-circuit voltage with the multimeter and its 1 kHz resistance with the resistance meter, both
against the spec's ``[outgoing]`` limits (stricter than the ``[pack]`` limits a returned pack is
judged by), and the appearance checklist of ``procedures.appearance`` answered by the operator.

Nothing here switches an output on: no source, load or temperature channel is used, so the
inspection runs on any station with a multimeter and a resistance meter. The decision is a
function of the recorded verdicts alone (``decide``): every step and every measurement passed
means *release*; anything else (a failed or marginal reading, a minor scratch, a skipped or
broken step) means *hold*, since goods may not ship on an inspection that is not clean. The
report (``results.reports.outgoing``) derives its sentence through the same function.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence

from instruments.errors import MeasurementFault, OverloadError
from instruments.roles import SampleRate
from instruments.units import Q_
from procedures.appearance import CHECKLIST, visual_check
from procedures.context import RunView, StepContext
from procedures.declared import Declared
from procedures.engine import Procedure, Step
from procedures.measurements import CategoricalMeasurement, Measurement
from procedures.records import Conclusion, Verdict
from procedures.specs import OutgoingLimits, PackSpec

NAME = "outgoing_inspection"
VERSION = "1.0"
DECISION_KIND = "outgoing_decision"
"""The conclusion kind that carries the decision (value: a ``Decision``)."""

OCV = "pack_ocv"
PATH = "pack_path"
RESISTANCE = "pack_ac_resistance"
STEP_OCV = "outgoing_ocv"
STEP_RESISTANCE = "outgoing_resistance"
STEP_APPEARANCE = "outgoing_appearance"
PATH_STATES = ("closed", "open")


class Decision(enum.StrEnum):
    RELEASE = "release"
    HOLD = "hold"


def decide(steps: Iterable[Verdict], measurements: Iterable[Verdict]) -> Decision:
    """Release only when at least one step ran and every step and every measurement passed.

    Shared by the procedure's conclusion and the report, so the two cannot disagree: the report
    recomputes it from the stored verdicts rather than trusting a stored word.
    """
    step_verdicts = list(steps)
    clean = bool(step_verdicts) and all(v is Verdict.PASS for v in step_verdicts)
    if clean and all(v is Verdict.PASS for v in measurements):
        return Decision.RELEASE
    return Decision.HOLD


class MissingOutgoingLimits(LookupError):
    """The spec has no ``[outgoing]`` section: nothing to judge the pack against."""


def limits_of(spec: PackSpec) -> OutgoingLimits:
    if spec.outgoing is None:
        raise MissingOutgoingLimits(
            f"spec {spec.model!r} ({spec.source.name}) has no [outgoing] section; add "
            'voltage_min, voltage_max and ac_resistance_max (e.g. "3.50 V", "4.00 V", '
            '"110 mohm") to judge an outgoing pack'
        )
    return spec.outgoing


def ocv_limit(spec: PackSpec) -> Measurement:
    """The pack voltage at P+/P- against the outgoing storage-charge window (declared factory)."""
    out = limits_of(spec)
    return Measurement(
        OCV,
        "V",
        low=out.voltage_min,
        high=out.voltage_max,
        description="P+/P- open-circuit voltage against the outgoing window",
    )


def resistance_limit(spec: PackSpec) -> Measurement:
    """The closed pack's 1 kHz resistance against the outgoing maximum (declared factory)."""
    return Measurement(
        RESISTANCE,
        "mohm",
        high=limits_of(spec).ac_resistance_max,
        description="P+/P- AC resistance (1 kHz) against the outgoing maximum",
    )


_PATH = CategoricalMeasurement(
    PATH, PATH_STATES, ("closed",), description="the resistance meter sees a closed P+/P- path"
)


def _skip_without_limits(ctx: StepContext) -> None:
    """A spec without ``[outgoing]``: the step is skipped with the fix, so the pack is held."""
    try:
        limits_of(ctx.spec)
    except MissingOutgoingLimits as exc:
        ctx.skip(str(exc))


def outgoing_ocv(ctx: StepContext) -> None:
    """Multimeter at P+/P-: the storage charge the pack ships with."""
    _skip_without_limits(ctx)
    dmm = ctx.instruments.multimeter
    dmm.configure_dc_voltage(Q_(10.0 * ctx.spec.product.series, "V"), nplc=1)
    ctx.measure(ocv_limit(ctx.spec), dmm.dc_voltage(), instrument=dmm)


def outgoing_resistance(ctx: StepContext) -> None:
    """Resistance meter at P+/P-: cells, board and leads together, as a new pack measures."""
    _skip_without_limits(ctx)
    spec = ctx.spec
    limit = limits_of(spec).ac_resistance_max
    meter = ctx.instruments.resistance_meter
    meter.configure(limit * 2, spec.charge.voltage * 1.2, SampleRate.MEDIUM)
    try:
        reading = meter.read()
    except (OverloadError, MeasurementFault):
        ctx.measure(_PATH, "open", instrument=meter)
        return
    ctx.measure(_PATH, "closed", instrument=meter)
    ctx.measure(resistance_limit(spec), reading.resistance, instrument=meter)


def outgoing_appearance(ctx: StepContext) -> None:
    """The appearance checklist (``procedures.appearance``), answered by the operator."""
    visual_check(ctx)


OCV_MEASURES = (
    Declared(OCV, "V", required=True, limits=ocv_limit, description="P+/P- open-circuit voltage"),
)
RESISTANCE_MEASURES = (
    Declared(PATH, required=True, description="closed P+/P- path"),
    Declared(RESISTANCE, "mohm", limits=resistance_limit, description="absent when open"),
)
APPEARANCE_MEASURES = tuple(
    Declared(item.name, required=True, description=item.question) for item in CHECKLIST
)


def _refs(view: RunView, names: Sequence[str]) -> tuple[str, ...]:
    return tuple(view.ref(n) for n in names if view.has(n))


def judge(view: RunView) -> list[Conclusion]:
    """The decision and the readings it rests on: the ones that hold the pack, else all."""
    names = [OCV, PATH, RESISTANCE, *(item.name for item in CHECKLIST)]
    taken = [n for n in names if view.has(n)]
    records = {n: view.measurement(n) for n in taken}
    decision = decide((s.verdict for s in view.steps), (records[n].verdict for n in taken))
    if decision is Decision.RELEASE:
        text = f"released: all {len(taken)} outgoing checks passed their limits"
        return [Conclusion(DECISION_KIND, decision, text, _refs(view, taken))]
    bad = [n for n in taken if records[n].verdict is not Verdict.PASS]
    unfinished = [s.name for s in view.steps if s.verdict is not Verdict.PASS]
    parts = [f"{n} {records[n].verdict.name.lower()} ({records[n].comparison})" for n in bad]
    parts += [f"step {name} not passed" for name in unfinished if not bad]
    text = "held: " + ("; ".join(parts) or "no check was completed")
    # a hold for a step that did not finish cites what was measured (a conclusion cites rows)
    return [Conclusion(DECISION_KIND, decision, text, _refs(view, bad or taken))]


def outgoing_procedure() -> Procedure:
    """The procedure; needs a pack spec with ``[outgoing]``, a multimeter and a resistance meter."""
    return Procedure(
        NAME,
        VERSION,
        [
            Step(
                STEP_OCV,
                outgoing_ocv,
                measures=OCV_MEASURES,
                description=outgoing_ocv.__doc__ or "",
            ),
            Step(
                STEP_RESISTANCE,
                outgoing_resistance,
                measures=RESISTANCE_MEASURES,
                description=outgoing_resistance.__doc__ or "",
            ),
            Step(
                STEP_APPEARANCE,
                outgoing_appearance,
                measures=APPEARANCE_MEASURES,
                description=outgoing_appearance.__doc__ or "",
            ),
        ],
        conclude=judge,
        description=__doc__ or "",
    )


__all__ = [
    "DECISION_KIND",
    "NAME",
    "Decision",
    "MissingOutgoingLimits",
    "decide",
    "judge",
    "limits_of",
    "outgoing_procedure",
]
