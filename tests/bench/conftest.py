"""Fixtures of the bench tests (helpers live in ``bench_helpers``)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from bench_helpers import home, sim_station
from wire_recording import recorded_wire

__all__ = ["home", "recorded_wire", "sim_station"]


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every run starts a safety watchdog that logs under the data directory: keep that (and
    any default store) inside the test's own folder, never in the user's home."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    yield
