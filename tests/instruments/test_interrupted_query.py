"""A query interrupted by a signal between its command and its reply (Ctrl-C, SIGTERM).

The reply still comes. Read as the answer to the next exchange (the safe state's error-queue
check, say), it turned an aborted run into an "instrument error"; the transport now waits for
that owed reply and drops it before sending anything else.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from types import FrameType
from typing import Any

import pytest
from pyvisa.resources import MessageBasedResource

from instruments.transports.serial_port import SerialTransport
from instruments.transports.visa import VisaTransport
from simulators.launcher import ControlClient, start_bench

DELAY = 0.3
"""The instrument answers this late; the signal lands before that."""


class Signalled(Exception):
    """What the engine's signal guard raises inside a step (``procedures.errors.Interrupted``)."""


@pytest.fixture(scope="module")
def bench() -> Iterator[Any]:
    with start_bench(seed=4) as sim:
        yield sim


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Signalled(signal.Signals(signum).name)


def test_the_reply_of_an_interrupted_query_is_not_the_next_answer(bench: Any) -> None:
    link = VisaTransport.open(bench.instruments["source"].resource, timeout=2.0)
    previous = signal.signal(signal.SIGALRM, _raise)
    try:
        with ControlClient(bench.control_address) as control:
            control.transport("source", "slow_reply", DELAY)
            signal.setitimer(signal.ITIMER_REAL, DELAY / 3)
            with pytest.raises(Signalled):
                link.query("*IDN?")
            # still slow: the owed *IDN? reply arrives while the next query waits for its own
            assert link.query("SYST:ERR?") == '+0,"No error"'
            control.transport("source", "none")
        assert link.query("OUTP? (@1)") == "0"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        link.close()


def test_serial_reply_of_an_interrupted_query_is_not_the_next_answer(bench: Any) -> None:
    link = SerialTransport.open(bench.instruments["rmeter"].pty, baudrate=9600, timeout=2.0)
    previous = signal.signal(signal.SIGALRM, _raise)
    try:
        expected = link.query(":FUNC?")
        with ControlClient(bench.control_address) as control:
            control.transport("rmeter", "slow_reply", DELAY)
            signal.setitimer(signal.ITIMER_REAL, DELAY / 3)
            with pytest.raises(Signalled):
                link.query("*IDN?")
            assert link.query(":FUNC?") == expected
            control.transport("rmeter", "none")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        link.close()


def test_a_command_after_an_interrupted_query_goes_out_at_once(
    bench: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The signal lands after the reply was read, inside pyvisa: nothing more will come, and the
    safe state's ``OUTP OFF`` must not wait a whole timeout for it (issue 11: the source stayed
    on 2 s after a SIGINT)."""
    link = VisaTransport.open(bench.instruments["source"].resource, timeout=2.0)
    read = MessageBasedResource.read

    def read_then_signal(self: MessageBasedResource, *args: Any, **kwargs: Any) -> str:
        read(self, *args, **kwargs)
        raise Signalled("SIGINT")

    try:
        with monkeypatch.context() as patched:
            patched.setattr(MessageBasedResource, "read", read_then_signal)
            with pytest.raises(Signalled):
                link.query("MEAS:CURR? (@1)")
        sent = time.monotonic()
        link.write("OUTP OFF,(@1)")
        assert time.monotonic() - sent < 1.0  # not after the 2 s timeout
        assert link.query("OUTP? (@1)") == "0"
        assert link.query("SYST:ERR?") == '+0,"No error"'
    finally:
        link.close()
