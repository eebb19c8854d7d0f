"""Shared fixtures of the instrument tests.

``replay(script)`` builds a ``ReplayTransport`` from a script and, at teardown, checks that the
driver played every exchange: a method that forgets its ``SYST:ERR?`` check fails its test.
Tests that provoke a divergence on purpose build ``ReplayTransport.from_script`` themselves.

``sim_bench`` starts the simulated bench (``simulators.launcher.start_bench``) for the module's
integration tests and stops it afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import pytest

from instruments.transports.replay import ReplayTransport

ReplayFactory = Callable[[Sequence[tuple[str, str | bytes]]], ReplayTransport]
Script = list[tuple[str, str | bytes]]

#: The reply of an empty error queue, which follows every configuring write.
NO_ERROR: Script = [(">", "SYST:ERR?"), ("<", '0,"No error"')]


@pytest.fixture
def replay(request: pytest.FixtureRequest) -> Iterator[ReplayFactory]:
    made: list[ReplayTransport] = []

    def factory(
        script: Sequence[tuple[str, str | bytes]], resource: str = "REPLAY::" + request.node.name
    ) -> ReplayTransport:
        transport = ReplayTransport.from_script(resource, script)
        made.append(transport)
        return transport

    yield factory
    for transport in made:
        transport.assert_finished()


@pytest.fixture
def checked_writes() -> Callable[..., Script]:
    """``checked_writes(cmd, ...)``: the script of configuring writes, each followed by an
    empty ``SYST:ERR?`` (what ``ScpiInstrument.write`` sends with error checks on)."""

    def script(*commands: str) -> Script:
        exchanges: Script = []
        for command in commands:
            exchanges += [(">", command), *NO_ERROR]
        return exchanges

    return script


@pytest.fixture(scope="module")
def sim_bench() -> Iterator[object]:
    """The simulated bench, one per test module (starting it costs more than a test)."""
    from simulators.launcher import start_bench

    with start_bench(seed=1) as bench:
        yield bench
