"""Every shipped spec runs on the built-in simulated station; a spec no source serves is refused.

The built-in station emulates the E36312A where it serves (1S: 6 V / 5 A channel 1) and the
DP832 where it does not (2S to 4S: the 32 V channel); a station with only an E36312A refuses a
2S spec before anything is opened or written, naming the source that would serve it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench_helpers import cli, dump

from bench.config import load_station
from bench.errors import EXIT_BAD_INPUT, EXIT_INCOMPLETE, InputError
from bench.source_choice import choose_source
from procedures.diagnosis.pack_tests import short_current_for
from procedures.diagnosis.source_needs import source_needs
from procedures.specs import builtin_spec, load_builtin_specs

SPECS = sorted(load_builtin_specs())


@pytest.mark.parametrize("model", SPECS)
def test_builtin_station_picks_a_source_that_serves_each_spec(model: str) -> None:
    spec = builtin_spec(model)
    choice = choose_source(load_station(None), spec)
    assert choice.channel == 1
    assert choice.model == ("E36312A" if spec.product.series == 1 else "DP832")
    needs = source_needs(spec)
    assert needs.voltage >= spec.charge.voltage and needs.current >= spec.charge.current


def _register(capsys: pytest.CaptureFixture[str], station: list[str], model: str) -> str:
    code, out, err = cli(
        capsys,
        "complaint",
        "new",
        *station,
        "--customer",
        "ACME",
        "--model",
        model,
        "--shipped",
        "10",
        "--defect",
        "1",
        "--symptom",
        "no_power_on",
        "--severity",
        "general",
        "--received-by",
        "tester",
    )
    assert code == 0, err
    number = out.strip()
    assert cli(capsys, "unit", "add", number, "U1", "--model", model, *station)[0] == 0
    return number


DL3021_RATED_A = 40.0
"""The built-in station's load: its short-circuit function sinks at most its rated current."""


@pytest.mark.usefixtures("home")
@pytest.mark.parametrize("model", SPECS)
def test_every_shipped_spec_runs_healthy_on_the_builtin_station(
    capsys: pytest.CaptureFixture[str], model: str
) -> None:
    number = _register(capsys, [], model)
    code, out, err = cli(
        capsys,
        "run",
        "diagnosis",
        "-c",
        number,
        "-u",
        "U1",
        "--sim-fault",
        "healthy",
        "-y",
        "--json",
    )
    unit = json.loads(out)["units"][0]
    if short_current_for(load_builtin_specs()[model]).m_as("A") > DL3021_RATED_A:
        # The pack's short needs more current than the built-in DL3021 sinks: the required
        # short test is not performed, so the run is incomplete (exit 4), never failed.
        assert (code, unit["verdict"]) == (EXIT_INCOMPLETE, "incomplete"), (unit["message"], err)
        assert "short_circuit" in unit["message"]
    else:
        assert (code, unit["verdict"]) == (0, "pass"), (unit["message"], err)
    assert unit["diagnosis"]["disposition"] == "no_fault_found"


def test_a_spec_the_configured_source_cannot_serve_is_refused_up_front(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    """The test station has only an E36312A (no ``source_models``): 8.4 V at 1.3 A fits none."""
    station = ["--station", str(sim_station)]
    number = _register(capsys, station, "PB-2S1P-18650-2600")
    database = sim_station.parent / "store.sqlite3"
    before = dump(database)
    code, _, err = cli(capsys, "run", "diagnosis", *station, "-c", number, "-u", "U1", "-y")
    assert code == EXIT_BAD_INPUT
    assert "PB-2S1P-18650-2600 needs a source channel reaching" in err
    assert "E36312A channel 1" in err and "DP832 channel 1, 2" in err
    assert "OVP level within 0 .. 6.6" not in err and "Traceback" not in err
    assert dump(database) == before


def test_station_limits_that_forbid_the_spec_name_the_limit() -> None:
    config = load_station(None)
    spec = builtin_spec("PB-4S1P-26650-LFP")
    from dataclasses import replace

    from instruments.units import Q_

    tight = replace(config, limits=replace(config.limits, max_voltage=Q_(10, "V")))
    with pytest.raises(InputError, match=r"\[limits\] max_voltage"):
        choose_source(tight, spec)
    low_current = replace(config, limits=replace(config.limits, max_current=Q_(5, "A")))
    with pytest.raises(InputError, match=r"over-current tests need .*max_current"):
        choose_source(low_current, spec)


def test_simulation_source_models_are_validated() -> None:
    from bench.config import parse_station
    from bench.errors import ConfigError

    good = {"station": {"id": "s", "simulated": True}, "simulation": {"source_models": ["dp832"]}}
    assert parse_station(good, "sim.toml").simulation.source_models == ("DP832",)  # type: ignore[union-attr]
    bad = {"station": {"id": "s", "simulated": True}, "simulation": {"source_models": ["DP811"]}}
    with pytest.raises(ConfigError, match=r"simulation\.source_models.*E36312A, DP832"):
        parse_station(bad, "sim.toml")
