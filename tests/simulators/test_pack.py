"""The pack as built from a spec file: series/parallel, chemistry, resistance budget."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from simulators.fixtures import build_bench
from simulators.physics.pack import CellCondition, Pack
from simulators.physics.parameters import DEFAULT_PACK, CellDynamics, PackParameters
from simulators.spec_file import load_pack_parameters

REFERENCE = Path(__file__).parents[2] / "procedures" / "specs" / "PB-1S2P-18650-5200.toml"


def _spec(tmp_path: Path, **replace: str) -> Path:
    text = REFERENCE.read_text()
    for old, new in replace.items():
        assert old in text or old.replace("_", " ") in text, old
        text = text.replace(old, new)
    path = tmp_path / "spec.toml"
    path.write_text(text)
    return path


def test_built_in_default_equals_the_reference_spec_file() -> None:
    assert load_pack_parameters(REFERENCE) == DEFAULT_PACK


def test_4s_lfp_pack_sums_its_cells_and_keeps_per_cell_thresholds(tmp_path: Path) -> None:
    path = _spec(
        tmp_path,
        **{
            'chemistry = "NMC"': 'chemistry = "LFP"',
            "series = 1": "series = 4",
            "parallel = 2": "parallel = 1",
            'overcharge_detect = "4.30 V"': 'overcharge_detect = "3.75 V"',
            'overcharge_release = "4.10 V"': 'overcharge_release = "3.55 V"',
            'overdischarge_detect = "2.40 V"': 'overdischarge_detect = "2.0 V"',
            'overdischarge_release = "3.0 V"': 'overdischarge_release = "2.5 V"',
        },
    )
    bench = build_bench(spec=path)
    state = bench.true_state()["pack"]
    assert state["series"] == 4 and state["chemistry"] == "LFP"
    cells = [c["voltage"] for c in state["cells"]]
    assert all(3.25 <= v <= 3.35 for v in cells)
    assert bench.dmm_voltage() == pytest.approx(sum(cells), abs=0.01)
    assert 0.11 <= bench.probe().resistance <= 0.22  # 4S budget at the connector
    bench.set_fixture("cell", 3)
    assert bench.probe().resistance == pytest.approx(0.8 * 0.025, rel=0.01)


def test_3s_pack_charges_and_its_highest_cell_decides_overcharge(tmp_path: Path) -> None:
    bench = build_bench(spec=_spec(tmp_path, **{"series = 1": "series = 3"}), fault="healthy")
    for index, volts in enumerate((3.9, 4.0, 4.1)):
        bench.set_cell_state(index, voltage=volts)
    source = bench.source_channel(1)
    source.voltage, source.current_limit, source.output_on = 13.2, 2.6, True
    while bench.true_state()["board"]["charge_fet_on"]:
        assert bench.time < 3 * 3600
        bench.advance(5.0)
    cells = [c["ocv"] for c in bench.true_state()["pack"]["cells"]]
    assert max(cells) == cells[2] and cells[0] < 4.25


def test_parallel_count_scales_capacity_and_resistance(tmp_path: Path) -> None:
    single = build_bench(spec=_spec(tmp_path, **{"parallel = 2": "parallel = 1"}))
    double = build_bench()
    assert single.pack.cells[0].parameters.capacity_ah == pytest.approx(2.6)
    assert double.pack.cells[0].parameters.capacity_ah == pytest.approx(5.2)
    assert single.pack.cells[0].r0() == pytest.approx(2 * double.pack.cells[0].r0())


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('capacity = "2.6 Ah"', 'capacity = "2.6 Wh"', r"\[cell\].capacity.*unit 'Wh'"),
        ('capacity = "2.6 Ah"', 'capacity = "2.6 V"', r"\[cell\].capacity.*expected a value in Ah"),
        ('capacity = "2.6 Ah"', 'capacity = "many Ah"', r"\[cell\].capacity"),
        ('chemistry = "NMC"', 'chemistry = "NiMH"', r"\[product\].chemistry"),
        ("series = 1", "series = 0", r"\[product\].series"),
    ],
)
def test_bad_spec_values_name_the_file_and_field(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    path = _spec(tmp_path, **{old: new})
    with pytest.raises(ValueError, match=message) as error:
        load_pack_parameters(path)
    assert str(path) in str(error.value)


def test_units_convert_to_si(tmp_path: Path) -> None:
    path = _spec(
        tmp_path,
        **{
            'capacity = "2.6 Ah"': 'capacity = "2600 mAh"',
            'short_circuit_delay = "320 us"': 'short_circuit_delay = "0.32 ms"',
            'max_time = "4 h"': 'max_time = "240 s"',
        },
    )
    parameters = load_pack_parameters(path)
    assert parameters.cell_capacity_ah == pytest.approx(2.6)
    assert parameters.protection.short_circuit_delay == pytest.approx(320e-6)


def test_missing_file_is_a_value_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"nothing\.toml"):
        load_pack_parameters(tmp_path / "nothing.toml")


def _pair(*members: CellCondition) -> Pack:
    group = CellCondition(index=0, soc=0.5)
    return Pack(DEFAULT_PACK, 0.5, (group, *members))


def _run(pack: Pack, current: float, seconds: float, dt: float = 1.0) -> None:
    for _ in range(round(seconds / dt)):
        pack.step(current, dt, 0.0)


def test_a_uniform_pair_is_exactly_its_equivalent_cell() -> None:
    uniform = _pair()
    explicit = _pair(
        CellCondition(index=0, soc=0.5, member=0), CellCondition(index=0, soc=0.5, member=1)
    )
    assert uniform.cells[0].uniform == 2 and len(explicit.cells[0].cells) == 2
    for current in (2.6, 0.0, -5.0):
        _run(uniform, current, 600.0)
        _run(explicit, current, 600.0)
        assert uniform.emf() == pytest.approx(explicit.emf(), abs=1e-9)
        assert uniform.resistance() == pytest.approx(explicit.resistance(), rel=1e-9)
        u, e = uniform.cells[0].snapshot(current), explicit.cells[0].snapshot(current)
        assert [m["soc"] for m in u["members"]] == pytest.approx([m["soc"] for m in e["members"]])
        assert u["temperature_c"] == pytest.approx(e["temperature_c"], abs=1e-6)


def test_current_divides_by_impedance_and_an_aged_cell_takes_less() -> None:
    pack = _pair(CellCondition(index=0, soc=0.5, member=0, resistance_factor=2.2))
    group = pack.cells[0]
    aged, fresh = group.shares(2.6)
    assert aged + fresh == pytest.approx(2.6)
    assert fresh / aged == pytest.approx(2.2, rel=1e-6)  # at equal EMF: inverse R0
    assert group.r0() == pytest.approx(1 / (1 / (2.2 * 0.02) + 1 / 0.02))
    _run(pack, 2.6, 1800.0)
    _run(pack, 0.0, 3 * 3600.0, dt=10.0)  # at rest they equalise through the shared terminal
    aged_cell, fresh_cell = group.cells
    assert abs(aged_cell.emf() - fresh_cell.emf()) < 1e-3
    assert abs(sum(group.shares(0.0))) < 1e-9


def test_a_soft_short_in_one_cell_is_fed_by_its_neighbour() -> None:
    pack = _pair(CellCondition(index=0, soc=0.5, member=0, leak_resistance=5.0))
    group = pack.cells[0]
    _run(pack, 0.0, 3600.0, dt=5.0)
    shorted, healthy = group.cells
    into_shorted, into_healthy = group.shares(0.0)
    assert into_shorted > 0.0 > into_healthy  # the healthy cell discharges into the shorted one
    assert into_shorted == pytest.approx(-into_healthy)
    assert healthy.soc < 0.5 and shorted.soc < 0.5
    assert group.temperature_c == pytest.approx(shorted.temperature_c)
    assert shorted.temperature_c > healthy.temperature_c + 5.0


@pytest.mark.parametrize("dynamics", ["fitted", "fixed"])
@pytest.mark.parametrize("dt", [1e-4, 0.005, 0.015, 0.02, 0.03, 0.1, 1.0, 10.0])
@pytest.mark.parametrize("soc", [0.3, 0.5, 0.95])
def test_the_exchange_between_unequal_cells_is_stable_at_any_step(
    dynamics: CellDynamics, dt: float, soc: float
) -> None:
    """An aged and a fresh cell on one terminal, under a rising load, then at rest.

    Whatever the sub-step (the bench's over-current ramp steps its load every 15 ms, near the
    10 ms double-layer time; resting steps last up to minutes), the current the two cells
    exchange is what their EMF difference drives through their resistances: a fraction of the
    load that set them apart, never more, and it heats nothing. (A division by the instantaneous
    resistance alone oscillated and grew to kiloamps, and heated the pack past 60 degC, once the
    charge-transfer branch, a state over steps near its time constant, outweighed the ohmic
    part.)
    """
    _exchange_stays_bounded(replace(DEFAULT_PACK, cell_dynamics=dynamics), dt, soc)


@pytest.mark.parametrize("dt", [1e-4, 0.005, 0.015, 0.02, 0.03, 0.1, 1.0, 10.0])
@pytest.mark.parametrize("soc", [0.02, 0.05, 0.5, 0.99])
def test_the_exchange_between_unequal_lfp_cells_is_stable_at_any_step(
    dt: float, soc: float
) -> None:
    """The same on fitted LFP cells, whose diffusion lead (``Cell.step_response``) acts as a
    branch far more resistive than R0 where the OCV is steep: at both ends of the curve."""
    parameters = replace(DEFAULT_PACK, chemistry="LFP", cell_charge_voltage=3.65)
    _exchange_stays_bounded(parameters, dt, soc)


def _exchange_stays_bounded(parameters: PackParameters, dt: float, soc: float) -> None:
    aged = CellCondition(index=0, soc=soc, member=0, resistance_factor=2.2, capacity_factor=0.7)
    pack = Pack(parameters, soc, (CellCondition(index=0, soc=soc), aged))
    group = pack.cells[0]
    aged_cell, fresh_cell = group.cells
    steps = max(round(0.6 / dt), 1)
    loads = [-1.5 - 2.0 * k / steps for k in range(steps)] + [0.0] * min(round(60.0 / dt), 600)
    largest = 0.0
    for load in loads:
        shares = group.shares(load)
        pack.step(load, dt, 0.0)
        largest = max(largest, abs(shares[0] - shares[1]) / 2.0 if load == 0.0 else 0.0)
        largest = max(largest, max(abs(s) for s in shares) - abs(load))
    assert largest < 1.0  # amps: the load was 1.5-3.5 A
    ambient = aged_cell.parameters.ambient_c
    assert max(aged_cell.temperature_c, fresh_cell.temperature_c) < ambient + 1.0
