"""``packbench run --record DIR`` and ``packbench replay DIR`` on a simulated diagnosis.

One session is recorded per module (a full simulated diagnosis); each test replays a copy of it,
untouched or with one line of a transcript changed, and reads what the replay says.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from bench_helpers import SIM_STATION, cli, register

from bench.session_files import read_manifest

ROLES = ("dmm", "source", "load", "rmeter", "temperature")


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A simulated diagnosis of one healthy unit, recorded (seed 3)."""
    base = tmp_path_factory.mktemp("recorded")
    station = base / "sim.toml"
    station.write_text(
        SIM_STATION.format(database=base / "store.sqlite3", evidence=base / "evidence")
        + "seed = 3\n"
    )
    capture = _Capture()
    with (
        pytest.MonkeyPatch.context() as patch,
        contextlib.redirect_stdout(capture.stdout),
        contextlib.redirect_stderr(capture.stderr),
    ):
        patch.setenv("XDG_DATA_HOME", str(base / "xdg"))
        number = register(capture, station, "REC-1")  # type: ignore[arg-type]
        code, out, err = cli(
            capture,  # type: ignore[arg-type]
            "run",
            "diagnosis",
            "-c",
            number,
            "-u",
            "REC-1",
            "--station",
            str(station),
            "--yes",
            "--record",
            str(base / "session"),
        )
        assert code == 0, out + err
        yield base / "session"


class _Capture:
    """``capsys`` for a module-scoped fixture (``capsys`` itself is per test)."""

    def __init__(self) -> None:
        self.stdout, self.stderr = io.StringIO(), io.StringIO()
        self.out = self.err = ""

    def readouterr(self) -> _Capture:
        self.out, self.err = self.stdout.getvalue(), self.stderr.getvalue()
        for stream in (self.stdout, self.stderr):
            stream.seek(0)
            stream.truncate()
        return self


def _copy(session: Path, tmp_path: Path) -> Path:
    target = tmp_path / "session"
    shutil.copytree(session, target)
    return target


def _edit(folder: Path, role: str, change: Callable[[list[dict[str, object]]], None]) -> None:
    path = folder / f"{role}.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    change(lines)
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))


def _index(lines: list[dict[str, object]], direction: str, data: str) -> int:
    """Line index (0 = header) of the first ``direction`` entry whose data starts with ``data``."""
    return next(
        i
        for i, e in enumerate(lines)
        if e.get("dir") == direction and str(e.get("data", "")).startswith(data)
    )


def test_the_session_holds_every_instrument_the_station_files_and_the_manifest(
    recorded: Path,
) -> None:
    manifest = read_manifest(recorded)
    assert manifest.procedure == "diagnosis" and manifest.unit == "REC-1"
    assert manifest.simulated and manifest.simulation is not None
    assert manifest.simulation["seed"] == 3 and manifest.simulation["fault"] == "healthy"
    assert {"python", "packbench", "pyvisa", "pyserial"} <= manifest.versions.keys()
    assert manifest.outcome is not None and manifest.outcome.verdict == "pass"
    assert sorted(e.role for e in manifest.instruments) == sorted(ROLES)
    assert "seed = 3" in (recorded / "station.toml").read_text()
    assert manifest.spec_model in (recorded / "spec.toml").read_text()
    for role in ROLES:
        lines = [json.loads(x) for x in (recorded / f"{role}.jsonl").read_text().splitlines()]
        times = [float(e["t"]) for e in lines[1:]]
        assert lines[1] == {"t": times[0], "dir": "write", "data": "*IDN?"} or role == "load"
        assert times == sorted(times) and times[0] > 0.0
    answers = (recorded / "prompts.jsonl").read_text()
    assert '"id": "usage_device"' in answers
    assert '"call": "sleep"' in (recorded / "clock.jsonl").read_text()


def test_the_replay_matches_its_recording_and_prints_the_verdict_table(
    recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, "replay", str(recorded))
    assert code == 0, out + err
    assert "REC-1" in out and "| pass " in out and "no_fault_found" in out
    assert f"replay of {recorded}: matched the recording (" in out
    assert "DIVERGED" not in out


def test_a_changed_command_is_named_with_instrument_exchange_and_both_commands(
    recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _copy(recorded, tmp_path)
    found: list[int] = []

    def change(lines: list[dict[str, object]]) -> None:
        found.append(_index(lines, "write", "VOLT:DC:NPLC"))
        lines[found[0]]["data"] = "VOLT:DC:NPLC 100"

    _edit(folder, "dmm", change)
    code, out, _ = cli(capsys, "replay", str(folder))
    assert code == 1
    line = found[0]
    assert f"DIVERGED from the recording at dmm exchange {line} (dmm.jsonl line {line + 1}, " in out
    assert "the recording has send 'VOLT:DC:NPLC 100', the replay did send 'VOLT:DC:NPLC 1'" in out


def test_a_changed_reply_is_named_by_the_measurement_it_changed(
    recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _copy(recorded, tmp_path)
    original: list[str] = []

    def change(lines: list[dict[str, object]]) -> None:
        reading = _index(lines, "write", "READ?") + 1
        original.append(str(lines[reading]["data"]))
        value = float(original[0])
        lines[reading]["data"] = f"{value + 0.001:+.8E}"

    _edit(folder, "dmm", change)
    code, out, _ = cli(capsys, "replay", str(folder))
    assert code == 1
    assert "every exchange matched" in out and "the outcome differs" in out
    recorded_value = float(original[0])
    assert (
        f"step voltage_check: measurement voltage_as_received: recorded {recorded_value!r} V, "
        f"replayed {float(f'{recorded_value + 0.001:+.8E}')!r} V" in out
    )


def test_a_missing_reply_is_named(
    recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _copy(recorded, tmp_path)
    removed: list[int] = []

    def change(lines: list[dict[str, object]]) -> None:
        query = _index(lines, "write", "READ?")
        removed.append(query + 1)
        del lines[query + 1]

    _edit(folder, "dmm", change)
    code, out, _ = cli(capsys, "replay", str(folder))
    assert code == 1
    assert f"dmm exchange {removed[0]} (dmm.jsonl line {removed[0] + 1}, " in out
    assert "a missing reply: the driver read a reply, the recording has send 'READ?'" in out


def test_a_different_answer_to_the_operator_is_named(
    recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _copy(recorded, tmp_path)
    path = folder / "prompts.jsonl"
    lines = path.read_text().splitlines()
    lines[1] = lines[1].replace('"usage_device"', '"usage_elsewhere"')
    path.write_text("\n".join(lines) + "\n")
    code, out, _ = cli(capsys, "replay", str(folder))
    assert code == 1
    assert "at prompts exchange 1 (prompts.jsonl line 2): the recording has text " in out
    assert "'usage_elsewhere', the replay did text 'usage_device'" in out


def test_record_refuses_a_folder_that_holds_a_session(
    recorded: Path, sim_station: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = sorted(p.name for p in recorded.iterdir())
    code, _, err = cli(
        capsys,
        "run",
        "diagnosis",
        "-c",
        "CC-2026-0001",
        "-u",
        "X",
        "--station",
        str(sim_station),
        "--yes",
        "--record",
        str(recorded),
    )
    assert code == 2 and "is not an empty folder" in err
    assert sorted(p.name for p in recorded.iterdir()) == before


def test_replay_of_a_folder_without_a_session_says_what_to_give(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli(capsys, "replay", str(tmp_path))
    assert code == 2 and "--record DIR" in err


def test_the_emulators_conform_to_a_recording_made_from_them(
    recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``python -m simulators conformance`` on the simulated session: every reply of every
    emulator has the format it had when the session was recorded."""
    from simulators.__main__ import main as simulators_main

    assert simulators_main(["conformance", str(recorded)]) == 0
    out = capsys.readouterr().out
    for role in ROLES:
        assert re.search(rf"^  {role} +\S+ +[1-9]\d* replies compared, 0 differ$", out, re.M), out
    assert "every emulator reply has the recorded instruments' format" in out


@pytest.mark.slow
def test_every_demo_fault_replays_and_conforms(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``demo --record``: one session per unit, each a different catalogue fault (trips,
    latches, an open fuse, a shorted cell); each replays to the recorded outcome, and the
    emulators conform to every one of them."""
    from simulators.__main__ import main as simulators_main

    folder = tmp_path / "demo"
    code, out, err = cli(capsys, "demo", "--record", str(folder))
    assert code == 0, out + err
    units = sorted(p.name for p in folder.iterdir())
    assert len(units) >= 6
    faults = {read_manifest(folder / u).simulation["fault"] for u in units}  # type: ignore[index]
    assert len(faults) == len(units)
    code, out, _ = cli(capsys, "replay", str(folder))
    assert code == 0, out
    assert out.count(": matched the recording (") == len(units), out
    assert simulators_main(["conformance", str(folder)]) == 0
    out = capsys.readouterr().out
    assert out.count("every emulator reply has the recorded instruments' format") == len(units)


def test_a_binary_instrument_is_recorded_replayed_and_conformed_frame_by_frame(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The ITECH IT8511 speaks 26-byte frames over its pseudo-terminal: the transcript keeps
    them as hex, the replay checks them byte for byte, conformance compares the frames."""
    from simulators.__main__ import main as simulators_main

    station = tmp_path / "it8511.toml"
    station.write_text(
        SIM_STATION.replace('model = "DL3021"', 'model = "IT8511"').format(
            database=tmp_path / "store.sqlite3", evidence=tmp_path / "evidence"
        )
    )
    number = register(capsys, station, "BIN-1")
    folder = tmp_path / "session"
    code, out, err = cli(
        capsys, "run", "diagnosis", "-c", number, "-u", "BIN-1", "--station", str(station),
        "--yes", "--sim-fault", "open_fuse", "--record", str(folder),
    )  # fmt: skip
    assert code == 1, out + err  # the open fuse fails the pack
    lines = [json.loads(x) for x in (folder / "load.jsonl").read_text().splitlines()]
    assert {e["dir"] for e in lines[1:]} == {"write_raw", "read_raw"}
    code, out, _ = cli(capsys, "replay", str(folder))
    assert code == 0 and ": matched the recording (" in out, out
    assert simulators_main(["conformance", str(folder)]) == 0
    assert "load        IT8511" in capsys.readouterr().out

    def change(entries: list[dict[str, object]]) -> None:
        frame = bytearray.fromhex(str(entries[1]["hex"]))  # the first frame: remote on
        frame[3] ^= 0x01
        frame[25] = sum(frame[:25]) % 256
        entries[1]["hex"] = frame.hex()

    _edit(folder, "load", change)
    code, out, _ = cli(capsys, "replay", str(folder))
    assert code == 1
    assert "load exchange 1 (load.jsonl line 2, /dev/pts/" in out
    assert "the recording has send raw b'\\xaa\\x00 \\x00" in out
    assert "the replay did send raw b'\\xaa\\x00 \\x01" in out


def test_an_inspection_without_instruments_replays_its_answers_and_photos(
    sim_station: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The appearance inspection has no station: the session is the operator's answers (caliper
    readings, checklist, photos kept in the session) and the wall clock; its replay matches,
    and a caliper reading changed in the session is named by the measurement it changes."""
    from test_cli_appearance import answers_file, run_appearance

    number = register(capsys, sim_station, "U-1")
    folder = tmp_path / "session"
    code, out, err = run_appearance(
        capsys, sim_station, number, answers_file(tmp_path), "--yes", "--record", str(folder)
    )
    assert code == 0, out + err
    manifest = read_manifest(folder)
    assert manifest.instruments == [] and manifest.procedure == "appearance"
    assert len(list((folder / "photos").iterdir())) == 4
    code, out, _ = cli(capsys, "replay", str(folder))
    assert code == 0 and ": matched the recording (0 exchanges" in out, out
    path = folder / "prompts.jsonl"
    entries = [json.loads(x) for x in path.read_text().splitlines()]
    (length,) = [e for e in entries[1:] if e.get("id") == "appearance.dim.length"]
    length["answer"]["value"] = 71.3
    path.write_text("".join(json.dumps(e) + "\n" for e in entries))
    code, out, _ = cli(capsys, "replay", str(folder))
    assert code == 1
    assert "measurement length: recorded 69.2 mm, replayed 71.3 mm" in out, out
