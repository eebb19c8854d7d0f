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
from procedures.records import MISSING_HEAD, Conclusion, Verdict


@dataclass(frozen=True)
class Outcome:
    """What a root cause means for the complaint (manual's symptom and cause lists)."""

    symptom: str
    disposition: str
    cause_category: str
    advice: str


OUTCOMES: dict[str, Outcome] = {
    "customer_misjudgement": Outcome(
        "cannot power on",
        "no_fault_found",
        "customer misjudgement",
        # no claim that the pack "meets its specification": whether it does is what the
        # run's verdicts say (nothing_found words it from them), not a constant of the advice
        "Check the device and its contacts, and charge the pack fully before use.",
    ),
    "device_overcurrent": Outcome(
        "shuts off after power-on",
        "no_fault_found",
        "customer storage or handling",
        "The device drew more than the pack's over-current limit: check the device's current "
        "draw, and disconnect the pack from the device to reset it.",
    ),
    "over_discharge_in_storage": Outcome(
        "cannot power on",
        "recharge_and_return",
        "customer storage or handling",
        "Don't store the pack flat: store it at about half charge and recharge it every three "
        "months.",
    ),
    "protection_latched": Outcome(
        "cannot power on",
        "recharge_and_return",
        "failure after use",
        "Use a stable charger (the original one): transients on the charger input can latch "
        "the protection board.",
    ),
    "cell_deeply_discharged": Outcome(
        "cannot power on",
        "scrap",
        "customer storage or handling",
        "A cell was discharged below its safe recharge level and must not be charged again; "
        "don't store packs flat or connected to a device.",
    ),
    "cell_internal_short": Outcome(
        "no voltage or high internal resistance",
        "scrap",
        "manufacturing",
        "Stop using packs of this lot that heat up while charging; return them for analysis.",
    ),
    "cell_aged_high_resistance": Outcome(
        "shuts off after power-on",
        "replace_cells",
        "failure after use",
        "The cells are worn: replace the pack at the end of its service life; avoid high "
        "temperatures and deep discharges.",
    ),
    "cell_imbalance": Outcome(
        "shuts off after power-on",
        "replace_cells",
        "manufacturing",
        "The cells drifted apart; charge with the original charger and don't store the pack flat.",
    ),
    "cell_high_self_discharge": Outcome(
        "cannot power on",
        "replace_cells",
        "manufacturing",
        "A cell loses its charge at rest; recharge the replacement pack before storage.",
    ),
    "fuse_open": Outcome(
        "cannot power on",
        "repair_board",
        "failure after use",
        "The pack's fuse opened after an over-current: check the device and cabling for a "
        "short before using the repaired pack.",
    ),
    "discharge_mosfet_open": Outcome(
        "cannot power on", "replace_board", "manufacturing", "No action needed by the customer."
    ),
    "charge_mosfet_open": Outcome(
        "no charge/discharge",
        "replace_board",
        "manufacturing",
        "No action needed by the customer.",
    ),
    "charge_mosfet_shorted": Outcome(
        "other",
        "replace_board",
        "manufacturing",
        "Use only the specified charger: this board could not stop an over-charge.",
    ),
    "discharge_mosfet_shorted": Outcome(
        "short-circuit/fire",
        "replace_board",
        "manufacturing",
        "Stop using packs that get hot on a short or a jammed device; this board could not cut "
        "its output.",
    ),
    "overcurrent_protection_failed": Outcome(
        "short-circuit/fire",
        "replace_board",
        "manufacturing",
        "Stop using packs that get hot on a short or a jammed device; this board did not trip "
        "on over-current.",
    ),
    "cell_heats_under_charge": Outcome(
        "short-circuit/fire",
        "scrap",
        "manufacturing",
        "Stop charging packs of this lot that get warm on the charger; keep such a pack away "
        "from anything flammable and return it for analysis.",
    ),
    "undetermined": Outcome(
        "other",
        "scrap",
        "failure after use",
        "None until QA has reviewed the evidence.",
    ),
}


@dataclass(frozen=True)
class Finding:
    root_cause: str
    explanation: str
    evidence: tuple[str, ...]


class Facts:
    """Typed, forgiving access to the run: a measurement the run did not take reads as ``None``."""

    def __init__(self, view: RunView) -> None:
        self.view = view

    def text(self, name: str) -> str | None:
        return self.view.measurement(name).text_value if self.view.has(name) else None

    def value(self, name: str) -> float | None:
        return self.view.measurement(name).value if self.view.has(name) else None

    def failed(self, name: str) -> bool:
        return self.view.has(name) and self.view.measurement(name).verdict is Verdict.FAIL

    def worse_than_pass(self, name: str) -> bool:
        if not self.view.has(name):
            return False
        return self.view.measurement(name).verdict in (Verdict.MARGINAL, Verdict.FAIL)

    def refs(self, *names: str) -> tuple[str, ...]:
        return tuple(self.view.ref(n) for n in names if self.view.has(n))

    def cells(self, suffix: str) -> list[str]:
        series = self.view.spec.product.series
        return [f"cell{i + 1}_{suffix}" for i in range(series)]


Rule = Callable[[Facts], Finding | None]


def with_consequences(finding: Finding, f: Facts, because: str, *names: str) -> Finding:
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
        f"{finding.explanation} It also explains the failed {', '.join(failed)}: {because}.",
        tuple(dict.fromkeys((*finding.evidence, *f.refs(*failed)))),
    )


OVER_TEMPERATURE = ("charge_temperature", "pack_test_temperature", "board_test_temperature")
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
    if f.text("voltage_category") == "zero":
        return Finding(
            "cell_internal_short",
            "The pack arrived flat and heated past its temperature limit under charge: an "
            "internal short drained it at rest and turns the charge into heat.",
            f.refs("voltage_rested", "voltage_category", *hot),
        )
    return Finding(
        "cell_heats_under_charge",
        "The pack arrived at a normal voltage, then heated past its temperature limit within "
        "minutes of charging at 0.5C: a cell dissipates inside (a soft internal short).",
        f.refs("voltage_rested", "voltage_category", *hot),
    )


NO_PATH = ("pack_path", "overcurrent_protection", "short_circuit_protection", "board_loop")
"""What an open path also fails: the closed pack's 1 kHz path and output, the bare board's loop."""


def no_charge_accepted(f: Facts) -> Finding | None:
    """No charge current: a cell too low to charge, a FET open, or the fuse open."""
    finding = _no_charge_accepted(f)
    if finding is None or finding.root_cause == "undetermined":
        return finding
    return with_consequences(
        finding, f, "the same open path leaves the pack without output", *NO_PATH
    )


def _no_charge_accepted(f: Facts) -> Finding | None:
    if f.text("wake_response") != "no_response":
        return None
    base = ("voltage_rested", "wake_response", "charge_end")
    low_cells = [c for c in f.cells("voltage") if f.failed(c)]
    if low_cells:
        return Finding(
            "cell_deeply_discharged",
            "The pack took no charge and a cell is below the 0 V-charge minimum; the board "
            "rightly inhibits charging it.",
            f.refs(*base, *low_cells),
        )
    if f.text("board_output") == "diode_drop":
        return Finding(
            "charge_mosfet_open",
            "No charge current; the bare board passes its output only through a body diode "
            "(one FET open) while the pack still discharges.",
            f.refs(*base, "board_output", "board_output_drop"),
        )
    probe = f.value("diode_probe_current")
    precharge = f.view.spec.charge.precharge_current.m_as("A")
    if probe is not None and probe >= 0.5 * precharge:
        return Finding(
            "discharge_mosfet_open",
            "No current at the charge voltage, but current flows one diode drop higher: the "
            "charge runs only through the discharge FET's body diode, whose channel is open.",
            f.refs(*base, "diode_probe_current", "board_output"),
        )
    if f.text("board_output") == "none" and f.text("board_loop") == "open":
        return Finding(
            "fuse_open",
            "No charge current, no body-diode conduction, and the bare board's main loop is "
            "open with good cells: the fuse is open.",
            f.refs(*base, "diode_probe_current", "board_output", "board_loop"),
        )
    return Finding(
        "undetermined",
        "The pack took no charge and no later test located the open path.",
        f.refs(*base),
    )


SHORTED_CELL_DRAINS = (
    "the shorted cell drains itself at rest, leaving the pack without output and the cell near 0 V"
)


def never_tapered(f: Facts) -> Finding | None:
    finding = _never_tapered(f)
    if finding is None:
        return None
    return with_consequences(
        finding, f, SHORTED_CELL_DRAINS, *NO_PATH, *f.cells("voltage"), "cell_voltage_spread"
    )


def _never_tapered(f: Facts) -> Finding | None:
    if f.text("charge_end") == "time_limit":
        return Finding(
            "cell_internal_short",
            "The charge current never fell to the end-of-charge level within the time limit: "
            "the charge feeds an internal leak, which also drains the pack at rest.",
            f.refs("wake_response", "charge_end", "charge_final_current", "self_discharge_rate"),
        )
    if f.failed("voltage_fall_under_charge"):
        return Finding(
            "cell_internal_short",
            "The terminal voltage fell while charge current flowed into the pack: an internal "
            "leak takes more than the charge brings.",
            f.refs("wake_response", "voltage_fall_under_charge", "charge_end", "wake_voltage"),
        )
    return None


def cell_collapsed(f: Facts) -> Finding | None:
    """Series packs: the pack took charge, yet a cell sits near 0 V after the rest.

    On a 1S pack a leaking cell keeps the charge from tapering (``never_tapered``); in series,
    the good cells end the charge on their over-charge protection and the leaking one then
    drains itself at rest, which a mere imbalance (cells holding their voltages) never does.
    """
    if f.text("wake_response") in (None, "no_response"):
        return None
    floor = f.view.spec.charge.zero_volt_min.m_as("V")
    readings = {c: f.value(c) for c in f.cells("voltage")}
    collapsed = [c for c, v in readings.items() if v is not None and v < floor]
    if not collapsed:
        return None
    finding = Finding(
        "cell_internal_short",
        "The pack accepted charge, yet after the rest a cell reads below the 0 V-charge "
        "minimum while the others hold theirs: that cell drains itself through an internal "
        "short.",
        f.refs("wake_response", "charge_end", *collapsed, "cell_voltage_spread"),
    )
    return with_consequences(finding, f, SHORTED_CELL_DRAINS, *NO_PATH)


def discharge_path_open(f: Facts) -> Finding | None:
    """Charge went in (through the discharge FET's body diode) but the pack gives no output."""
    if f.text("wake_response") in (None, "no_response"):
        return None
    if f.text("overcurrent_protection") != "no_output":
        return None
    finding = Finding(
        "discharge_mosfet_open",
        "The pack took charge, through the discharge FET's body diode, yet delivers no "
        "output to the load with good cells: the discharge FET's channel is open.",
        f.refs("wake_response", "pack_path", "overcurrent_protection", "board_output"),
    )
    return with_consequences(
        finding, f, "the open channel breaks the main loop of the bare board too", *NO_PATH
    )


def discharge_side_uncut(f: Facts) -> Finding | None:
    oc = f.text("overcurrent_protection")
    if oc != "not_tripped":
        return None
    if f.text("board_overdischarge_cut") == "not_cut":
        finding = Finding(
            "discharge_mosfet_shorted",
            "Neither over-current nor over-discharge cut the output although the IC's "
            "thresholds were crossed: the discharge FET conducts with its gate off.",
            f.refs("overcurrent_protection", "board_overdischarge_cut", "board_loop_resistance"),
        )
    else:
        finding = Finding(
            "overcurrent_protection_failed",
            "The output carried well above the over-current trip level without cutting, while "
            "the over-discharge protection still cuts: the IC's over-current detection failed.",
            f.refs("overcurrent_protection", "overcurrent_max_tested", "board_overdischarge_cut"),
        )
    return with_consequences(
        finding,
        f,
        "the bare board cannot cut a discharge over-current either",
        "board_overcurrent_protection",
        "short_circuit_protection",
        "board_short_circuit_protection",
    )


def charge_side_uncut(f: Facts) -> Finding | None:
    if f.text("board_overcharge_cut") != "not_cut":
        return None
    finding = Finding(
        "charge_mosfet_shorted",
        "The bare board kept its output on past the over-charge detection level: the charge "
        "FET cannot cut.",
        f.refs("board_overcharge_cut", "board_overcharge_max_tested", "board_loop_resistance"),
    )
    return with_consequences(
        finding,
        f,
        "a shorted charge FET lowers the voltage the IC senses for over-current, so the output "
        "does not trip at its level",
        "overcurrent_protection",
        "board_overcurrent_protection",
    )


def worn_cell_on_top(f: Facts) -> str | None:
    """The worn cell that reads highest after the charge, when the spread failed (else ``None``).

    A cell that lost capacity fills first: the charge ends on it (its over-charge protection or
    the pack's CV) with the healthy cells lower. That spread is the worn cell's consequence,
    cited as its evidence; a spread whose high cell is a good one (the worn or drained cell
    lagging below) is an imbalance of its own.
    """
    if not f.failed("cell_voltage_spread"):
        return None
    return highest_cell_worn(f)


def highest_cell_worn(f: Facts) -> str | None:
    """The highest-reading series cell's voltage record, if that cell is worn (else ``None``)."""
    readings = {
        i: f.value(name) for i, name in enumerate(f.cells("voltage")) if f.value(name) is not None
    }
    if len(readings) < 2:  # no cell to be above
        return None
    top = max(readings, key=lambda i: readings[i] or 0.0)
    resistance = f.cells("resistance")[top]
    return f.cells("voltage")[top] if f.worse_than_pass(resistance) else None


def cells_apart(f: Facts) -> Finding | None:
    if not f.failed("cell_voltage_spread") or worn_cell_on_top(f) is not None:
        return None
    finding = Finding(
        "cell_imbalance",
        "The series cells' voltages differ by more than the spec allows after a full charge.",
        f.refs("cell_voltage_spread", *f.cells("voltage")),
    )
    return top_cell_protection(finding, f)


def top_cell_protection(finding: Finding, f: Facts) -> Finding:
    """A charge that topped one cell past its over-charge detection leaves the board holding
    that protection after the charge: the closed pack's 1 kHz path reads open through the charge
    FET's body diode. Cited only when the pack took a charge and gives output (an open fuse or
    discharge FET fails it too)."""
    if f.text("wake_response") in (None, "no_response"):
        return finding
    if f.text("overcurrent_protection") == "no_output":  # the discharge path itself is open
        return finding
    return with_consequences(
        finding,
        f,
        "the highest cell ended the charge past its over-charge detection, and the board "
        "still held that protection (charge FET off) when the closed pack was measured",
        "pack_path",
    )


CAPACITY = ("charge_capacity", "discharge_capacity")
"""Capacity measurements (``capacity.py``): a low one is a worn cell's second signature."""


def cells_worn(f: Facts) -> Finding | None:
    """Aged cells: a 1 kHz resistance above the warn factor, or a capacity below the spec's share.

    Either signature is enough; each is cited. A low capacity is judged only from a complete
    charge (or discharge), so it is a finding even when another fault explains the complaint.
    """
    worn = [c for c in f.cells("resistance") if f.worse_than_pass(c)]
    faded = [c for c in CAPACITY if f.worse_than_pass(c)]
    if not worn and not faded:
        return None
    parts = []
    if worn:
        parts.append(
            "a cell's 1 kHz resistance exceeds the warn factor of its new value (marginal: worn; "
            "fail: beyond the reject factor), so the pack sags under load"
        )
    if faded:
        held = ", ".join(f"{n} {f.view.measurement(n).comparison}" for n in faded)
        parts.append(f"the pack holds less than the spec's share of its capacity ({held})")
    top = worn_cell_on_top(f)
    spread: tuple[str, ...] = ()
    if top is not None:
        spread = ("cell_voltage_spread", top)
        parts.append(
            f"the worn cell holds less charge, so it filled first and ended the charge with the "
            f"others lower ({top} highest; cell_voltage_spread "
            f"{f.view.measurement('cell_voltage_spread').comparison})"
        )
    explanation = "The cells are worn: " + "; and ".join(parts) + "."
    finding = Finding(
        "cell_aged_high_resistance",
        explanation,
        f.refs(*worn, *faded, "pack_resistance", *spread),
    )
    return finding if highest_cell_worn(f) is None else top_cell_protection(finding, f)


def self_discharge(f: Facts) -> Finding | None:
    if not f.failed("self_discharge_rate"):
        return None
    return Finding(
        "cell_high_self_discharge",
        "The rested pack lost voltage far faster than the cells' datasheet self-discharge.",
        f.refs("ocv_rested", "ocv_after_rest", "ocv_after_release", "self_discharge_rate"),
    )


def woke(f: Facts) -> Finding | None:
    wake = f.text("wake_response")
    if wake == "under_voltage":
        return Finding(
            "over_discharge_in_storage",
            "The pack read zero; under charge the terminal showed a low cell voltage rising "
            "until the board released its under-voltage protection: the pack had been run or "
            "stored flat.",
            f.refs("voltage_rested", "wake_voltage", "wake_response", "charge_end"),
        )
    if wake == "latched":
        return Finding(
            "protection_latched",
            "The pack read zero; the charger released the board at once and the terminal "
            "jumped to a normal cell voltage: the board had latched its protection.",
            f.refs("voltage_rested", "wake_voltage", "wake_response", "charge_end"),
        )
    return None


def released_on_unloading(f: Facts) -> Finding | None:
    if f.text("voltage_category_as_received") != "zero" or f.text("voltage_category") == "zero":
        return None
    return Finding(
        "device_overcurrent",
        "The pack arrived with its output off and turned it back on once nothing loaded the "
        "terminals: the board was holding an over-current protection from the device.",
        f.refs("voltage_as_received", "voltage_rested", "overcurrent_protection"),
    )


RULES: Sequence[Rule] = (
    overheated,
    no_charge_accepted,
    never_tapered,
    cell_collapsed,
    discharge_path_open,
    charge_side_uncut,
    discharge_side_uncut,
    # A worn or leaking cell explains a spread between series cells, so both outrank it.
    cells_worn,
    self_discharge,
    cells_apart,
    woke,
    released_on_unloading,
)
"""Every rule, in rank order: the first finding is the primary cause, the rest contribute.

The order is how decisive the evidence is and how much is at stake: a pack that took no charge
is explained before anything else, a cell that must never be charged again outranks a board
fault, a board that cannot cut outranks a worn cell, and the storage and handling explanations
of the complaint come last (they explain why the pack was flat, not what is wrong with it).
"""

EXPLAINS: dict[str, frozenset[str]] = {
    "cell_internal_short": frozenset(
        {
            "over_discharge_in_storage",
            "protection_latched",
            "cell_high_self_discharge",
            "cell_imbalance",
            "discharge_mosfet_open",
        }
    ),
    "cell_high_self_discharge": frozenset({"over_discharge_in_storage", "cell_imbalance"}),
    "cell_deeply_discharged": frozenset({"over_discharge_in_storage", "discharge_mosfet_open"}),
    "charge_mosfet_shorted": frozenset({"overcurrent_protection_failed"}),
}
"""Findings that are consequences of a higher-ranked one, not separate causes: a leaking cell
drains the pack into its under-voltage protection and drifts from its neighbours; a dead or
shorted cell leaves the pack without output, which would otherwise read as an open discharge
FET; a shorted charge FET lowers the over-current sense voltage, so over-current seems not to
trip."""

SEVERITY = (
    "no_fault_found",
    "recharge_and_return",
    "repair_board",
    "replace_board",
    "replace_cells",
    "scrap",
)
"""Dispositions from least to most severe: the unit gets the most severe any finding needs."""
NO_FAULT = "no_fault_found"


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
        "undetermined",
        f"Failed, and no rule of the diagnosis explains it: {named}. The complaint is not "
        "closed as 'no fault found' over a failed measurement; QA reviews the evidence.",
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
    text = f"None of the {len(judged)} judged measurements failed"
    if marginal:
        text += f" ({len(marginal)} marginal: {', '.join(marginal)})"
    if optional:
        text += f"; not measured, and not required: {', '.join(optional)}"
    if missing:
        text += (
            f", but required tests were not performed ({', '.join(missing)}), so the pack is "
            "not shown to meet its specification"
        )
    text += ": the complaint does not reproduce on the bench."
    evidence = f.refs("voltage_rested", "charge_end", "pack_resistance", "overcurrent_protection")
    return Finding("customer_misjudgement", text, evidence + tuple(missing))


def combined_disposition(found: Sequence[Finding]) -> tuple[str, str]:
    """The unit's disposition from every finding, and the sentence that says why.

    The most severe disposition any finding needs wins (``SEVERITY``), so an aged cell behind a
    deep discharge means new cells, not a recharge. A unit that needs both a new board and new
    cells keeps nothing of the pack: it is scrapped.
    """
    needed = {f.root_cause: OUTCOMES[f.root_cause].disposition for f in found}
    dispositions = set(needed.values())
    listed = ", ".join(f"{cause} ({disposition})" for cause, disposition in needed.items())
    if {"replace_board", "replace_cells"} <= dispositions:
        return "scrap", (
            f"follows from {listed}: both the board and the cells would be replaced, so "
            "nothing of the pack is kept"
        )
    worst = max(dispositions, key=SEVERITY.index)
    if len(needed) == 1:
        return worst, f"follows from {listed}"
    return worst, f"follows from {listed}: the most severe disposition needed wins"


RETURNED_AS_IS = ("recharge_and_return", NO_FAULT)
"""Dispositions that send the pack back with its cells: their health must have been judged."""


def cells_unjudged(f: Facts) -> tuple[str, tuple[str, ...]] | None:
    """Why the cells' health is unknown, and the records that show it (``None``: it was judged).

    A pack that woke from its protection and passed the closed-pack tests goes back whole: the
    cells are not opened, and a recharge that did not start from the under-voltage release is
    no capacity measurement. A worn cell would then not show; the disposition says so instead
    of implying the cells were found good.
    """
    judged = (Verdict.PASS, Verdict.MARGINAL, Verdict.FAIL)
    for name in (*CAPACITY, *f.cells("resistance")):
        if f.view.has(name) and f.view.measurement(name).verdict in judged:
            return None
    skipped = [n for n in CAPACITY if f.view.has(n)]
    why = "; ".join(f"{n} {f.view.measurement(n).comparison}" for n in skipped)
    text = (
        "the cells' health was not judged (no capacity measurement and no cell resistance"
        + (f": {why}" if why else "")
        + "), so a worn cell would not show; the discharge capacity check would judge it"
    )
    return text, f.refs(*skipped)


def customer_advice(facts: Facts, outcomes: Sequence[Outcome]) -> list[str]:
    advice = [o.advice for o in outcomes]
    if facts.text("usage_charger") == "third_party":
        advice.append("Use the original charger or a stable charger of the same rating.")
    if facts.text("usage_temperature") == "hot" or facts.text("usage_location") == "vehicle":
        advice.append("Keep the pack out of hot places such as a parked vehicle.")
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
    unjudged = cells_unjudged(facts) if disposition in RETURNED_AS_IS else None
    if unjudged is not None:
        why = f"{why}; {unjudged[0]}"
        basis = tuple(dict.fromkeys((*everything, *unjudged[1])))
    conclusions = [Conclusion("root_cause", primary.root_cause, primary.explanation, evidence)]
    conclusions.extend(
        Conclusion("contributing", f.root_cause, f.explanation, f.evidence) for f in rest
    )
    conclusions += [
        Conclusion(
            "symptom",
            outcome.symptom,
            f"the complaint category that {primary.root_cause} produces",
            evidence,
        ),
        Conclusion("disposition", disposition, why, basis),
        Conclusion(
            "cause_category",
            outcome.cause_category,
            "proposed for QA to confirm (manual's cause list)",
            evidence + facts.refs("usage_charger", "usage_location", "usage_time_in_use"),
        ),
    ]
    outcomes = [OUTCOMES[f.root_cause] for f in found]
    for text in customer_advice(facts, outcomes):
        conclusions.append(Conclusion("advice", text, "recommendation to the customer", everything))
    return conclusions
