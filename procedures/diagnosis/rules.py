"""The rules: from a finished run's records to root cause, symptom, disposition and advice.

Pure functions over a ``RunView`` (the latest record of each measurement), so they are tested on
synthetic records without a bench. Every rule is tried, and every finding the evidence supports
is kept, ranked by how decisive its evidence is (``RULES``): the first is the primary root cause,
the others are ``contributing`` conclusions, and the disposition follows from all of them (two
faults at once are common in returns: a flat pack whose cells are also worn). A finding that is
only a consequence of a higher-ranked one is left out (``EXPLAINS``). "No fault found" is what
remains when nothing is found and nothing failed. Every conclusion cites the
``step/measurement`` records it rests on; the cause category is a proposal for QA to confirm.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from procedures.context import RunView
from procedures.diagnosis.plausibility import mismatch_conclusions
from procedures.diagnosis.vocabulary import (
    BoardOutput,
    CauseCategory,
    CellName,
    CellReading,
    ChargeEnd,
    ConclusionKind,
    Conduction,
    Cut,
    Disposition,
    Measured,
    OvercurrentResult,
    RootCause,
    Symptom,
    UsageAnswer,
    VoltageCategory,
    WakeResponse,
)
from procedures.phrases import say
from procedures.records import MISSING_HEAD, Conclusion, Verdict

MeasurementName = Measured | CellName
"""What a rule may read: a declared measurement or a per-cell one (never a bare string)."""


@dataclass(frozen=True)
class Outcome:
    """What a root cause means for the complaint (manual's symptom and cause lists)."""

    symptom: Symptom
    disposition: Disposition
    cause_category: CauseCategory
    advice: str


OUTCOMES: dict[RootCause, Outcome] = {
    RootCause.CUSTOMER_MISJUDGEMENT: Outcome(
        Symptom.CANNOT_POWER_ON,
        Disposition.NO_FAULT_FOUND,
        CauseCategory.CUSTOMER_MISJUDGEMENT,
        # no claim that the pack "meets its specification": whether it does is what the
        # run's verdicts say (nothing_found words it from them), not a constant of the advice
        say("advice.customer_misjudgement"),
    ),
    RootCause.DEVICE_OVERCURRENT: Outcome(
        Symptom.SHUTS_OFF_AFTER_POWER_ON,
        Disposition.NO_FAULT_FOUND,
        CauseCategory.CUSTOMER_STORAGE_OR_HANDLING,
        say("advice.device_overcurrent"),
    ),
    RootCause.OVER_DISCHARGE_IN_STORAGE: Outcome(
        Symptom.CANNOT_POWER_ON,
        Disposition.RECHARGE_AND_RETURN,
        CauseCategory.CUSTOMER_STORAGE_OR_HANDLING,
        say("advice.over_discharge_in_storage"),
    ),
    RootCause.PROTECTION_LATCHED: Outcome(
        Symptom.CANNOT_POWER_ON,
        Disposition.RECHARGE_AND_RETURN,
        CauseCategory.FAILURE_AFTER_USE,
        say("advice.protection_latched"),
    ),
    RootCause.CELL_DEEPLY_DISCHARGED: Outcome(
        Symptom.CANNOT_POWER_ON,
        Disposition.SCRAP,
        CauseCategory.CUSTOMER_STORAGE_OR_HANDLING,
        say("advice.cell_deeply_discharged"),
    ),
    RootCause.CELL_INTERNAL_SHORT: Outcome(
        Symptom.NO_VOLTAGE_OR_HIGH_RESISTANCE,
        Disposition.SCRAP,
        CauseCategory.MANUFACTURING,
        say("advice.cell_internal_short"),
    ),
    RootCause.CELL_AGED_HIGH_RESISTANCE: Outcome(
        Symptom.SHUTS_OFF_AFTER_POWER_ON,
        Disposition.REPLACE_CELLS,
        CauseCategory.FAILURE_AFTER_USE,
        say("advice.cell_aged_high_resistance"),
    ),
    RootCause.CELL_IMBALANCE: Outcome(
        Symptom.SHUTS_OFF_AFTER_POWER_ON,
        Disposition.REPLACE_CELLS,
        CauseCategory.MANUFACTURING,
        say("advice.cell_imbalance"),
    ),
    RootCause.CELL_HIGH_SELF_DISCHARGE: Outcome(
        Symptom.CANNOT_POWER_ON,
        Disposition.REPLACE_CELLS,
        CauseCategory.MANUFACTURING,
        say("advice.cell_high_self_discharge"),
    ),
    RootCause.FUSE_OPEN: Outcome(
        Symptom.CANNOT_POWER_ON,
        Disposition.REPAIR_BOARD,
        CauseCategory.FAILURE_AFTER_USE,
        say("advice.fuse_open"),
    ),
    RootCause.DISCHARGE_MOSFET_OPEN: Outcome(
        Symptom.CANNOT_POWER_ON,
        Disposition.REPLACE_BOARD,
        CauseCategory.MANUFACTURING,
        say("advice.no_action"),
    ),
    RootCause.CHARGE_MOSFET_OPEN: Outcome(
        Symptom.NO_CHARGE_DISCHARGE,
        Disposition.REPLACE_BOARD,
        CauseCategory.MANUFACTURING,
        say("advice.no_action"),
    ),
    RootCause.CHARGE_MOSFET_SHORTED: Outcome(
        Symptom.OTHER,
        Disposition.REPLACE_BOARD,
        CauseCategory.MANUFACTURING,
        say("advice.charge_mosfet_shorted"),
    ),
    RootCause.DISCHARGE_MOSFET_SHORTED: Outcome(
        Symptom.SHORT_CIRCUIT_FIRE,
        Disposition.REPLACE_BOARD,
        CauseCategory.MANUFACTURING,
        say("advice.discharge_mosfet_shorted"),
    ),
    RootCause.OVERCURRENT_PROTECTION_FAILED: Outcome(
        Symptom.SHORT_CIRCUIT_FIRE,
        Disposition.REPLACE_BOARD,
        CauseCategory.MANUFACTURING,
        say("advice.overcurrent_protection_failed"),
    ),
    RootCause.CELL_HEATS_UNDER_CHARGE: Outcome(
        Symptom.SHORT_CIRCUIT_FIRE,
        Disposition.SCRAP,
        CauseCategory.MANUFACTURING,
        say("advice.cell_heats_under_charge"),
    ),
    RootCause.CELL_SWOLLEN: Outcome(
        Symptom.DIMENSIONS,
        Disposition.SCRAP,
        CauseCategory.FAILURE_AFTER_USE,
        say("advice.cell_swollen"),
    ),
    RootCause.CELL_LITHIUM_PLATING: Outcome(
        Symptom.SHUTS_OFF_AFTER_POWER_ON,
        Disposition.REPLACE_CELLS,
        CauseCategory.CUSTOMER_STORAGE_OR_HANDLING,
        say("advice.cell_lithium_plating"),
    ),
    RootCause.UNDETERMINED: Outcome(
        Symptom.OTHER,
        Disposition.SCRAP,
        CauseCategory.FAILURE_AFTER_USE,
        say("advice.undetermined"),
    ),
}


@dataclass(frozen=True)
class Finding:
    root_cause: RootCause
    explanation: str
    evidence: tuple[str, ...]


class Facts:
    """Typed, forgiving access to the run: a measurement the run did not take reads as ``None``.

    Forgiving about what the run measured, never about names: every method takes a ``Measured``
    member (or a ``CellReading`` record name), so a misspelled name fails mypy, and every member
    is checked to be declared by a step (``tests/procedures/test_declared_diagnosis.py``).
    """

    def __init__(self, view: RunView) -> None:
        self.view = view

    def text(self, name: MeasurementName) -> str | None:
        return self.view.measurement(name).text_value if self.view.has(name) else None

    def value(self, name: MeasurementName) -> float | None:
        return self.view.measurement(name).value if self.view.has(name) else None

    def failed(self, name: MeasurementName) -> bool:
        return self.view.has(name) and self.view.measurement(name).verdict is Verdict.FAIL

    def worse_than_pass(self, name: MeasurementName) -> bool:
        if not self.view.has(name):
            return False
        return self.view.measurement(name).verdict in (Verdict.MARGINAL, Verdict.FAIL)

    def refs(self, *names: MeasurementName) -> tuple[str, ...]:
        return tuple(self.view.ref(n) for n in names if self.view.has(n))

    def cells(self, reading: CellReading) -> list[CellName]:
        product = self.view.spec.product  # every cell, parallel ones too (disassembly)
        return [reading.of(i + 1) for i in range(product.series * product.parallel)]


Rule = Callable[[Facts], Finding | None]


def with_consequences(finding: Finding, f: Facts, because: str, *names: MeasurementName) -> Finding:
    """``finding`` also citing the failed records among ``names`` that it explains.

    A fault fails more than its own signature (an open fuse also leaves the closed pack
    without output); those failures are cited by the finding that explains them, with the
    reason, so no failed measurement of the run stands unexplained beside the conclusions.
    """
    failed = [name for name in names if f.failed(name)]
    if not failed:
        return finding
    return Finding(
        finding.root_cause,
        say(
            "finding.consequences",
            explanation=finding.explanation,
            failed=", ".join(failed),
            because=because,
        ),
        tuple(dict.fromkeys((*finding.evidence, *f.refs(*failed)))),
    )


OVER_TEMPERATURE = (
    Measured.CHARGE_TEMPERATURE,
    Measured.PACK_TEST_TEMPERATURE,
    Measured.BOARD_TEST_TEMPERATURE,
)
"""The over-temperature watches (``temperature_watch``); a fail stopped the run there."""


def overheated(f: Facts) -> Finding | None:
    """The pack's probe crossed the over-temperature limit while the bench energised it.

    Decisive before everything else: the run stopped there, and a pack that heats by itself
    is a hazard whatever else is wrong with it. A pack that arrived flat was drained by the same
    internal short that now turns the charge into heat; one that arrived charged dissipates
    inside only once charge flows.
    """
    hot = [name for name in OVER_TEMPERATURE if f.failed(name)]
    if not hot:
        return None
    if f.text(Measured.VOLTAGE_CATEGORY) == VoltageCategory.ZERO:
        return Finding(
            RootCause.CELL_INTERNAL_SHORT,
            say("finding.overheated_flat"),
            f.refs(Measured.VOLTAGE_RESTED, Measured.VOLTAGE_CATEGORY, *hot),
        )
    return Finding(
        RootCause.CELL_HEATS_UNDER_CHARGE,
        say("finding.overheated_charged"),
        f.refs(Measured.VOLTAGE_RESTED, Measured.VOLTAGE_CATEGORY, *hot),
    )


def swollen_cells(f: Facts) -> list[CellName]:
    """The cells the operator found swollen on the opened pack (their ``cell<n>_swelling``)."""
    if not f.failed(Measured.CELL_SWELLING):
        return []
    return [c for c in f.cells(CellReading.SWELLING) if f.failed(c)]


def cell_swollen(f: Facts) -> Finding | None:
    """The operator saw a bulge on the opened pack: a swollen cell, scrapped as a hazard.

    The bulge is the decisive evidence (gas inside a cell: it may vent or burn, whatever it
    reads), so it outranks everything but a pack that heated on the bench. The electrical
    evidence is tied to the cells the operator pointed at: their 1 kHz resistance and voltage
    (a swollen cell reads worn: its electrolyte is decomposing), and the probe's peak under
    charge (it sheds its heat badly) when the pack was charged at all: one that bulged already
    when it arrived (``pack_swelling``) was neither charged nor loaded, which the finding says.
    A resistance past its limits on a swollen cell is cited here, not as a worn cell of its own
    (``cells_worn`` leaves swollen cells out); without any raised reading the finding says so,
    and still stands on the bulge.
    """
    if not f.failed(Measured.CELL_SWELLING):
        return None
    swollen = swollen_cells(f)
    numbers = [_cell_number(c) for c in swollen]
    resistances = [CellReading.RESISTANCE.of(n) for n in numbers]
    raised = [r for r in resistances if f.worse_than_pass(r)]
    cited: list[MeasurementName] = [Measured.CELL_SWELLING, *swollen, *resistances]
    cited += [CellReading.VOLTAGE.of(n) for n in numbers]
    if raised:
        detail = "; ".join(f"{r} {f.view.measurement(r).comparison}" for r in raised)
        explanation = say("finding.swollen", cells=", ".join(swollen), readings=detail)
    else:
        which = ", ".join(swollen) if swollen else Measured.CELL_SWELLING
        explanation = say("finding.swollen_within_limits", cells=which)
    if f.view.has(Measured.CHARGE_TEMPERATURE) and f.value(Measured.CHARGE_TEMPERATURE):
        explanation = say(
            "finding.swollen_temperature",
            explanation=explanation,
            temperature=f.view.measurement(Measured.CHARGE_TEMPERATURE).comparison,
        )
        cited.append(Measured.CHARGE_TEMPERATURE)
    if f.failed(Measured.PACK_SWELLING):
        explanation = say("finding.swollen_not_energised", explanation=explanation)
        cited.insert(0, Measured.PACK_SWELLING)
    return Finding(RootCause.CELL_SWOLLEN, explanation, f.refs(*cited))


def _cell_number(name: CellName) -> int:
    """``cell3_swelling`` -> 3 (the records' own numbering, ``CellReading.of``)."""
    return int(name.removeprefix("cell").split("_", 1)[0])


NO_PATH = (
    Measured.PACK_PATH,
    Measured.OVERCURRENT_PROTECTION,
    Measured.SHORT_CIRCUIT_PROTECTION,
    Measured.BOARD_LOOP,
)
"""What an open path also fails: the closed pack's 1 kHz path and output, the bare board's loop."""


def no_charge_accepted(f: Facts) -> Finding | None:
    """No charge current: a cell too low to charge, a FET open, or the fuse open."""
    finding = _no_charge_accepted(f)
    if finding is None or finding.root_cause == RootCause.UNDETERMINED:
        return finding
    return with_consequences(finding, f, say("because.open_path"), *NO_PATH)


def _no_charge_accepted(f: Facts) -> Finding | None:
    if f.text(Measured.WAKE_RESPONSE) != WakeResponse.NO_RESPONSE:
        return None
    base = (Measured.VOLTAGE_RESTED, Measured.WAKE_RESPONSE, Measured.CHARGE_END)
    low_cells = [c for c in f.cells(CellReading.VOLTAGE) if f.failed(c)]
    if low_cells:
        return Finding(
            RootCause.CELL_DEEPLY_DISCHARGED,
            say("finding.deeply_discharged"),
            f.refs(*base, *low_cells),
        )
    if f.text(Measured.BOARD_OUTPUT) == BoardOutput.DIODE_DROP:
        return Finding(
            RootCause.CHARGE_MOSFET_OPEN,
            say("finding.charge_fet_open"),
            f.refs(*base, Measured.BOARD_OUTPUT, Measured.BOARD_OUTPUT_DROP),
        )
    probe = f.value(Measured.DIODE_PROBE_CURRENT)
    precharge = f.view.spec.charge.precharge_current.m_as("A")
    if probe is not None and probe >= 0.5 * precharge:
        return Finding(
            RootCause.DISCHARGE_MOSFET_OPEN,
            say("finding.discharge_fet_diode"),
            f.refs(*base, Measured.DIODE_PROBE_CURRENT, Measured.BOARD_OUTPUT),
        )
    if (
        f.text(Measured.BOARD_OUTPUT) == BoardOutput.NONE
        and f.text(Measured.BOARD_LOOP) == Conduction.OPEN
    ):
        return Finding(
            RootCause.FUSE_OPEN,
            say("finding.fuse_open"),
            f.refs(*base, Measured.DIODE_PROBE_CURRENT, Measured.BOARD_OUTPUT, Measured.BOARD_LOOP),
        )
    return Finding(
        RootCause.UNDETERMINED,
        say("finding.no_charge_unlocated"),
        f.refs(*base),
    )


SHORTED_CELL_DRAINS = say("because.shorted_cell")


def never_tapered(f: Facts) -> Finding | None:
    finding = _never_tapered(f)
    if finding is None:
        return None
    return with_consequences(
        finding,
        f,
        SHORTED_CELL_DRAINS,
        *NO_PATH,
        *f.cells(CellReading.VOLTAGE),
        Measured.CELL_VOLTAGE_SPREAD,
    )


def _never_tapered(f: Facts) -> Finding | None:
    if f.text(Measured.CHARGE_END) == ChargeEnd.TIME_LIMIT:
        return Finding(
            RootCause.CELL_INTERNAL_SHORT,
            say("finding.never_tapered"),
            f.refs(
                Measured.WAKE_RESPONSE,
                Measured.CHARGE_END,
                Measured.CHARGE_FINAL_CURRENT,
                Measured.SELF_DISCHARGE_RATE,
            ),
        )
    if f.failed(Measured.VOLTAGE_FALL_UNDER_CHARGE) and not top_cell_chattered(f):
        return Finding(
            RootCause.CELL_INTERNAL_SHORT,
            say("finding.voltage_fell"),
            f.refs(
                Measured.WAKE_RESPONSE,
                Measured.VOLTAGE_FALL_UNDER_CHARGE,
                Measured.CHARGE_END,
                Measured.WAKE_VOLTAGE,
            ),
        )
    return None


def top_cell_chattered(f: Facts) -> bool:
    """The terminal's fall under charge is the top series cell's over-charge protection, not a
    leak: the charge still ended at its taper, and the cells stand apart after it.

    A cell that fills first crosses its over-charge detection while the pack is charged; the
    board cuts, the cell relaxes below the release level (its RC polarisation decays within
    tens of seconds), the charge resumes, and so on: the terminal saw-tooths by about that
    cell's detect-to-release hysteresis, and a sampled trace catches falls of that size while
    current flows. A leak that takes more than the charge brings never lets the charge taper
    (or, in series, drains its cell at rest: ``cell_collapsed``).
    """
    return f.text(Measured.CHARGE_END) == ChargeEnd.TAPER and f.failed(Measured.CELL_VOLTAGE_SPREAD)


def cell_collapsed(f: Facts) -> Finding | None:
    """Series packs: the pack took charge, yet a cell sits near 0 V after the rest.

    On a 1S pack a leaking cell keeps the charge from tapering (``never_tapered``); in series,
    the good cells end the charge on their over-charge protection and the leaking one then
    drains itself at rest, which a mere imbalance (cells holding their voltages) never does.
    """
    if f.text(Measured.WAKE_RESPONSE) in (None, WakeResponse.NO_RESPONSE):
        return None
    floor = f.view.spec.charge.zero_volt_min.m_as("V")
    readings = {c: f.value(c) for c in f.cells(CellReading.VOLTAGE)}
    collapsed = [c for c, v in readings.items() if v is not None and v < floor]
    if not collapsed:
        return None
    finding = Finding(
        RootCause.CELL_INTERNAL_SHORT,
        say("finding.cell_collapsed"),
        f.refs(
            Measured.WAKE_RESPONSE, Measured.CHARGE_END, *collapsed, Measured.CELL_VOLTAGE_SPREAD
        ),
    )
    return with_consequences(finding, f, SHORTED_CELL_DRAINS, *NO_PATH)


def discharge_path_open(f: Facts) -> Finding | None:
    """Charge went in (through the discharge FET's body diode) but the pack gives no output."""
    if f.text(Measured.WAKE_RESPONSE) in (None, WakeResponse.NO_RESPONSE):
        return None
    if f.text(Measured.OVERCURRENT_PROTECTION) != OvercurrentResult.NO_OUTPUT:
        return None
    finding = Finding(
        RootCause.DISCHARGE_MOSFET_OPEN,
        say("finding.discharge_path_open"),
        f.refs(
            Measured.WAKE_RESPONSE,
            Measured.PACK_PATH,
            Measured.OVERCURRENT_PROTECTION,
            Measured.BOARD_OUTPUT,
        ),
    )
    return with_consequences(finding, f, say("because.open_channel"), *NO_PATH)


def discharge_side_uncut(f: Facts) -> Finding | None:
    """The discharge side does not cut: the ramp never tripped, or it ended only on a slower
    protection.

    A ramp that collapsed counts as an over-current trip only if a step above that level is cut
    within the over-current delay window too (``overcurrent_delay_cut``). Cells whose DC
    resistance sags them to the over-discharge detection under the ramp's top currents end the
    ramp by that protection (tens to hundreds of ms), whether or not the over-current detection
    works; the timed step then shows which one acted, but only when it was above every trip
    level the spec allows (trip plus tolerance): a step below that may be under this unit's own
    trip (a worn cell ends the ramp early), and its not cutting proves nothing.
    """
    oc = f.text(Measured.OVERCURRENT_PROTECTION)
    step_uncut = (
        oc == OvercurrentResult.TRIPPED
        and step_above_any_trip(f)
        and f.failed(Measured.OVERCURRENT_DELAY_CUT)
    )
    if oc != OvercurrentResult.NOT_TRIPPED and not step_uncut:
        return None
    if f.text(Measured.BOARD_OVERDISCHARGE_CUT) == Cut.NOT_CUT:
        finding = Finding(
            RootCause.DISCHARGE_MOSFET_SHORTED,
            say("finding.discharge_fet_shorted"),
            f.refs(
                Measured.OVERCURRENT_PROTECTION,
                Measured.BOARD_OVERDISCHARGE_CUT,
                Measured.BOARD_LOOP_RESISTANCE,
            ),
        )
    elif step_uncut:
        finding = Finding(
            RootCause.OVERCURRENT_PROTECTION_FAILED,
            say("finding.overcurrent_step_uncut"),
            f.refs(
                Measured.OVERCURRENT_PROTECTION,
                Measured.OVERCURRENT_TRIP_CURRENT,
                Measured.OVERCURRENT_DELAY_STEP,
                Measured.OVERCURRENT_DELAY_CUT,
                Measured.BOARD_OVERDISCHARGE_CUT,
            ),
        )
    else:
        finding = Finding(
            RootCause.OVERCURRENT_PROTECTION_FAILED,
            say("finding.overcurrent_failed"),
            f.refs(
                Measured.OVERCURRENT_PROTECTION,
                Measured.OVERCURRENT_MAX_TESTED,
                Measured.BOARD_OVERDISCHARGE_CUT,
            ),
        )
    return with_consequences(
        finding,
        f,
        say("because.no_board_cut"),
        Measured.OVERCURRENT_DELAY_CUT,
        Measured.BOARD_OVERCURRENT_PROTECTION,
        Measured.SHORT_CIRCUIT_PROTECTION,
        Measured.BOARD_SHORT_CIRCUIT_PROTECTION,
    )


def step_above_any_trip(f: Facts) -> bool:
    """The over-current timing step was above every trip level the spec allows."""
    step = f.value(Measured.OVERCURRENT_DELAY_STEP)
    p = f.view.spec.protection
    highest: float = (p.overcurrent_trip + p.overcurrent_trip_tolerance).m_as("A")
    return step is not None and step > highest


def charge_side_uncut(f: Facts) -> Finding | None:
    if f.text(Measured.BOARD_OVERCHARGE_CUT) != Cut.NOT_CUT:
        return None
    finding = Finding(
        RootCause.CHARGE_MOSFET_SHORTED,
        say("finding.charge_fet_shorted"),
        f.refs(
            Measured.BOARD_OVERCHARGE_CUT,
            Measured.BOARD_OVERCHARGE_MAX_TESTED,
            Measured.BOARD_LOOP_RESISTANCE,
        ),
    )
    return with_consequences(
        finding,
        f,
        say("because.charge_fet_sense"),
        Measured.OVERCURRENT_PROTECTION,
        Measured.BOARD_OVERCURRENT_PROTECTION,
    )


def worn_cell_on_top(f: Facts) -> CellName | None:
    """The worn cell that reads highest after the charge, when the spread failed (else ``None``).

    A cell that lost capacity fills first: the charge ends on it (its over-charge protection or
    the pack's CV) with the healthy cells lower. That spread is the worn cell's consequence,
    cited as its evidence; a spread whose high cell is a good one (the worn or drained cell
    lagging below) is an imbalance of its own.
    """
    if not f.failed(Measured.CELL_VOLTAGE_SPREAD):
        return None
    return highest_cell_worn(f)


def highest_cell_worn(f: Facts) -> CellName | None:
    """The highest-reading series cell's voltage record, if that cell is worn (else ``None``)."""
    readings = {
        i: f.value(name)
        for i, name in enumerate(f.cells(CellReading.VOLTAGE))
        if f.value(name) is not None
    }
    if len(readings) < 2:  # no cell to be above
        return None
    top = max(readings, key=lambda i: readings[i] or 0.0)
    resistance = f.cells(CellReading.RESISTANCE)[top]
    cold = f.cells(CellReading.COLD_RESISTANCE)[top]
    worn = f.worse_than_pass(resistance) or f.worse_than_pass(cold)  # aged, or plated
    return f.cells(CellReading.VOLTAGE)[top] if worn else None


def cells_apart(f: Facts) -> Finding | None:
    if not f.failed(Measured.CELL_VOLTAGE_SPREAD) or worn_cell_on_top(f) is not None:
        return None
    finding = Finding(
        RootCause.CELL_IMBALANCE,
        say("finding.imbalance"),
        f.refs(Measured.CELL_VOLTAGE_SPREAD, *f.cells(CellReading.VOLTAGE)),
    )
    return top_cell_protection(finding, f)


def top_cell_protection(finding: Finding, f: Facts) -> Finding:
    """A charge that topped one cell past its over-charge detection leaves the board holding
    that protection after the charge: the closed pack's 1 kHz path reads open through the charge
    FET's body diode. Cited only when the pack took a charge and gives output (an open fuse or
    discharge FET fails it too)."""
    if f.text(Measured.WAKE_RESPONSE) in (None, WakeResponse.NO_RESPONSE):
        return finding
    if top_cell_chattered(f):
        finding = with_consequences(
            finding, f, say("because.top_cell_chatter"), Measured.VOLTAGE_FALL_UNDER_CHARGE
        )
    if (
        f.text(Measured.OVERCURRENT_PROTECTION) == OvercurrentResult.NO_OUTPUT
    ):  # the discharge path itself is open
        return finding
    return with_consequences(
        finding,
        f,
        say("because.top_cell"),
        Measured.PACK_PATH,
    )


CAPACITY = (Measured.CHARGE_CAPACITY, Measured.DISCHARGE_CAPACITY)
"""Capacity measurements (``capacity.py``): a low one is a worn cell's second signature."""


def plated_cells(f: Facts) -> list[int]:
    """Numbers of the cells whose cold 1 kHz reading grew beyond a healthy cell's growth."""
    readings = f.cells(CellReading.COLD_RESISTANCE)
    return [n for n, name in enumerate(readings, start=1) if f.worse_than_pass(name)]


def cell_plated(f: Facts) -> Finding | None:
    """Lithium plating: a cell whose resistance grew in the cold far beyond a healthy cell's.

    Ageing raises a cell's resistance at every temperature alike, so its cold reading keeps the
    healthy ratio to its warm one; a plated cell's grows about three times more at 0 degC
    (``cold_resistance``). That cold reading is the decisive evidence; the same cell's warm
    reading, the soak temperatures and any low capacity are cited with it (the lithium plated
    is capacity lost). A plated cell, having lost capacity, fills first: a series spread it
    tops is its consequence, cited here (``highest_cell_worn`` counts it as worn).
    """
    plated = plated_cells(f)
    if not plated:
        return None
    cold = [CellReading.COLD_RESISTANCE.of(n) for n in plated]
    warm_readings = [CellReading.RESISTANCE.of(n) for n in plated]
    faded = [c for c in CAPACITY if f.worse_than_pass(c)]
    readings = "; ".join(
        f"{c} {f.view.measurement(c).comparison} ({w} {f.view.measurement(w).comparison})"
        for c, w in zip(cold, warm_readings, strict=True)
        if f.view.has(w)
    )
    start = f.view.measurement(Measured.COLD_START_TEMPERATURE)
    soaked = f.view.measurement(Measured.COLD_SOAK_TEMPERATURE)
    explanation = say(
        "finding.plating",
        warm=f"{start.value or 0.0:.1f} °C",  # both recorded in degC (``cold_resistance``)
        cold=f"{soaked.value or 0.0:.1f} °C",
        readings=readings,
        growth=f"{_healthy_growth(f, cold[0]):.2f}",
    )
    cited: list[MeasurementName] = [
        *cold,
        *warm_readings,
        Measured.COLD_START_TEMPERATURE,
        Measured.COLD_SOAK_TEMPERATURE,
        *faded,
    ]
    top = worn_cell_on_top(f)
    if top is not None and _cell_number(top) in plated:
        because = say(
            "plating.top",
            top=top,
            spread=f.view.measurement(Measured.CELL_VOLTAGE_SPREAD).comparison,
        )
        explanation = say("finding.plating_top", explanation=explanation, because=because)
        cited += [Measured.CELL_VOLTAGE_SPREAD, top]
    finding = Finding(RootCause.CELL_LITHIUM_PLATING, explanation, f.refs(*cited))
    return finding if top is None else top_cell_protection(finding, f)


def _healthy_growth(f: Facts, cold: CellName) -> float:
    """The growth a healthy cell shows between the two soak temperatures, as the cold reading's
    limits were set from it (nominal = warm reading x growth)."""
    nominal = f.view.measurement(cold).limits.nominal
    warm = f.value(CellReading.RESISTANCE.of(_cell_number(cold)))
    if nominal is None or not warm:
        return 1.0
    return float(nominal / warm)


def cells_worn(f: Facts) -> Finding | None:
    """Aged cells: a 1 kHz resistance above the warn factor, or a capacity below the spec's share.

    Either signature is enough; each is cited. A low capacity is judged only from a complete
    charge (or discharge), so it is a finding even when another fault explains the complaint,
    except a plating one (the plated lithium is the capacity lost). A swollen or plated cell's
    own resistance is cited by that finding, not here.
    """
    swollen = {CellReading.RESISTANCE.of(_cell_number(c)) for c in swollen_cells(f)}
    plated = plated_cells(f)
    explained = swollen | {CellReading.RESISTANCE.of(n) for n in plated}
    worn = [
        c for c in f.cells(CellReading.RESISTANCE) if f.worse_than_pass(c) and c not in explained
    ]
    # capacity lost by a plated cell is its plated lithium (``cell_plated`` cites it)
    faded = [] if plated else [c for c in CAPACITY if f.worse_than_pass(c)]
    if not worn and not faded:
        return None
    parts = []
    if worn:
        parts.append(say("worn.resistance"))
    if faded:
        held = ", ".join(f"{n} {f.view.measurement(n).comparison}" for n in faded)
        parts.append(say("worn.capacity", held=held))
    top = worn_cell_on_top(f)
    spread: tuple[MeasurementName, ...] = ()
    if top is not None:
        spread = (Measured.CELL_VOLTAGE_SPREAD, top)
        parts.append(
            say(
                "worn.top",
                top=top,
                spread=f.view.measurement(Measured.CELL_VOLTAGE_SPREAD).comparison,
            )
        )
    explanation = say("finding.worn", parts="; and ".join(parts))
    finding = Finding(
        RootCause.CELL_AGED_HIGH_RESISTANCE,
        explanation,
        f.refs(*worn, *faded, Measured.PACK_RESISTANCE, *spread),
    )
    if worn and not step_above_any_trip(f):
        # the worn cell's DC drop ended the ramp at its over-discharge detection, below this
        # unit's over-current trip, so the timing step above that level was under the trip too
        finding = with_consequences(
            finding,
            f,
            say("because.worn_cell_sag"),
            Measured.OVERCURRENT_TRIP_CURRENT,
            Measured.OVERCURRENT_DELAY_CUT,
        )
    return finding if highest_cell_worn(f) is None else top_cell_protection(finding, f)


def self_discharge(f: Facts) -> Finding | None:
    if not f.failed(Measured.SELF_DISCHARGE_RATE):
        return None
    return Finding(
        RootCause.CELL_HIGH_SELF_DISCHARGE,
        say("finding.self_discharge"),
        f.refs(
            Measured.OCV_RESTED,
            Measured.OCV_AFTER_REST,
            Measured.OCV_AFTER_RELEASE,
            Measured.SELF_DISCHARGE_RATE,
        ),
    )


def woke(f: Facts) -> Finding | None:
    wake = f.text(Measured.WAKE_RESPONSE)
    if wake == WakeResponse.UNDER_VOLTAGE:
        return Finding(
            RootCause.OVER_DISCHARGE_IN_STORAGE,
            say("finding.under_voltage"),
            f.refs(
                Measured.VOLTAGE_RESTED,
                Measured.WAKE_VOLTAGE,
                Measured.WAKE_RESPONSE,
                Measured.CHARGE_END,
            ),
        )
    if wake == WakeResponse.LATCHED:
        return Finding(
            RootCause.PROTECTION_LATCHED,
            say("finding.latched"),
            f.refs(
                Measured.VOLTAGE_RESTED,
                Measured.WAKE_VOLTAGE,
                Measured.WAKE_RESPONSE,
                Measured.CHARGE_END,
            ),
        )
    return None


def released_on_unloading(f: Facts) -> Finding | None:
    if (
        f.text(Measured.VOLTAGE_CATEGORY_AS_RECEIVED) != VoltageCategory.ZERO
        or f.text(Measured.VOLTAGE_CATEGORY) == VoltageCategory.ZERO
    ):
        return None
    return Finding(
        RootCause.DEVICE_OVERCURRENT,
        say("finding.device_overcurrent"),
        f.refs(
            Measured.VOLTAGE_AS_RECEIVED, Measured.VOLTAGE_RESTED, Measured.OVERCURRENT_PROTECTION
        ),
    )


RULES: Sequence[Rule] = (
    overheated,
    cell_swollen,
    no_charge_accepted,
    never_tapered,
    cell_collapsed,
    discharge_path_open,
    charge_side_uncut,
    discharge_side_uncut,
    # A worn or leaking cell explains a spread between series cells, so both outrank it;
    # a plated cell is a worn one whose cause the cold reading names.
    cell_plated,
    cells_worn,
    self_discharge,
    cells_apart,
    woke,
    released_on_unloading,
)
"""Every rule, in rank order: the first finding is the primary cause, the rest contribute.

The order is how decisive the evidence is and how much is at stake: a pack that heated on the
bench and a swollen cell come first (hazards, whatever else is wrong), a pack that took no
charge is explained before the rest, a cell that must never be charged again outranks a board
fault, a board that cannot cut outranks a worn cell, and the storage and handling explanations
of the complaint come last (they explain why the pack was flat, not what is wrong with it).
"""

EXPLAINS: dict[RootCause, frozenset[RootCause]] = {
    RootCause.CELL_INTERNAL_SHORT: frozenset(
        {
            RootCause.OVER_DISCHARGE_IN_STORAGE,
            RootCause.PROTECTION_LATCHED,
            RootCause.CELL_HIGH_SELF_DISCHARGE,
            RootCause.CELL_IMBALANCE,
            RootCause.DISCHARGE_MOSFET_OPEN,
        }
    ),
    RootCause.CELL_HIGH_SELF_DISCHARGE: frozenset(
        {RootCause.OVER_DISCHARGE_IN_STORAGE, RootCause.CELL_IMBALANCE}
    ),
    RootCause.CELL_DEEPLY_DISCHARGED: frozenset(
        {RootCause.OVER_DISCHARGE_IN_STORAGE, RootCause.DISCHARGE_MOSFET_OPEN}
    ),
    RootCause.CHARGE_MOSFET_SHORTED: frozenset({RootCause.OVERCURRENT_PROTECTION_FAILED}),
}
"""Findings that are consequences of a higher-ranked one, not separate causes: a leaking cell
drains the pack into its under-voltage protection and drifts from its neighbours; a dead or
shorted cell leaves the pack without output, which would otherwise read as an open discharge
FET; a shorted charge FET lowers the over-current sense voltage, so over-current seems not to
trip."""

SEVERITY = (
    Disposition.NO_FAULT_FOUND,
    Disposition.RECHARGE_AND_RETURN,
    Disposition.REPAIR_BOARD,
    Disposition.REPLACE_BOARD,
    Disposition.REPLACE_CELLS,
    Disposition.SCRAP,
)
"""Dispositions from least to most severe: the unit gets the most severe any finding needs."""
NO_FAULT = Disposition.NO_FAULT_FOUND


def findings(view: RunView) -> list[Finding]:
    """Every finding the evidence supports, ranked; the first is the primary root cause.

    A finding another (higher-ranked) one explains is left out (``EXPLAINS``). If nothing is
    found, or only findings whose disposition is "no fault found", while a measurement failed,
    the failure is not waved through: an ``undetermined`` finding names each failed record,
    so a FAIL never ends in "no fault found" silently. With no finding at all, what remains is
    ``customer_misjudgement``, whose explanation is built from the run's verdicts.
    """
    facts = Facts(view)
    found: list[Finding] = []
    for rule in RULES:
        finding = rule(facts)
        if finding is None:
            continue
        if any(
            finding.root_cause == f.root_cause
            or finding.root_cause in EXPLAINS.get(f.root_cause, ())
            for f in found
        ):
            continue  # the same cause by another rule, or a consequence of a higher finding
        found.append(finding)
    if all(OUTCOMES[f.root_cause].disposition == NO_FAULT for f in found):
        unexplained = unexplained_failures(facts, found)
        if unexplained is not None:
            found.insert(0, unexplained)
    if not found:
        found.append(nothing_found(facts))
    return found


def find(view: RunView) -> Finding:
    """The primary root cause (the first of ``findings``)."""
    return findings(view)[0]


def unexplained_failures(f: Facts, found: Sequence[Finding]) -> Finding | None:
    """Failed records no finding cites: named one by one, for QA to review."""
    cited = {ref for finding in found for ref in finding.evidence}
    failed = [
        (f"{step}/{record.name}", record)
        for step, record in f.view.latest()
        if record.verdict is Verdict.FAIL and f"{step}/{record.name}" not in cited
    ]
    if not failed:
        return None
    named = "; ".join(f"{ref} ({record.comparison})" for ref, record in failed)
    return Finding(
        RootCause.UNDETERMINED,
        say("finding.unexplained", named=named),
        tuple(ref for ref, _ in failed),
    )


def nothing_found(f: Facts) -> Finding:
    """No finding and no failure: say what was judged, what was marginal, what is missing."""
    records = f.view.latest()
    judged = [r for _, r in records if r.verdict in (Verdict.PASS, Verdict.MARGINAL)]
    marginal = [r.name for r in judged if r.verdict is Verdict.MARGINAL]
    missing = [
        f"{step}/{r.name}"
        for step, r in records
        if r.verdict is Verdict.SKIPPED and r.comparison.startswith(MISSING_HEAD)
    ]
    optional = [
        r.name
        for _, r in records
        if r.verdict is Verdict.SKIPPED and not r.comparison.startswith(MISSING_HEAD)
    ]
    # one catalogue sentence per combination of the optional clauses (m, o, r), so that each
    # reads naturally in every language
    which = "".join(
        flag for flag, given in (("m", marginal), ("o", optional), ("r", missing)) if given
    )
    text = say(
        f"nothing_found.{which or 'plain'}",
        judged=len(judged),
        marginal=len(marginal),
        marginal_names=", ".join(marginal),
        optional=", ".join(optional),
        missing=", ".join(missing),
    )
    evidence = f.refs(
        Measured.VOLTAGE_RESTED,
        Measured.CHARGE_END,
        Measured.PACK_RESISTANCE,
        Measured.OVERCURRENT_PROTECTION,
    )
    return Finding(RootCause.CUSTOMER_MISJUDGEMENT, text, evidence + tuple(missing))


def combined_disposition(found: Sequence[Finding]) -> tuple[str, str]:
    """The unit's disposition from every finding, and the sentence that says why.

    The most severe disposition any finding needs wins (``SEVERITY``), so an aged cell behind a
    deep discharge means new cells, not a recharge. A unit that needs both a new board and new
    cells keeps nothing of the pack: it is scrapped.
    """
    needed = {f.root_cause: OUTCOMES[f.root_cause].disposition for f in found}
    dispositions = set(needed.values())
    listed = ", ".join(f"{cause} ({disposition})" for cause, disposition in needed.items())
    if {Disposition.REPLACE_BOARD, Disposition.REPLACE_CELLS} <= dispositions:
        return Disposition.SCRAP, say("disposition.scrap_both", listed=listed)
    worst = max(dispositions, key=SEVERITY.index)
    if len(needed) == 1:
        return worst, say("disposition.single", listed=listed)
    return worst, say("disposition.worst", listed=listed)


RETURNED_AS_IS = (Disposition.RECHARGE_AND_RETURN, NO_FAULT)
"""Dispositions that send the pack back with its cells: their health must have been judged."""


def cells_unjudged(f: Facts, why: str) -> tuple[str, tuple[str, ...]] | None:
    """``why`` (the disposition's reason) followed by why the cells' health is unknown, and the
    records that show it (``None``: it was judged).

    A pack that woke from its protection and passed the closed-pack tests goes back whole: the
    cells are not opened, and a recharge that did not start from the under-voltage release is
    no capacity measurement. A worn cell would then not show; the disposition says so instead
    of implying the cells were found good.
    """
    judged = (Verdict.PASS, Verdict.MARGINAL, Verdict.FAIL)
    for name in (*CAPACITY, *f.cells(CellReading.RESISTANCE)):
        if f.view.has(name) and f.view.measurement(name).verdict in judged:
            return None
    skipped = [n for n in CAPACITY if f.view.has(n)]
    rest = "; ".join(f"{n} {f.view.measurement(n).comparison}" for n in skipped)
    if not rest:
        return say("disposition.unjudged", why=why), f.refs(*skipped)
    return say("disposition.unjudged_because", why=why, rest=rest), f.refs(*skipped)


def customer_advice(facts: Facts, outcomes: Sequence[Outcome]) -> list[str]:
    advice = [o.advice for o in outcomes]
    if facts.text(Measured.USAGE_CHARGER) == UsageAnswer.THIRD_PARTY_CHARGER:
        advice.append(say("advice.original_charger"))
    if (
        facts.text(Measured.USAGE_TEMPERATURE) == UsageAnswer.HOT
        or facts.text(Measured.USAGE_LOCATION) == UsageAnswer.VEHICLE
    ):
        advice.append(say("advice.keep_cool"))
    return list(dict.fromkeys(advice))


def diagnose(view: RunView) -> list[Conclusion]:
    """The run's conclusions: root cause, contributing findings, symptom, disposition, cause
    category and advice, each citing the records it rests on."""
    mismatch = mismatch_conclusions(view)
    if mismatch is not None:  # stopped before any energy: nothing else was measured
        return mismatch
    found = findings(view)
    primary, rest = found[0], found[1:]
    outcome = OUTCOMES[primary.root_cause]
    facts = Facts(view)
    evidence = primary.evidence
    everything = tuple(dict.fromkeys(ref for f in found for ref in f.evidence))
    disposition, why = combined_disposition(found)
    basis = everything
    unjudged = cells_unjudged(facts, why) if disposition in RETURNED_AS_IS else None
    if unjudged is not None:
        why = unjudged[0]
        basis = tuple(dict.fromkeys((*everything, *unjudged[1])))
    conclusions = [
        Conclusion(ConclusionKind.ROOT_CAUSE, primary.root_cause, primary.explanation, evidence)
    ]
    conclusions.extend(
        Conclusion(ConclusionKind.CONTRIBUTING, f.root_cause, f.explanation, f.evidence)
        for f in rest
    )
    conclusions += [
        Conclusion(
            ConclusionKind.SYMPTOM,
            outcome.symptom,
            say("conclusion.symptom", root_cause=primary.root_cause),
            evidence,
        ),
        Conclusion(ConclusionKind.DISPOSITION, disposition, why, basis),
        Conclusion(
            ConclusionKind.CAUSE_CATEGORY,
            outcome.cause_category,
            say("conclusion.cause_category"),
            evidence
            + facts.refs(
                Measured.USAGE_CHARGER, Measured.USAGE_LOCATION, Measured.USAGE_TIME_IN_USE
            ),
        ),
    ]
    outcomes = [OUTCOMES[f.root_cause] for f in found]
    for text in customer_advice(facts, outcomes):
        conclusions.append(
            Conclusion(ConclusionKind.ADVICE, text, say("conclusion.advice"), everything)
        )
    return conclusions
