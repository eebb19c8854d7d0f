"""All supported findings, ranked: every catalogue fault alone, and faults in pairs.

Synthetic runs built from the measurement names and verdicts the diagnosis steps really record
(``wake_recharge/charge_capacity``, ``pack_tests/overcurrent_protection``, ...). Each fault's
signature is applied to a healthy run; a pair applies both. The primary root cause, each
contributing finding (with its evidence) and the disposition that follows from all of them are
checked; over the wire the same names are checked by ``test_diagnosis_matrix``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from test_rules import Run

from procedures.context import RunView
from procedures.diagnosis.rules import OUTCOMES, diagnose, findings
from procedures.diagnosis.skipped import NotMeasured
from procedures.records import MISSING_HEAD, Conclusion
from procedures.specs import SPEC_DIR, PackSpec, load_spec
from simulators.faults import CATALOGUE

Signature = Callable[[Run], None]
RATED_MAH = 5200.0
CAPACITY = {"low": 0.80 * RATED_MAH, "marginal_low": 0.85 * RATED_MAH}


@pytest.fixture(scope="module")
def spec() -> PackSpec:
    return load_spec(SPEC_DIR / "PB-1S2P-18650-5200.toml")


def _zero(run: Run) -> None:
    run.text("voltage_check", "voltage_category_as_received", "zero")
    run.text("voltage_check", "voltage_category", "zero")
    run.number("voltage_check", "voltage_rested", 0.02, "V")


def _no_output(run: Run) -> None:
    run.text("pack_tests", "pack_path", "open", ("closed",))
    run.text("pack_tests", "overcurrent_protection", "no_output", ("tripped",))


def _no_charge(run: Run, probe: float = 0.0) -> None:
    _zero(run)
    run.text("wake_recharge", "wake_response", "no_response")
    run.text("wake_recharge", "charge_end", "no_current")
    run.number("wake_recharge", "diode_probe_current", probe, "A")
    _no_output(run)


def deep_discharge_uv(run: Run) -> None:
    _zero(run)
    run.text("wake_recharge", "wake_response", "under_voltage")
    run.number("wake_recharge", "charge_capacity", 5155.0, "mAh", **CAPACITY)


def mosfet_latched(run: Run) -> None:
    _zero(run)
    run.text("wake_recharge", "wake_response", "latched")


def zero_volt_cell(run: Run) -> None:
    _no_charge(run)
    run.number("disassembly", "cell1_voltage", 0.96, "V", low=1.5)


def internal_short(run: Run) -> None:
    _zero(run)
    run.text("wake_recharge", "wake_response", "under_voltage")
    run.text("wake_recharge", "charge_end", "cut_off")
    run.number("wake_recharge", "voltage_fall_under_charge", 0.58, "V", high=0.05)
    _no_output(run)
    run.number("disassembly", "cell1_voltage", 0.0, "V", low=1.5)


def aged_cell(run: Run) -> None:
    run.number("disassembly", "cell1_resistance", 22, "mohm", marginal_high=18.75, high=25)


def aged_capacity(run: Run) -> None:
    """An aged cell seen only through the discharge capacity check (no disassembly)."""
    run.number("capacity_check", "discharge_capacity", 3510.0, "mAh", **CAPACITY)


def series_imbalance(run: Run) -> None:
    run.number("disassembly", "cell_voltage_spread", 0.4, "V", high=0.1)


def open_fuse(run: Run) -> None:
    _no_charge(run)
    run.text("board_tests", "board_output", "none", ("through",))
    run.text("board_tests", "board_loop", "open", ("closed",))


def discharge_fet_open(run: Run) -> None:
    _no_charge(run, probe=0.26)
    run.text("board_tests", "board_output", "none", ("through",))


def charge_fet_open(run: Run) -> None:
    _no_charge(run)
    run.text("board_tests", "board_output", "diode_drop", ("through",))


def charge_fet_short(run: Run) -> None:
    run.text("pack_tests", "overcurrent_protection", "not_tripped", ("tripped",))
    run.text("board_tests", "board_overcharge_cut", "not_cut", ("cut",))


def overcurrent_protection_failed(run: Run) -> None:
    run.text("pack_tests", "overcurrent_protection", "not_tripped", ("tripped",))
    run.text("board_tests", "board_overcurrent_protection", "not_tripped", ("tripped",))


def discharge_fet_short(run: Run) -> None:
    run.text("pack_tests", "overcurrent_protection", "not_tripped", ("tripped",))
    run.text("board_tests", "board_overdischarge_cut", "not_cut", ("cut",))


def high_self_discharge(run: Run) -> None:
    run.number("pack_tests", "self_discharge_rate", 60, "mV/d", high=4.8)


def soft_short_heating(run: Run) -> None:
    """Arrived charged, heated past the charge temperature limit (the watch stopped the run)."""
    run.number("wake_recharge", "charge_temperature", 47.3, "degC", high=45.0)


def load_held_overcurrent(run: Run) -> None:
    run.text("voltage_check", "voltage_category_as_received", "zero")


def healthy(run: Run) -> None:
    return None


def parallel_cell_aged(run: Run) -> None:
    """One cell of the pair worn: the opened pack reads it alone against a single cell's limits."""
    run.number("disassembly", "cell1_resistance", 44, "mohm", marginal_high=37.5, high=50)


def lithium_plating(run: Run) -> None:
    """At the bench's 25 °C: 1.5x new resistance (within the warn limit), nothing failed; soaked
    at 0 °C the plated cell reads 5.7x its warm value where a healthy one doubles."""
    run.number("disassembly", "cell1_resistance", 30, "mohm", marginal_high=37.5, high=50)
    run.number("disassembly", "cell2_resistance", 20, "mohm", marginal_high=37.5, high=50)
    run.number("cold_resistance", "cold_start_temperature", 25.0, "degC")
    run.number("cold_resistance", "cold_soak_temperature", 0.9, "degC", low=-1.0, high=1.0)
    cold = {"nominal": 58.7, "marginal_high": 76.3, "high": 93.9}
    run.number("cold_resistance", "cell1_cold_resistance", 170.5, "mohm", **cold)
    healthy = {"nominal": 39.1, "marginal_high": 50.9, "high": 62.6}
    run.number("cold_resistance", "cell2_cold_resistance", 38.8, "mohm", **healthy)


def swollen_cell(run: Run) -> None:
    """The operator's bulge on the closed pack, then on the opened cell 1, which reads 2.5x its
    new resistance (the pack was neither charged nor loaded)."""
    run.text("intake", "pack_swelling", "present", ("none",))
    run.text("disassembly", "cell_swelling", "present", ("none",))
    run.text("disassembly", "cell1_swelling", "present", ("none",))
    run.text("disassembly", "cell2_swelling", "none", ("none",))
    run.number("disassembly", "cell1_resistance", 50.5, "mohm", marginal_high=37.5, high=50)


SIGNATURES: dict[str, Signature] = {
    "healthy": healthy,
    "deep_discharge_uv": deep_discharge_uv,
    "mosfet_latched": mosfet_latched,
    "zero_volt_cell": zero_volt_cell,
    "internal_short": internal_short,
    "aged_cell": aged_cell,
    "series_imbalance": series_imbalance,
    "open_fuse": open_fuse,
    "discharge_fet_open": discharge_fet_open,
    "charge_fet_short": charge_fet_short,
    "overcurrent_protection_failed": overcurrent_protection_failed,
    "high_self_discharge": high_self_discharge,
    "charge_fet_open": charge_fet_open,
    "discharge_fet_short": discharge_fet_short,
    "soft_short_heating": soft_short_heating,
    "load_held_overcurrent": load_held_overcurrent,
    "parallel_cell_soft_short": soft_short_heating,
    "parallel_cell_aged": parallel_cell_aged,
    "lithium_plating": lithium_plating,
    "swollen_cell": swollen_cell,
}
NOT_YET_TOLD_APART: dict[str, str] = {}
"""Catalogue faults whose answer key the diagnosis cannot reach yet, and why (xfail)."""


def diagnosis(run: Run) -> dict[str, list[Conclusion]]:
    out: dict[str, list[Conclusion]] = {}
    for c in diagnose(RunView(run.state)):
        out.setdefault(c.kind, []).append(c)
    return out


def values(found: dict[str, list[Conclusion]], kind: str) -> list[str]:
    return [c.value for c in found.get(kind, [])]


def test_every_catalogue_fault_has_a_signature() -> None:
    assert set(SIGNATURES) == set(CATALOGUE)


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(f, marks=pytest.mark.xfail(reason=NOT_YET_TOLD_APART[f], strict=True))
        if f in NOT_YET_TOLD_APART
        else f
        for f in sorted(CATALOGUE)
    ],
)
def test_every_catalogue_fault_alone(spec: PackSpec, fault: str) -> None:
    run = Run(spec).healthy()
    SIGNATURES[fault](run)
    found = diagnosis(run)
    expected = CATALOGUE[fault]
    assert values(found, "root_cause") == [expected.expected_root_cause]
    assert values(found, "contributing") == []
    assert values(found, "disposition") == [expected.expected_disposition]
    assert values(found, "symptom") == [expected.symptom]
    for items in found.values():
        for item in items:
            assert item.evidence, f"{item.kind} {item.value} cites nothing"


PAIRS: list[tuple[tuple[str, str], str, str, str]] = [
    # (faults, primary, contributing, disposition)
    (
        ("deep_discharge_uv", "aged_cell"),
        "cell_aged_high_resistance",
        "over_discharge_in_storage",
        "replace_cells",
    ),
    (
        # a worn cell outranks the spread between series cells (``RULES``)
        ("aged_cell", "series_imbalance"),
        "cell_aged_high_resistance",
        "cell_imbalance",
        "replace_cells",
    ),
    (
        ("charge_fet_short", "aged_cell"),
        "charge_mosfet_shorted",
        "cell_aged_high_resistance",
        "scrap",
    ),
    (("open_fuse", "aged_cell"), "fuse_open", "cell_aged_high_resistance", "replace_cells"),
    (
        ("high_self_discharge", "aged_cell"),
        "cell_aged_high_resistance",
        "cell_high_self_discharge",
        "replace_cells",
    ),
    (
        ("mosfet_latched", "aged_capacity"),
        "cell_aged_high_resistance",
        "protection_latched",
        "replace_cells",
    ),
    (
        ("overcurrent_protection_failed", "aged_cell"),
        "overcurrent_protection_failed",
        "cell_aged_high_resistance",
        "scrap",
    ),
    (
        ("load_held_overcurrent", "aged_cell"),
        "cell_aged_high_resistance",
        "device_overcurrent",
        "replace_cells",
    ),
    (
        ("discharge_fet_short", "aged_cell"),
        "discharge_mosfet_shorted",
        "cell_aged_high_resistance",
        "scrap",
    ),
    (("charge_fet_open", "aged_cell"), "charge_mosfet_open", "cell_aged_high_resistance", "scrap"),
    (
        ("deep_discharge_uv", "charge_fet_short"),
        "charge_mosfet_shorted",
        "over_discharge_in_storage",
        "replace_board",
    ),
    (
        ("deep_discharge_uv", "series_imbalance"),
        "cell_imbalance",
        "over_discharge_in_storage",
        "replace_cells",
    ),
    (("charge_fet_short", "series_imbalance"), "charge_mosfet_shorted", "cell_imbalance", "scrap"),
    (
        ("mosfet_latched", "high_self_discharge"),
        "cell_high_self_discharge",
        "protection_latched",
        "replace_cells",
    ),
    (("open_fuse", "series_imbalance"), "fuse_open", "cell_imbalance", "replace_cells"),
    (
        # a swollen cell is a hazard: it outranks a board fault, and scraps the pack
        ("charge_fet_short", "swollen_cell"),
        "cell_swollen",
        "charge_mosfet_shorted",
        "scrap",
    ),
]
PAIR_SIGNATURES: dict[str, Signature] = {**SIGNATURES, "aged_capacity": aged_capacity}


@pytest.mark.parametrize(
    ("faults", "primary", "contributing", "disposition"),
    PAIRS,
    ids=["+".join(p[0]) for p in PAIRS],
)
def test_fault_pairs_name_the_primary_and_the_contributing_finding(
    spec: PackSpec, faults: tuple[str, str], primary: str, contributing: str, disposition: str
) -> None:
    run = Run(spec).healthy()
    for fault in faults:
        PAIR_SIGNATURES[fault](run)
    found = diagnosis(run)
    assert values(found, "root_cause") == [primary]
    assert values(found, "contributing") == [contributing]
    assert values(found, "disposition") == [disposition]
    (cause,) = found["contributing"]
    assert cause.evidence and cause.explanation
    (decided,) = found["disposition"]
    assert primary in decided.explanation and contributing in decided.explanation
    # the disposition rests on the evidence of both findings
    assert set(found["root_cause"][0].evidence) <= set(decided.evidence)
    assert set(cause.evidence) <= set(decided.evidence)
    # advice for both causes reaches the customer
    advice = values(found, "advice")
    assert OUTCOMES[primary].advice in advice and OUTCOMES[contributing].advice in advice


def test_there_are_at_least_ten_pairs_the_catalogue_does_not_combine() -> None:
    assert len({p[0] for p in PAIRS}) >= 10


def test_an_aged_cell_behind_a_deep_discharge_is_judged_by_its_capacity(spec: PackSpec) -> None:
    run = Run(spec).healthy()
    deep_discharge_uv(run)
    run.number("wake_recharge", "charge_capacity", 3590.0, "mAh", **CAPACITY)
    found = diagnosis(run)
    assert values(found, "root_cause") == ["cell_aged_high_resistance"]
    assert values(found, "contributing") == ["over_discharge_in_storage"]
    assert values(found, "disposition") == ["replace_cells"]
    assert "wake_recharge/charge_capacity" in found["root_cause"][0].evidence
    assert "charge_capacity" in found["root_cause"][0].explanation


def test_a_consequence_is_not_reported_as_a_second_cause(spec: PackSpec) -> None:
    run = Run(spec).healthy()
    deep_discharge_uv(run)
    high_self_discharge(run)
    found = diagnosis(run)
    # a cell that loses its charge at rest is why the pack went flat: one cause, not two
    assert values(found, "root_cause") == ["cell_high_self_discharge"]
    assert values(found, "contributing") == []


def test_a_failure_no_rule_explains_is_never_no_fault_found(spec: PackSpec) -> None:
    run = Run(spec).healthy()
    run.number("board_tests", "board_loop_resistance", 67.2, "mohm", high=65)
    found = diagnosis(run)
    assert values(found, "root_cause") == ["undetermined"]
    assert "no_fault_found" not in values(found, "disposition")
    (root,) = found["root_cause"]
    assert root.evidence == ("board_tests/board_loop_resistance",)
    assert "board_loop_resistance" in root.explanation and "above high limit" in root.explanation


def test_a_no_fault_finding_beside_an_unexplained_failure_yields_to_it(spec: PackSpec) -> None:
    run = Run(spec).healthy()
    load_held_overcurrent(run)
    run.number("board_tests", "board_loop_resistance", 67.2, "mohm", high=65)
    found = diagnosis(run)
    assert values(found, "root_cause") == ["undetermined"]
    assert values(found, "contributing") == ["device_overcurrent"]


def test_no_fault_found_says_what_was_judged_and_what_is_missing(spec: PackSpec) -> None:
    run = Run(spec).healthy()
    (root,) = diagnosis(run)["root_cause"]
    assert root.value == "customer_misjudgement"
    assert root.explanation.startswith("None of the ")
    assert "not performed" not in root.explanation
    optional = NotMeasured("charge_temperature", "no thermometer")
    run.state.latest["charge_temperature"] = ("wake_recharge", optional.validate("not_measured"))
    (root,) = diagnosis(run)["root_cause"]
    assert "not measured, and not required: charge_temperature" in root.explanation
    missing = NotMeasured("short_circuit_protection", "no short function", required=True)
    run.state.latest["short_circuit_protection"] = (
        "pack_tests",
        missing.validate("not_measured"),
    )
    (root,) = diagnosis(run)["root_cause"]
    assert root.value == "customer_misjudgement"
    assert "required tests were not performed" in root.explanation
    assert "pack_tests/short_circuit_protection" in root.evidence
    assert "not shown to meet its specification" in root.explanation
    assert MISSING_HEAD in missing.validate("not_measured").comparison


def test_findings_are_ranked_by_the_rule_order(spec: PackSpec) -> None:
    run = Run(spec).healthy()
    for fault in ("aged_cell", "charge_fet_short", "deep_discharge_uv"):
        SIGNATURES[fault](run)
    ranked = [f.root_cause for f in findings(RunView(run.state))]
    assert ranked == [
        "charge_mosfet_shorted",
        "cell_aged_high_resistance",
        "over_discharge_in_storage",
    ]


@pytest.mark.parametrize(
    ("worn_voltage", "expected_contributing"),
    [(3.64, []), (3.05, ["cell_imbalance"])],
    ids=["worn_cell_on_top", "worn_cell_lagging"],
)
def test_a_spread_topped_by_the_worn_cell_is_its_consequence(
    worn_voltage: float, expected_contributing: list[str]
) -> None:
    """A cell that lost capacity fills first, ending the charge with the others lower: that
    spread is cited by the worn cell; a spread with a good cell on top is an imbalance too."""
    lfp = load_spec(SPEC_DIR / "PB-4S1P-26650-LFP.toml")
    run = Run(lfp).healthy()
    for index in range(4):
        worn = index == 0
        run.number(
            "disassembly",
            f"cell{index + 1}_resistance",
            31.7 if worn else 14.3,
            "mohm",
            marginal_high=27,
            high=36,
        )
        run.number(
            "disassembly", f"cell{index + 1}_voltage", worn_voltage if worn else 3.32, "V", low=1.5
        )
    run.number("disassembly", "cell_voltage_spread", abs(worn_voltage - 3.32), "V", high=0.1)
    found = diagnosis(run)
    assert values(found, "root_cause") == ["cell_aged_high_resistance"]
    assert values(found, "contributing") == expected_contributing
    cited = {ref for c in found["root_cause"] + found.get("contributing", []) for ref in c.evidence}
    assert "disassembly/cell_voltage_spread" in cited


def test_a_pack_returned_with_unjudged_cells_says_so_in_its_disposition(spec: PackSpec) -> None:
    run = Run(spec).healthy()
    mosfet_latched(run)
    del run.state.latest["cell1_resistance"]  # the pack went back whole: never opened
    skipped = NotMeasured("charge_capacity", "the recharge did not start from the release")
    run.state.latest["charge_capacity"] = ("wake_recharge", skipped.validate("not_measured"))
    (decided,) = diagnosis(run)["disposition"]
    assert decided.value == "recharge_and_return"
    assert "cells' health was not judged" in decided.explanation
    assert "charge_capacity" in decided.explanation
    assert "wake_recharge/charge_capacity" in decided.evidence
    deep_discharge_uv(run)  # a complete charge from the release judged the capacity
    (decided,) = diagnosis(run)["disposition"]
    assert "not judged" not in decided.explanation


@pytest.mark.parametrize("fault", ["open_fuse", "charge_fet_open", "internal_short"])
def test_the_failures_a_fault_causes_are_cited_by_its_finding(spec: PackSpec, fault: str) -> None:
    """An open path also fails the closed pack's output: the finding that explains it cites it."""
    run = Run(spec).healthy()
    SIGNATURES[fault](run)
    (root,) = diagnosis(run)["root_cause"]
    assert root.value == CATALOGUE[fault].expected_root_cause
    assert {"pack_tests/pack_path", "pack_tests/overcurrent_protection"} <= set(root.evidence)
    assert "It also explains the failed pack_path, overcurrent_protection" in root.explanation


def test_a_protection_a_board_fault_defeats_is_cited_by_it(spec: PackSpec) -> None:
    run = Run(spec).healthy()
    charge_fet_short(run)
    (root,) = diagnosis(run)["root_cause"]
    assert root.value == "charge_mosfet_shorted"
    assert "pack_tests/overcurrent_protection" in root.evidence


def test_a_bulge_within_electrical_limits_is_still_a_swollen_cell_scrapped(spec: PackSpec) -> None:
    """The operator's bulge decides (a hazard); the finding says the readings stayed in limits."""
    run = Run(spec).healthy()
    run.text("disassembly", "cell_swelling", "present", ("none",))
    run.text("disassembly", "cell1_swelling", "present", ("none",))
    found = diagnosis(run)
    assert values(found, "root_cause") == ["cell_swollen"]
    assert values(found, "disposition") == ["scrap"]
    assert values(found, "symptom") == ["dimensions"]
    (root,) = found["root_cause"]
    assert "within their limits" in root.explanation
    assert {"disassembly/cell_swelling", "disassembly/cell1_swelling"} <= set(root.evidence)
    assert "disassembly/cell1_resistance" in root.evidence


def test_the_swollen_cells_resistance_is_its_evidence_a_worn_neighbour_contributes(
    spec: PackSpec,
) -> None:
    run = Run(spec).healthy()
    swollen_cell(run)
    run.number("disassembly", "cell2_resistance", 40, "mohm", marginal_high=37.5, high=50)
    found = diagnosis(run)
    assert values(found, "root_cause") == ["cell_swollen"]
    assert values(found, "contributing") == ["cell_aged_high_resistance"]
    (root,) = found["root_cause"]
    (worn,) = found["contributing"]
    assert "disassembly/cell1_resistance" in root.evidence
    assert "cell1_resistance 50.5" in root.explanation
    assert "disassembly/cell1_resistance" not in worn.evidence
    assert "disassembly/cell2_resistance" in worn.evidence


def test_no_bulge_seen_leaves_a_high_resistance_cell_an_aged_one(spec: PackSpec) -> None:
    """Electrically a swollen cell reads worn: without the operator's bulge it is not swollen."""
    run = Run(spec).healthy()
    run.number("disassembly", "cell1_resistance", 50.5, "mohm", marginal_high=37.5, high=50)
    assert values(diagnosis(run), "root_cause") == ["cell_aged_high_resistance"]


def test_a_plated_cells_lost_capacity_is_cited_by_the_plating_not_a_worn_finding(
    spec: PackSpec,
) -> None:
    """The lithium plated is the capacity lost: one finding, citing both."""
    run = Run(spec).healthy()
    deep_discharge_uv(run)
    lithium_plating(run)
    run.number("wake_recharge", "charge_capacity", 4114.0, "mAh", **CAPACITY)
    found = diagnosis(run)
    assert values(found, "root_cause") == ["cell_lithium_plating"]
    assert values(found, "contributing") == ["over_discharge_in_storage"]
    (root,) = found["root_cause"]
    assert "wake_recharge/charge_capacity" in root.evidence
    assert "cold_resistance/cell1_cold_resistance" in root.evidence


def test_a_cold_reading_within_the_healthy_growth_is_no_plating(spec: PackSpec) -> None:
    run = Run(spec).healthy()
    lithium_plating(run)
    cold = {"nominal": 58.7, "marginal_high": 76.3, "high": 93.9}
    run.number("cold_resistance", "cell1_cold_resistance", 60.1, "mohm", **cold)
    assert values(diagnosis(run), "root_cause") == ["customer_misjudgement"]
