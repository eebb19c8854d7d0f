"""Fixtures of the simulator tests; the helpers they use live in ``live_bench``.

``live`` starts a full simulated bench (``simulators.launcher.start_bench``) and stops every
bench it started at teardown, failing the test if an emulator raised while serving.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from live_bench import LiveBench, LiveFn

from simulators.launcher import ControlClient, start_bench


@pytest.fixture
def live(rm: Any) -> Iterator[LiveFn]:
    """Start ``simulators.launcher.start_bench(**options)``; every bench is stopped afterwards."""
    started: list[LiveBench] = []

    def start(**options: Any) -> LiveBench:
        options.setdefault("seed", 7)
        server = start_bench(**options)
        bench = LiveBench(server, ControlClient(server.control_address), rm)
        started.append(bench)
        return bench

    yield start
    for bench in started:
        errors = bench.server.emulator_errors
        bench.close()
        assert not errors, f"emulators raised while serving: {errors}"


@pytest.fixture(scope="session")
def rm() -> Iterator[object]:
    import pyvisa

    manager = pyvisa.ResourceManager("@py")
    yield manager
    manager.close()
