"""The full diagnosis ``Procedure``: the manual's sequence wired to a bench's fixtures.

Disassembly and the bare-board tests run only while the fault is still unexplained: a pack that
woke from its protection and then passed every closed-pack test is explained and goes back whole.
"""

from __future__ import annotations

from procedures.context import RunView
from procedures.diagnosis import board_tests, disassembly, pack_tests, rules, voltage_check
from procedures.diagnosis import capacity as capacity_module
from procedures.diagnosis import cold_resistance as cold_module
from procedures.diagnosis import intake as intake_module
from procedures.diagnosis import wake_recharge as wake_recharge_module
from procedures.diagnosis.board_tests import make_board_tests
from procedures.diagnosis.capacity import make_capacity_check
from procedures.diagnosis.cold_resistance import make_cold_resistance
from procedures.diagnosis.disassembly import make_disassembly
from procedures.diagnosis.fixtures import DiagnosisOptions, FixtureChanger
from procedures.diagnosis.intake import intake
from procedures.diagnosis.pack_tests import make_pack_tests
from procedures.diagnosis.plausibility import matches_spec
from procedures.diagnosis.vocabulary import Measured, Swelling, WakeResponse
from procedures.diagnosis.voltage_check import make_voltage_check
from procedures.diagnosis.wake_recharge import make_wake_recharge
from procedures.engine import Procedure, Step
from procedures.records import Verdict

NAME = "returned-pack-diagnosis"
VERSION = "1.0"


def swollen_on_arrival(view: RunView) -> bool:
    """The operator saw the closed pack bulge (``intake``'s ``pack_swelling``)."""
    name = Measured.PACK_SWELLING
    return view.has(name) and view.measurement(name).text_value == Swelling.PRESENT


def safe_to_energise(view: RunView) -> bool:
    """The pack is its declared spec and not swollen: a swollen cell is neither charged nor
    loaded (it may vent or burn); the opened pack's 1 kHz readings (10 mA AC) are safe."""
    return matches_spec(view) and not swollen_on_arrival(view)


def still_unexplained(view: RunView) -> bool:
    """False once the wake recharge explained the complaint and the closed pack passed (or
    the pack proved not to be its declared spec: nothing after that may run). A swollen pack is
    always opened: the swollen cell is what explains it."""
    if not matches_spec(view):
        return False
    if swollen_on_arrival(view):
        return True
    wake_response = Measured.WAKE_RESPONSE
    wake = view.measurement(wake_response).text_value if view.has(wake_response) else None
    if wake not in (WakeResponse.UNDER_VOLTAGE, WakeResponse.LATCHED):
        return True
    later = [s for s in view.steps if s.name in ("wake_recharge", "capacity_check", "pack_tests")]
    return Verdict.worst([s.verdict for s in later]) > Verdict.MARGINAL


def build_diagnosis(fixtures: FixtureChanger, options: DiagnosisOptions | None = None) -> Procedure:
    """The diagnosis for one returned unit; ``fixtures`` moves it between fixtures."""
    opts = options or DiagnosisOptions()
    capacity = (
        [
            Step(
                "capacity_check",
                make_capacity_check(fixtures, opts),
                run_if=safe_to_energise,
                measures=capacity_module.CHECK_MEASURES,
            )
        ]
        if opts.discharge_capacity_check
        else []
    )
    return Procedure(
        NAME,
        VERSION,
        [
            Step(
                "intake",
                intake,
                description="usage questions of the complaint manual",
                measures=intake_module.MEASURES,
            ),
            Step(
                "voltage_check",
                make_voltage_check(fixtures, opts),
                measures=voltage_check.MEASURES,
            ),
            Step(
                "wake_recharge",
                make_wake_recharge(opts),
                run_if=safe_to_energise,
                measures=wake_recharge_module.MEASURES,
            ),
            *capacity,
            Step(
                "pack_tests",
                make_pack_tests(fixtures, opts),
                run_if=safe_to_energise,
                measures=pack_tests.MEASURES,
            ),
            Step(
                "disassembly",
                make_disassembly(fixtures, opts),
                run_if=still_unexplained,
                measures=disassembly.MEASURES,
            ),
            Step(
                "cold_resistance",
                make_cold_resistance(fixtures, opts),
                run_if=still_unexplained,
                measures=cold_module.MEASURES,
            ),
            Step(
                "board_tests",
                make_board_tests(fixtures, opts),
                run_if=still_unexplained,
                measures=board_tests.MEASURES,
            ),
        ],
        conclude=rules.diagnose,
        description="Returned battery pack diagnosis (complaint manual, issue 4)",
    )
