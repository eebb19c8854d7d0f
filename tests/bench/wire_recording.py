"""Every instrument exchange of an in-process run, recorded: what a station field did on the wire.

``recorded_wire`` wraps each transport the factory opens in ``RecordingTransport`` (the JSON-lines
transcripts of ``instruments.transports.recording``), so a test reads the very commands the
drivers sent, whichever station field decided them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import instruments.factory as factory
from instruments.transports.recording import RecordingTransport


@dataclass
class Wire:
    folder: Path
    timeouts: dict[str, float] = field(default_factory=dict)
    """Resource -> transport timeout (s) when it was opened."""

    def transcripts(self) -> dict[str, list[dict[str, Any]]]:
        """Resource -> its exchanges (header line dropped), one list per opened transport."""
        found: dict[str, list[dict[str, Any]]] = {}
        for path in sorted(self.folder.glob("*.jsonl")):
            lines = [json.loads(line) for line in path.read_text().splitlines() if line]
            found.setdefault(lines[0]["resource"], []).extend(lines[1:])
        return found

    def writes(self) -> list[str]:
        """Every text command sent to any instrument, in the order of the transcripts."""
        return [
            entry["data"]
            for exchanges in self.transcripts().values()
            for entry in exchanges
            if entry["dir"] == "write"
        ]


@pytest.fixture
def recorded_wire(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Wire]:
    wire = Wire(tmp_path / "wire")
    wire.folder.mkdir()
    real = factory.open_transport

    def recording(resource: str, *, timeout: float = 2.0, **options: Any) -> Any:
        inner = real(resource, timeout=timeout, **options)
        wire.timeouts[resource] = inner.timeout
        count = len(list(wire.folder.glob("*.jsonl")))
        return RecordingTransport(inner, wire.folder / f"{count:03d}.jsonl")

    monkeypatch.setattr(factory, "open_transport", recording)
    yield wire
