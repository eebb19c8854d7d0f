"""Each station-file field, seen where it acts: on the wire to the instruments, or in the store.

Every run here is a real ``packbench run`` in this process against a simulated bench over TCP and
pseudo-terminals; ``recorded_wire`` keeps each instrument's transcript, so a test reads the very
commands a field decided (the channel in ``OUTP ON,(@2)``, a current never sent, a short never
asked for). A field that changed nothing would leave these transcripts as they are by default.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest
from bench_helpers import cli, register
from sqlalchemy import select
from wire_recording import Wire

from bench.errors import EXIT_INCOMPLETE, EXIT_PASS
from results.models import Measurement, Run
from results.store import open_store

STATION = """
[station]
id = "{station_id}"
operator = "{operator}"
simulated = true
database = "{database}"
evidence_dir = "{evidence}"

[fixture]
{fixture}

[limits]
{limits}

[instruments.dmm]
model = "34461A"
{dmm_extra}
[instruments.source]
model = "{source}"
{source_extra}
[instruments.load]
model = "{load}"
[instruments.rmeter]
model = "BT3562"

[simulation]
fault = "{fault}"
seed = {seed}
"""


def station_file(tmp_path: Path, **fields: str) -> Path:
    values = {
        "station_id": "sim-wire",
        "operator": "tester",
        "database": str(tmp_path / "store.sqlite3"),
        "evidence": str(tmp_path / "evidence"),
        "fixture": "source_channel = 1",
        "limits": 'max_voltage = "10 V"\nmax_current = "5 A"',
        "dmm_extra": "",
        "source": "E36312A",
        "source_extra": "",
        "load": "DL3021",
        "fault": "healthy",
        "seed": "0",
    } | fields
    path = tmp_path / f"station-{len(list(tmp_path.glob('station-*.toml')))}.toml"
    path.write_text(STATION.format(**values))
    return path


def run(
    capsys: pytest.CaptureFixture[str], station: Path, *extra: str, serial: str = "U-1"
) -> tuple[int, str]:
    number = register(capsys, station, serial)
    code, _out, err = cli(
        capsys,
        "run",
        "diagnosis",
        "-c",
        number,
        "-u",
        serial,
        "--yes",
        "--station",
        str(station),
        *extra,
    )
    return code, err


def enabled_channels(writes: list[str]) -> set[str]:
    """Channels an output was switched on at: ``OUTP ON,(@2)`` (E36312A), ``:OUTP CH2,ON``, or
    the DP832's delay output (``:INST:NSEL 2`` then ``:DELAY ON``, the hardware-timed output)."""
    found = set()
    selected = ""
    for command in writes:
        text = command.strip()
        keysight = re.fullmatch(r"OUTP(?:UT)? (?:ON|1),\(@(\d)\)", text, re.I)
        rigol = re.fullmatch(r":OUTP(?:UT)? CH(\d),ON", text, re.I)
        if keysight or rigol:
            found.add((keysight or rigol).group(1))  # type: ignore[union-attr]
        if nsel := re.fullmatch(r":INST(?:RUMENT)?:NSEL (\d)", text, re.I):
            selected = nsel.group(1)
        if re.fullmatch(r":DELAY (?:ON|1)", text, re.I) and selected:
            found.add(selected)
    return found


def stored(database: Path) -> tuple[list[dict[str, str]], dict[str, float | None]]:
    """Each run's station, operator and step messages; every measured value by name."""
    sessions = open_store(database)
    with sessions() as session:
        runs = [
            {
                "station": r.station,
                "operator": r.operator,
                "messages": " ".join(s.message or "" for s in r.steps),
            }
            for r in session.scalars(select(Run))
        ]
        values = {m.name: m.value for m in session.scalars(select(Measurement))}
    return runs, values


def test_source_channel_reaches_the_dp832(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], recorded_wire: Wire
) -> None:
    station = station_file(tmp_path, source="DP832", fixture="source_channel = 2")
    code, err = run(capsys, station)
    assert code == 0, err
    writes = recorded_wire.writes()
    assert enabled_channels(writes) == {"2"}
    assert any(w.startswith(":OUTP:OVP:VAL CH2") for w in writes)
    assert not any("CH1," in w and "OFF" not in w for w in writes if w.startswith(":APPL"))


def test_source_channel_default_is_channel_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], recorded_wire: Wire
) -> None:
    code, err = run(capsys, station_file(tmp_path, source="DP832", fixture=""))
    assert code == 0, err
    assert enabled_channels(recorded_wire.writes()) == {"1"}


def test_source_channel_reaches_the_e36312a(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], recorded_wire: Wire
) -> None:
    """Channel 2 of the E36312A is rated 1 A: the 0.5C recharge (2.6 A) is refused by that
    channel's rating before anything is opened, sent or written, which only happens if the
    station's channel 2 reached the choice of source; the fix names the channel that serves."""
    code, err = run(capsys, station_file(tmp_path, fixture="source_channel = 2"))
    assert code == 2, err
    assert "E36312A channel 2: its current is rated to 1 A" in err
    assert "Fix: wire the fixture to E36312A channel 1" in err
    assert recorded_wire.writes() == []
    runs, _ = stored(tmp_path / "store.sqlite3")
    assert runs == []


@pytest.mark.parametrize(("model", "channels"), [("E36312A", "1, 2, 3"), ("DP832", "1, 2, 3")])
def test_a_channel_the_source_does_not_have_is_refused_before_anything(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    recorded_wire: Wire,
    model: str,
    channels: str,
) -> None:
    good = station_file(tmp_path, source=model)
    number = register(capsys, good, "U-1")
    bad = station_file(tmp_path, source=model, fixture="source_channel = 7")
    code, _out, err = cli(
        capsys, "run", "diagnosis", "-c", number, "-u", "U-1", "--yes", "--station", str(bad)
    )
    assert code == 2, err
    assert "fixture.source_channel: 7 is not a channel of the " + model in err
    assert f"it has channels {channels}" in err and "Fix: set source_channel" in err
    assert recorded_wire.writes() == []
    runs, _ = stored(tmp_path / "store.sqlite3")
    assert runs == []


@pytest.mark.parametrize(
    ("limits", "named"),
    [
        ('max_voltage = "10 V"\nmax_current = "1 A"', "[limits] max_current is 1.0 A"),
        ('max_voltage = "4.3 V"\nmax_current = "5 A"', "[limits] max_voltage is 4.3 V"),
    ],
)
def test_station_limits_below_the_spec_refuse_the_run_before_anything_is_sent(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    recorded_wire: Wire,
    limits: str,
    named: str,
) -> None:
    """The recharge needs 2.6 A (OCP 3.3 A) up to 5.2 V (OVP 5.35 V): a station whose limits
    sit below that cannot run it, and says so before a command reaches any instrument (the
    drivers' own check of each setting against the limits is in tests/instruments)."""
    code, err = run(capsys, station_file(tmp_path, limits=limits))
    assert code == 2, err
    assert named in err and "raise it if the fixture is rated for it" in err
    assert recorded_wire.writes() == []
    runs, _ = stored(tmp_path / "store.sqlite3")
    assert runs == []


@pytest.mark.parametrize("allow", ["true", "false"])
def test_allow_short_decides_whether_the_load_shorts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], recorded_wire: Wire, allow: str
) -> None:
    limits = f'max_voltage = "10 V"\nmax_current = "5 A"\nallow_short = {allow}'
    code, err = run(capsys, station_file(tmp_path, limits=limits))
    # Without the short, a required protection test is not performed: incomplete, never pass.
    assert code == (EXIT_PASS if allow == "true" else EXIT_INCOMPLETE), err
    shorts = [w for w in recorded_wire.writes() if re.match(r":SOUR:INP:SHOR (ON|1)", w)]
    assert bool(shorts) == (allow == "true")


def test_instrument_timeout_reaches_the_transport(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], recorded_wire: Wire
) -> None:
    code, err = run(capsys, station_file(tmp_path, dmm_extra='timeout = "7 s"'))
    assert code == 0, err
    assert sorted(recorded_wire.timeouts.values()).count(7.0) == 1


@pytest.mark.parametrize("seed", [0, 5])
def test_seed_reaches_the_simulator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], seed: int
) -> None:
    """Same seed, same readings; another seed, other readings (the noise is seeded)."""
    values = []
    for attempt, chosen in enumerate((seed, seed, seed + 1)):
        folder = tmp_path / f"s{attempt}"
        folder.mkdir()
        code, err = run(capsys, station_file(folder, seed=str(chosen)))
        assert code in (0, 1), err
        values.append(stored(folder / "store.sqlite3")[1]["voltage_as_received"])
    assert values[0] == values[1] != values[2]


def test_fault_id_and_operator_reach_the_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    station = station_file(
        tmp_path, station_id="bench-7", operator="a.tester", fault="deep_discharge_uv"
    )
    code, err = run(capsys, station)
    assert code in (0, 1), err
    runs, values = stored(tmp_path / "store.sqlite3")
    assert (runs[0]["station"], runs[0]["operator"]) == ("bench-7", "a.tester")
    assert values["voltage_as_received"] is not None and values["voltage_as_received"] < 1.0


def test_max_power_reaches_the_load_driver(tmp_path: Path, recorded_wire: Wire) -> None:
    """The diagnosis never uses constant power, so the field is shown where it acts: the load
    the station opens refuses a CP level above it before anything is sent, and sends one below."""
    from bench.config import load_station
    from bench.station import open_station
    from bench.terminal_prompts import TerminalPrompts
    from instruments.errors import SettingOutOfRange
    from instruments.units import Q_

    limits = 'max_voltage = "10 V"\nmax_current = "5 A"\nmax_power = "5 W"'
    config = load_station(station_file(tmp_path, limits=limits))
    with contextlib.closing(open_station(config, prompts=TerminalPrompts(yes=True))) as station:
        load = station.opened["load"]
        with pytest.raises(SettingOutOfRange, match="SafetyLimits"):
            load.set_power(Q_(6, "W"))  # type: ignore[attr-defined]
        load.set_power(Q_(4, "W"))  # type: ignore[attr-defined]
    levels = [w for w in recorded_wire.writes() if w.startswith(":SOUR:POW:LEV")]
    assert levels == [":SOUR:POW:LEV 4"]


def test_evidence_dir_holds_the_runs_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An appearance run's photos land in the station's evidence folder, named by their hash."""
    from test_cli_appearance import answers_file

    from results.models import Attachment

    station = station_file(tmp_path, fault="healthy")
    number = register(capsys, station, "U-1")
    code, _out, err = cli(
        capsys,
        "run",
        "appearance",
        "-c",
        number,
        "-u",
        "U-1",
        "--station",
        str(station),
        "--answers",
        str(answers_file(tmp_path)),
    )
    assert code == 0, err
    with open_store(tmp_path / "store.sqlite3")() as session:
        hashes = [a.sha256 for a in session.scalars(select(Attachment))]
    stored_files = [p.name for p in (tmp_path / "evidence").rglob("*") if p.is_file()]
    assert len(hashes) == 4
    assert all(any(h in name for name in stored_files) for h in hashes)


def test_attached_simulator_must_be_wired_to_the_configured_channel(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from simulators.launcher import start_bench

    with start_bench(source_model="DP832", source_channel=2, serial=False) as sim:
        resources = {role: e.resource for role, e in sim.instruments.items()}
        base = station_file(tmp_path)
        number = register(capsys, base, "U-1")
        for channel, expected in ((1, 2), (2, 0)):
            text = (
                f'[station]\nid = "att"\nsimulated = true\n'
                f'database = "{tmp_path / "store.sqlite3"}"\n'
                f'evidence_dir = "{tmp_path / "evidence"}"\n'
                f"[fixture]\nsource_channel = {channel}\n"
                + "".join(
                    f'[instruments.{role}]\nmodel = "{model}"\nresource = "{resources[role]}"\n'
                    for role, model in (
                        ("dmm", "34461A"),
                        ("source", "DP832"),
                        ("load", "DL3021"),
                        ("rmeter", "BT3562"),
                    )
                )
                + "[limits]\nallow_charge_without_temperature = true\n"
                + f'[simulation]\ncontrol = "{sim.control_address}"\n'
            )
            attached = tmp_path / f"attached-{channel}.toml"
            attached.write_text(text)
            code, _out, err = cli(
                capsys,
                "run",
                "diagnosis",
                "-c",
                number,
                "-u",
                "U-1",
                "--yes",
                "--station",
                str(attached),
            )
            assert code == expected, err
            if expected == 2:
                assert "fixture.source_channel: 1 is not the channel the simulator" in err
                assert "Fix: set source_channel = 2" in err


@pytest.mark.parametrize("resolution", ["", 'current_resolution = "0.1 uA"'])
def test_source_current_resolution_decides_whether_self_consumption_is_judged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], resolution: str
) -> None:
    station = station_file(tmp_path, fault="overcurrent_protection_failed", source_extra=resolution)
    code, err = run(capsys, station)
    assert code in (0, 1), err
    sessions = open_store(tmp_path / "store.sqlite3")
    with sessions() as session:
        rows = {
            m.name: (m.value, m.verdict)
            for m in session.scalars(select(Measurement))
            if m.name in ("board_supply_current", "board_self_consumption")
        }
    assert rows["board_supply_current"][0] is not None  # read on the wire either way
    judged = rows["board_self_consumption"][0] is not None
    assert judged == bool(resolution)
