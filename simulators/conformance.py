"""``python -m simulators conformance DIR``: the emulators judged by a recorded session.

A lab with real instruments records a run (``packbench run ... --record DIR``); this sends every
command of that session's transcripts to the emulator of the same model, started as
``simulators.launcher`` starts any simulated bench and reached over its TCP port like the real
instrument's, and compares each reply's *shape* with the real instrument's
(``simulators.reply_format``): a reply of another class or format, a reply missing (the
emulator does not know the query), a reply to a command the instrument did not answer, or an
error the emulator reported where the instrument reported none. Values are not compared: the
simulated pack is not the lab's pack.

The session files are read here with plain JSON (the bench's own reader is on the other side
of the wire; the layout is documented in ``bench.session_files``): ``manifest.json`` names each
instrument's role, model and transcript files; a transcript is JSON lines, a header and then
``{"dir": "write"|"read"|"write_raw"|"read_raw"|"timeout"|"error"|"reopen", "data"|"hex": ...}``.
"""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulators.launcher import MODELS, LaunchError, SimulatedBenchServer, start_bench
from simulators.reply_format import (
    FieldShape,
    error_report_difference,
    reply_shape,
    shape_differences,
)

LINE_TERMINATION = {"BT3562": b"\r\n", "BT3563": b"\r\n"}
"""Write termination by model (the Hioki takes CR+LF); every other text model takes LF."""
BINARY_MODELS = frozenset({"IT8511"})
STRAY_WAIT_S = 0.1
"""How long a reply that does not fit is given company: a second line then means the first
answered a command the instrument did not answer."""


class ConformanceError(ValueError):
    """The folder holds no session this command can read; the message says what to give."""


@dataclass(frozen=True)
class Difference:
    role: str
    model: str
    file: str
    exchange: int
    """1-based exchange of the transcript (its line ``exchange + 1``)."""
    command: str
    recorded: str
    emulated: str | None
    """The emulator's reply, ``None`` when it gave none."""
    problems: tuple[str, ...]

    def describe(self) -> str:
        got = "no reply" if self.emulated is None else repr(self.emulated)
        return (
            f"{self.role} {self.model} exchange {self.exchange} ({self.file} line "
            f"{self.exchange + 1}) {self.command!r}: recorded {self.recorded!r}, emulator {got}: "
            + "; ".join(self.problems)
        )


@dataclass
class InstrumentResult:
    role: str
    model: str
    compared: int = 0
    skipped: str = ""
    """Why this instrument was not compared (no emulator for its model)."""
    differences: list[Difference] = field(default_factory=list)


@dataclass(frozen=True)
class Recorded:
    role: str
    model: str
    files: tuple[Path, ...]


def read_session(folder: Path) -> tuple[list[Recorded], Path | None]:
    """The instruments of the session in ``folder`` and its spec copy (if any)."""
    path = folder / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        entries = manifest["instruments"]
        recorded = [
            Recorded(
                str(e["role"]),
                str(e["model"]),
                tuple(folder / str(name) for name in e["transcripts"]),
            )
            for e in entries
        ]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ConformanceError(
            f"{path}: not a recorded session ({type(error).__name__}: {error}); give the folder "
            "`packbench run ... --record DIR` wrote"
        ) from None
    spec = folder / "spec.toml"
    return recorded, spec if spec.is_file() else None


def _bench_models(recorded: list[Recorded]) -> tuple[dict[str, str], dict[str, str]]:
    """(role -> model to emulate, role -> why not compared) for ``start_bench``."""
    chosen: dict[str, str] = {}
    skipped: dict[str, str] = {}
    for entry in recorded:
        if entry.model in MODELS.get(entry.role, ()):
            chosen[entry.role] = entry.model
        else:
            skipped[entry.role] = (
                f"no emulator of {entry.model} in the {entry.role} role "
                f"(emulated there: {', '.join(MODELS.get(entry.role, ())) or 'none'})"
            )
    return chosen, skipped


def check_session(folder: Path, *, timeout: float = 0.5) -> list[InstrumentResult]:
    """Every recorded instrument that has an emulator, its transcript replayed to it."""
    recorded, spec = read_session(folder)
    chosen, skipped = _bench_models(recorded)
    results: list[InstrumentResult] = []
    options: dict[str, Any] = {
        f"{role}_model": model for role, model in chosen.items() if role != "dmm"
    }
    if "temperature" not in chosen:
        options["temperature_model"] = None
    try:
        bench = start_bench(spec=spec, serial=False, **options)
    except LaunchError:
        bench = start_bench(serial=False, **options)  # a spec this simulator cannot build
    with bench:
        for entry in recorded:
            result = InstrumentResult(entry.role, entry.model)
            results.append(result)
            if entry.role in skipped:
                result.skipped = skipped[entry.role]
                continue
            for path in entry.files:
                _replay_file(bench, entry, path, result, timeout)
    return results


class _Link:
    """A client of one emulator's TCP port, the way a raw-socket VISA session talks to it."""

    def __init__(self, port: int, termination: bytes, timeout: float) -> None:
        self.port = port
        self.termination = termination
        self.timeout = timeout
        self.sock = self._connect()
        self.buffer = b""

    def _connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5.0)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def reopen(self) -> None:
        self.close()
        self.sock = self._connect()
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def pending(self) -> bytes:
        """Whatever has arrived unasked (read without waiting)."""
        while select.select([self.sock], [], [], 0.0)[0]:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            self.buffer += chunk
        data, self.buffer = self.buffer, b""
        return data

    def read_until(
        self, ending: bytes | None, size: int = 0, wait: float | None = None
    ) -> bytes | None:
        """A line (``ending``) or ``size`` bytes; ``None`` if it does not come within ``wait``
        (default: the link's timeout)."""
        deadline = time.monotonic() + (self.timeout if wait is None else wait)
        while True:
            if ending is not None and ending in self.buffer:
                line, _, self.buffer = self.buffer.partition(ending)
                return line
            if ending is None and len(self.buffer) >= size:
                data, self.buffer = self.buffer[:size], self.buffer[size:]
                return data
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                return None
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


def _transcript(path: Path) -> list[dict[str, Any]]:
    try:
        lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    except (OSError, ValueError) as error:
        raise ConformanceError(f"{path}: not a readable transcript ({error})") from None
    return lines[1:]


@contextmanager
def _link(bench: SimulatedBenchServer, role: str, model: str, timeout: float) -> Iterator[_Link]:
    termination = b"" if model in BINARY_MODELS else LINE_TERMINATION.get(model, b"\n")
    link = _Link(bench.instruments[role].port, termination, timeout)
    try:
        yield link
    finally:
        link.close()


def _replay_file(
    bench: SimulatedBenchServer,
    entry: Recorded,
    path: Path,
    result: InstrumentResult,
    timeout: float,
) -> None:
    exchanges = _transcript(path)
    unanswered: list[str] = []
    """Commands sent since the last read: a reply to them was not asked for."""
    last_command = ""
    with _link(bench, entry.role, entry.model, timeout) as link:
        for number, exchange in enumerate(exchanges, start=1):
            direction = exchange.get("dir")

            def differ(
                recorded: str,
                emulated: str | None,
                problems: list[str],
                number: int = number,
                command: str = last_command,
            ) -> None:
                result.differences.append(
                    Difference(
                        entry.role,
                        entry.model,
                        path.name,
                        number,
                        command,
                        recorded,
                        emulated,
                        tuple(problems),
                    )
                )

            if direction in ("write", "write_raw"):
                stray = link.pending()  # before sending: a reply to an earlier command
                if stray and unanswered:
                    differ("", stray.decode("latin-1"), [_stray(unanswered)], number - 1)
                    unanswered.clear()
                raw_text = direction == "write_raw"
                last_command = str(exchange.get("hex" if raw_text else "data", ""))
                link.send(
                    bytes.fromhex(last_command)
                    if raw_text
                    else last_command.encode("latin-1", "replace") + link.termination
                )
                unanswered.append(last_command)
            elif direction == "reopen":
                link.reopen()
                unanswered.clear()
            elif direction == "read":
                recorded = str(exchange.get("data", ""))
                raw = link.read_until(b"\n")
                before, unanswered = unanswered[:-1], []
                result.compared += 1
                emulated = None if raw is None else raw.decode("latin-1").rstrip("\r")
                if emulated is None:
                    differ(recorded, None, [f"no reply within {timeout:g} s ({_kind(recorded)})"])
                    continue
                problems = shape_differences(recorded, emulated)
                if problems and before:
                    # the line may answer a command the instrument left unanswered: then the
                    # query's own reply follows it at once
                    second = link.read_until(b"\n", wait=STRAY_WAIT_S)
                    if second is not None:
                        differ("", emulated, [_stray(before)], number - 1, before[-1])
                        emulated = second.decode("latin-1").rstrip("\r")
                        problems = shape_differences(recorded, emulated)
                refused = error_report_difference(last_command, recorded, emulated)
                if refused is not None:
                    problems.append(refused)
                if problems:
                    differ(recorded, emulated, problems)
            elif direction == "read_raw":
                recorded_bytes = bytes.fromhex(str(exchange.get("hex", "")))
                got = link.read_until(None, len(recorded_bytes))
                unanswered.clear()
                result.compared += 1
                problems = _frame_differences(recorded_bytes, got)
                if problems:
                    differ(recorded_bytes.hex(" "), None if got is None else got.hex(" "), problems)
        stray = link.pending()
        if stray and unanswered:
            differ_end = Difference(
                entry.role,
                entry.model,
                path.name,
                len(exchanges),
                unanswered[-1],
                "",
                stray.decode("latin-1"),
                (_stray(unanswered),),
            )
            result.differences.append(differ_end)


def _kind(reply: str) -> str:
    shapes: list[FieldShape] = reply_shape(reply)
    return "the instrument gave " + ", ".join(s.describe() for s in shapes)


def _stray(commands: list[str]) -> str:
    return (
        "the emulator answered a command the instrument did not answer (one of "
        + ", ".join(repr(c) for c in commands[-3:])
        + ")"
    )


def _frame_differences(recorded: bytes, emulated: bytes | None) -> list[str]:
    """Binary frames (IT8511): length, header (sync, address, command) and status byte."""
    if emulated is None:
        return [f"no {len(recorded)}-byte frame within the timeout"]
    problems: list[str] = []
    if len(emulated) != len(recorded):
        problems.append(f"frame of {len(recorded)} bytes recorded, {len(emulated)} emulated")
    if emulated[:3] != recorded[:3]:
        problems.append(f"header {recorded[:3].hex(' ')} recorded, {emulated[:3].hex(' ')}")
    elif len(recorded) > 3 and recorded[2] == 0x12 and emulated[3:4] != recorded[3:4]:
        problems.append(f"status 0x{recorded[3]:02X} recorded, 0x{emulated[3]:02X} emulated")
    return problems


def report(folder: Path, results: list[InstrumentResult]) -> tuple[list[str], int]:
    """Lines to print and the exit status: 0 every reply conforms, 1 some differ, 2 nothing
    could be compared."""
    lines = [f"conformance of {folder} against the emulators"]
    for r in results:
        if r.skipped:
            lines.append(f"  {r.role:<11} {r.model:<8} not compared: {r.skipped}")
            continue
        lines.append(
            f"  {r.role:<11} {r.model:<8} {r.compared} replies compared, "
            f"{len(r.differences)} differ"
        )
        lines.extend(f"    {d.describe()}" for d in r.differences)
    total = sum(len(r.differences) for r in results)
    compared = sum(r.compared for r in results)
    if compared == 0:
        lines.append("nothing compared: no recorded instrument has an emulator here")
        return lines, 2
    if total:
        lines.append(f"{total} emulator replies differ from the recorded instruments' replies")
        return lines, 1
    lines.append(f"every emulator reply has the recorded instruments' format ({compared} replies)")
    return lines, 0


def main(argv: list[str]) -> int:
    """``python -m simulators conformance DIR [--timeout S]``."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m simulators conformance",
        description="Send a recorded session's commands to the emulators of the same models and "
        "list each reply whose class or format differs from the real instrument's.",
    )
    parser.add_argument("folder", type=Path, help="what `packbench run ... --record` wrote")
    parser.add_argument(
        "--timeout", type=float, default=0.5, help="seconds to wait for each emulator reply"
    )
    args = parser.parse_args(argv)
    folders = (
        [args.folder]
        if (args.folder / "manifest.json").is_file()
        else sorted(p for p in args.folder.glob("*") if (p / "manifest.json").is_file())
    )
    if not folders:
        print(
            f"python -m simulators conformance: {args.folder}: no manifest.json here or in its "
            "sub-folders; give the folder `packbench run ... --record DIR` wrote"
        )
        return 2
    worst = 0
    for folder in folders:
        try:
            results = check_session(folder, timeout=args.timeout)
        except ConformanceError as error:
            print(f"python -m simulators conformance: {error}")
            return 2
        lines, code = report(folder, results)
        print("\n".join(lines))
        worst = max(worst, code)
    return worst
