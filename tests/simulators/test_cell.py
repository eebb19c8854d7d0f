"""Cell physics: OCV tables, Thevenin dynamics, heat, and charge conservation."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulators.fixtures import SimulatedBench, build_bench
from simulators.physics.cell import Cell, CellParameters
from simulators.physics.ocv import SOC_AT_ZERO_VOLT, curve
from simulators.physics.parameters import DEFAULT_PACK


def _cell(**changes: float) -> Cell:
    """A cell with fixed (not fitted) dynamics, so the numbers below follow by hand."""
    parameters = CellParameters(
        capacity_ah=2.6,
        r0=0.02,
        r1=0.012,
        tau1=15.0,
        r2=0.016,
        tau2=400.0,
        self_discharge_current=0.0,
        fitted=False,
    )
    for name, value in changes.items():
        parameters = CellParameters(**{**parameters.__dict__, name: value})
    return Cell(parameters, curve("NMC"), soc=0.5)


@pytest.mark.parametrize("chemistry", ["NMC", "LCO", "LFP"])
def test_ocv_is_monotonic_over_the_whole_range(chemistry: str) -> None:
    ocv = curve(chemistry)  # type: ignore[arg-type]
    socs = [SOC_AT_ZERO_VOLT + k * 0.001 for k in range(1200)]
    values = [ocv.voltage(s) for s in socs]
    assert all(b >= a for a, b in itertools.pairwise(values))


def test_nmc_and_lco_span_the_3_to_4v2_window_and_lco_sits_higher_mid_soc() -> None:
    nmc, lco = curve("NMC"), curve("LCO")
    assert nmc.voltage(1.0) == pytest.approx(4.2, abs=0.01)
    assert 3.0 < nmc.voltage(0.03) < 3.2
    assert 0.03 <= lco.voltage(0.5) - nmc.voltage(0.5) <= 0.08
    assert lco.voltage(1.0) == pytest.approx(4.2, abs=0.01)


def test_lfp_is_flat_between_3v25_and_3v35_over_most_of_its_charge() -> None:
    lfp = curve("LFP")
    for soc in (0.3, 0.5, 0.7, 0.9):
        assert 3.25 <= lfp.voltage(soc) <= 3.35
    assert lfp.voltage(1.0) == pytest.approx(3.6, abs=0.05)


def test_deep_discharge_extrapolates_to_zero_volts_so_a_1v_cell_exists() -> None:
    nmc = curve("NMC")
    assert nmc.voltage(SOC_AT_ZERO_VOLT) == 0.0
    soc = nmc.soc_at(1.0)
    assert SOC_AT_ZERO_VOLT < soc < 0.0
    assert nmc.voltage(soc) == pytest.approx(1.0, abs=1e-6)


def test_overcharged_cell_passes_4v3() -> None:
    assert curve("NMC").voltage(1.12) > 4.3


def test_current_step_shows_ohmic_jump_then_rc_polarisation_then_relaxation() -> None:
    cell = _cell()
    rest = cell.terminal_voltage(0.0)
    assert cell.terminal_voltage(2.0) - rest == pytest.approx(2.0 * 0.02, rel=1e-9)
    for _ in range(60):
        cell.step(2.0, 1.0)
    loaded = cell.terminal_voltage(2.0)
    assert loaded - cell.ocv() > 2.0 * 0.02 + 0.02  # RC pairs charged up
    relaxed_start = cell.terminal_voltage(0.0)
    for _ in range(3600):
        cell.step(0.0, 1.0)
    assert cell.terminal_voltage(0.0) < relaxed_start - 0.01
    assert cell.terminal_voltage(0.0) == pytest.approx(cell.ocv(), abs=0.003)


def test_i2r_heats_the_cell_and_it_cools_back_to_ambient() -> None:
    cell = _cell(r0=0.05)
    for _ in range(1800):
        cell.step(5.0, 1.0)
    hot = cell.temperature_c
    assert hot > 26.0
    assert cell.ac_resistance() < 0.05  # warmer cells read lower
    for _ in range(4 * 3600):
        cell.step(0.0, 1.0)
    assert cell.temperature_c == pytest.approx(25.0, abs=0.1)


def test_internal_short_drains_and_heats_a_resting_cell() -> None:
    cell = _cell(leak_resistance=3.0)
    start = cell.ocv()
    for _ in range(3600):
        cell.step(0.0, 1.0)
    assert start - cell.ocv() > 0.05
    assert cell.temperature_c > 30.0


@settings(max_examples=12, deadline=None)
@given(
    start_voltage=st.floats(2.8, 3.8),
    current=st.floats(0.5, 4.0),
    cv=st.floats(4.0, 4.2),
    steps=st.lists(st.floats(1.0, 9.0), min_size=1, max_size=8),
)
def test_coulomb_count_matches_state_of_charge_over_a_full_charge(
    start_voltage: float, current: float, cv: float, steps: list[float]
) -> None:
    """Integrating the current the source reports must equal the charge the cells gained."""
    bench = build_bench()
    bench.set_cell_state(0, voltage=start_voltage)
    cell = bench.pack.cells[0]
    before = cell.charge_ah
    source = bench.source_channel(1)
    source.voltage, source.current_limit, source.output_on = cv, current, True
    delivered = 0.0
    k = 0
    while bench.time < 4 * 3600:
        output = bench.source_output(1)
        if output.mode == "CV" and output.current < 0.05 * 5.2:
            break
        dt = steps[k % len(steps)]
        k += 1
        delivered += output.current * dt / 3600.0
        bench.advance(dt)
    gained = cell.charge_ah - before
    assert delivered > 0.5
    assert gained == pytest.approx(delivered, rel=0.005)
    assert math.isclose(cell.coulombs_in_ah, delivered, rel_tol=0.005)


def _fitted(chemistry: str, soc: float, **changes: float) -> Cell:
    parameters = CellParameters(
        capacity_ah=2.6,
        r0=0.02,
        r1=0.0,
        tau1=1.0,
        r2=0.0,
        tau2=1.0,
        self_discharge_current=0.0,
    )
    parameters = CellParameters(**{**parameters.__dict__, **changes})
    return Cell(parameters, curve(chemistry), soc=soc)  # type: ignore[arg-type]


@pytest.mark.parametrize("chemistry", ["NMC", "LCO", "LFP"])
def test_dc_resistance_is_fitted_and_distinct_from_the_1khz_reading(chemistry: str) -> None:
    cell = _fitted(chemistry, 0.5)
    assert cell.ac_resistance() == pytest.approx(0.02)
    r0, _r1, tau1, _r2, tau2 = cell.dc_parameters()
    assert r0 != pytest.approx(0.02, rel=0.05)
    assert cell.dc_resistance(10.0) > r0 > 0.0
    assert tau1 < tau2
    assert cell.terminal_voltage(1.0) - cell.emf() == pytest.approx(min(r0, 0.02))


def test_a_step_meets_the_ohmic_part_at_once_and_the_full_r0_within_milliseconds() -> None:
    """A short cut in 300 us sees the 1 kHz resistance; a 0.1 s pulse the fitted DC R0."""
    cell = _fitted("NMC", 0.5)
    rest = cell.emf()
    r0 = cell.dc_parameters()[0]
    assert r0 > 0.02
    assert cell.terminal_voltage(-5.0) == pytest.approx(rest - 5.0 * 0.02)
    cell.step(-5.0, 300e-6)
    assert rest - cell.terminal_voltage(-5.0) < 5.0 * (0.02 + 0.1 * (r0 - 0.02))
    cell.step(-5.0, 0.1)
    assert rest - cell.terminal_voltage(-5.0) == pytest.approx(5.0 * r0, rel=0.02)


def test_dc_resistance_scales_with_capacity_and_ageing_but_not_with_fade() -> None:
    small = _fitted("NMC", 0.5).dc_resistance(10.0)
    assert _fitted("NMC", 0.5, capacity_ah=5.2).dc_resistance(10.0) == pytest.approx(small / 2)
    aged = _fitted("NMC", 0.5, resistance_factor=2.0).dc_resistance(10.0)
    assert aged == pytest.approx(2 * small)
    faded = _fitted("NMC", 0.5, capacity_ah=2.0, nominal_capacity_ah=2.6)
    assert faded.dc_resistance(10.0) == pytest.approx(small)


def test_dc_resistance_depends_on_soc_and_temperature() -> None:
    low, middle = _fitted("LFP", 0.2), _fitted("LFP", 0.5)
    assert low.dc_resistance(10.0) > 1.05 * middle.dc_resistance(10.0)
    cold = _fitted("NMC", 0.5, ambient_c=10.0)
    warm = _fitted("NMC", 0.5)
    assert cold.dc_parameters()[0] > 1.1 * warm.dc_parameters()[0]


def test_soc_moves_the_tables_when_a_test_sets_it() -> None:
    cell = _fitted("LFP", 0.5)
    before = cell.dc_parameters()
    cell.soc = 0.2
    assert cell.dc_parameters() != before


def test_lfp_rests_higher_after_charge_than_after_discharge_nmc_does_not() -> None:
    def rested(chemistry: str, current: float) -> float:
        cell = _fitted(chemistry, 0.5, thermal_resistance=0.0)
        for _ in range(600):
            cell.step(current, 1.0)
        for _ in range(3 * 3600):
            cell.step(0.0, 1.0)
        return cell.emf() - cell.ocv()

    assert rested("LFP", 1.3) == pytest.approx(0.007, abs=0.002)
    assert rested("LFP", -1.3) == pytest.approx(-0.007, abs=0.002)
    assert rested("NMC", 1.3) == pytest.approx(0.0, abs=1e-3)


def test_heat_is_the_irreversible_loss_and_warms_the_thermal_mass() -> None:
    cell = _fitted("NMC", 0.5)
    cell.step(2.6, 1.0)
    assert cell.heat_w == pytest.approx(2.6 * 2.6 * 0.02, rel=0.01)  # from rest: ohmic
    for _ in range(30):
        cell.step(2.6, 1.0)
    assert cell.heat_w > 2.6 * 2.6 * cell.dc_parameters()[0]  # all of R0, and the RC pairs
    for _ in range(3600):
        cell.step(2.6, 1.0)
    warm = cell.temperature_c
    assert warm > 26.0
    isothermal = _fitted("NMC", 0.5, thermal_resistance=0.0)
    for _ in range(600):
        isothermal.step(2.6, 1.0)
    assert isothermal.temperature_c == 25.0


def _recharge_hours(dynamics: str) -> tuple[float, float]:
    """CC and CV hours of a 0.5C recharge of the default pack from 3.0 V, in 10 s steps."""
    parameters = dataclasses.replace(DEFAULT_PACK, cell_dynamics=dynamics)  # type: ignore[arg-type]
    bench = SimulatedBench(parameters)
    bench.set_cell_state(0, voltage=3.0)
    source = bench.source_channel(1)
    source.voltage, source.current_limit, source.output_on = 4.2, 2.6, True
    cc_end = math.nan
    while bench.time < 6 * 3600:
        output = bench.source_output(1)
        if output.mode == "CV" and math.isnan(cc_end):
            cc_end = bench.time
        if output.mode == "CV" and output.current < 0.05 * 5.2:
            break
        bench.advance(10.0)
    return cc_end / 3600, (bench.time - cc_end) / 3600


def test_the_bench_runs_the_fitted_cells_and_their_cv_taper_is_longer() -> None:
    """The fitted DC resistance (about 2.5x the 1 kHz figure) stretches CV, as the DFN does."""
    fixed_cc, fixed_cv = _recharge_hours("fixed")
    fitted_cc, fitted_cv = _recharge_hours("fitted")
    assert fitted_cc < fixed_cc
    assert fitted_cv > 1.3 * fixed_cv
    assert 1.8 < fitted_cc + fitted_cv < 4.0


def test_lfp_surface_runs_ahead_where_its_ocv_is_steep_and_settles_at_rest() -> None:
    """Solid diffusion (the LFP fit's lead): charging from near empty lifts the voltage by the
    OCV of a surface SOC ahead of the mean, which R(SOC) could not do at two rates; on the flat
    plateau the same lead costs next to nothing, and at rest the surface catches up."""
    low = _fitted("LFP", 0.03, thermal_resistance=0.0)
    for _ in range(120):
        low.step(2.6, 1.0)  # 1C
    assert low.diffusion_overpotential() > 0.05
    assert low.emf() - low.ocv() > low.diffusion_overpotential()
    for _ in range(1800):
        low.step(0.0, 1.0)
    assert abs(low.diffusion_overpotential()) < 1e-3
    middle = _fitted("LFP", 0.5, thermal_resistance=0.0)
    for _ in range(120):
        middle.step(2.6, 1.0)
    assert 0.0 < middle.diffusion_overpotential() < 0.005
    nmc = _fitted("NMC", 0.03, thermal_resistance=0.0)
    for _ in range(120):
        nmc.step(2.6, 1.0)
    assert nmc.diffusion_overpotential() == 0.0  # NMC is fitted without it


def _charge_overpotential(chemistry: str, soc: float, current: float) -> float:
    """Series overpotential (R0 and charge transfer) after one 1 s step of ``current`` from rest:
    the RC pairs and the diffusion lead have barely moved, so this is the instantaneous part."""
    cell = _fitted(chemistry, soc, thermal_resistance=0.0)
    cell.step(current, 1.0)
    return cell.terminal_voltage(current) - cell.emf()


def test_lfp_charge_transfer_grows_with_the_log_of_the_current_near_empty_nmc_is_linear() -> None:
    """Butler-Volmer kinetics (the LFP fit's exchange current): near empty, where the exchange
    current is small, doubling the current adds far less than double the overpotential, as the
    DFN's does (its jump at t = 0 of a charge from empty: 1.45x from 0.5C to 1C); every other
    part of the model is linear in the current over one second. NMC has no such term."""
    for soc in (0.03, 0.05, 0.1):  # where the DFN charges from 2.5 V start and climb
        half, full = (_charge_overpotential("LFP", soc, i) for i in (1.3, 2.6))
        assert 0.0 < half < full < 1.75 * half
    half, full = (_charge_overpotential("NMC", 0.02, i) for i in (1.3, 2.6))
    assert full == pytest.approx(2.0 * half, rel=1e-9)


def test_the_linear_view_of_the_kinetics_is_exact_at_a_steady_current() -> None:
    """The circuit solves ``emf + r0() * I``; with nonlinear kinetics ``r0()`` carries their
    chord at the last step's current, so under a held current it agrees with the exact
    terminal voltage, and a parallel group's step response does too."""
    cell = _fitted("LFP", 0.03, thermal_resistance=0.0)
    for _ in range(5):
        cell.step(1.3, 2.0)
    assert cell.emf() + cell.r0() * 1.3 == pytest.approx(cell.terminal_voltage(1.3), abs=1e-9)
    assert cell.terminal_voltage(2.6) - cell.terminal_voltage(1.3) < cell.r0() * 1.3
    emf, resistance = cell.step_response(2.0)
    assert emf + resistance * 1.3 == pytest.approx(cell.terminal_voltage(1.3), abs=0.01)


def test_kinetics_must_name_the_tables_temperatures_and_positive_exchange_currents() -> None:
    from simulators.physics.cell_tables import FITTED_FILE, build

    entry = json.loads(FITTED_FILE.read_text())["chemistries"]["LFP"]
    assert build("LFP", entry).exchange_c_rate(0.02, 25.0) > 0.0
    wrong = {**entry, "kinetics": {**entry["kinetics"], "exchange_c": {"25": [1.0, 1.0]}}}
    with pytest.raises(ValueError, match="same temperatures"):
        build("LFP", wrong)
    keys = list(entry["kinetics"]["exchange_c"])
    zero = {k: [0.0] * len(entry["kinetics"]["soc"]) for k in keys}
    with pytest.raises(ValueError, match="exchange_c must be > 0"):
        build("LFP", {**entry, "kinetics": {**entry["kinetics"], "exchange_c": zero}})
    nmc = json.loads(FITTED_FILE.read_text())["chemistries"]["NMC"]
    assert build("NMC", nmc).exchange_c_rate(0.02, 25.0) == 0.0
