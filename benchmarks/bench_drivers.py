"""Driver overhead against raw pyvisa, on the simulated bench over TCP loopback.

(a) ``Keysight34461A.measure_dc_voltage()`` against ``pyvisa`` ``query("MEAS:VOLT:DC?")`` on the
    same emulator, both connections with client ``TCP_NODELAY`` (the driver's transport sets it;
    the raw resource gets the same ``setsockopt``). Measurement queries carry no error check (a
    failed query shows as a timeout or a reply that does not parse), so this is the driver's
    whole cost: transport call, number parse, overload check, pint quantity. Calls alternate
    between the two clients so drift in the machine's load hits both equally.
(b) A configuring write followed by a query: source ``set_current_limit`` (``CURR 1,(@1)`` plus
    the ``SYST:ERR?`` check) then ``measure_voltage`` (``MEAS:VOLT? (@1)``): the pattern that
    stalls ~40 ms without ``TCP_NODELAY``.
"""

from __future__ import annotations

import socket
import statistics
import time
from collections.abc import Callable

import pyvisa

from benchmarks.report import Result
from instruments.drivers.keysight_34461a import Keysight34461A
from instruments.drivers.keysight_e36312a import KeysightE36312A
from instruments.transports.visa import VisaTransport, session_socket
from instruments.units import Q_
from simulators.launcher import start_bench

ROUNDS = 2000
WARMUP = 100


def _timed(call: Callable[[], object], samples: list[float]) -> None:
    start = time.perf_counter()
    call()
    samples.append((time.perf_counter() - start) * 1e6)


def run() -> list[Result]:
    with start_bench(seed=0, serial=False) as sim:
        dmm_resource = sim.instruments["dmm"].resource
        meter = Keysight34461A(VisaTransport.open(dmm_resource), check_errors=False)
        manager = pyvisa.ResourceManager("@py")
        raw = manager.open_resource(dmm_resource, read_termination="\n", write_termination="\n")
        raw_socket = session_socket(raw)
        assert raw_socket is not None, "pyvisa-py session layout changed; see transports/visa.py"
        raw_socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        source = KeysightE36312A(VisaTransport.open(sim.instruments["source"].resource))
        try:
            for _ in range(WARMUP):
                meter.measure_dc_voltage()
                raw.query("MEAS:VOLT:DC?")
            driver_us: list[float] = []
            raw_us: list[float] = []
            for _ in range(ROUNDS):
                _timed(meter.measure_dc_voltage, driver_us)
                _timed(lambda: raw.query("MEAS:VOLT:DC?"), raw_us)
            driver = statistics.median(driver_us)
            reference = statistics.median(raw_us)

            limit = Q_(1.0, "A")

            def write_then_query() -> None:
                source.set_current_limit(1, limit)
                source.measure_voltage(1)

            for _ in range(WARMUP // 2):
                write_then_query()
            pair_us: list[float] = []
            for _ in range(ROUNDS // 4):
                _timed(write_then_query, pair_us)
            pair = statistics.median(pair_us)
        finally:
            meter.close()
            source.close()
            raw.close()
            manager.close()  # last: pyvisa-py closing a manager also ends the other sessions
    return [
        Result("raw pyvisa query MEAS:VOLT:DC? (median)", reference, "us"),
        Result("driver measure_dc_voltage() (median)", driver, "us"),
        Result("driver / raw pyvisa ratio", driver / reference, "x", target=1.2),
        Result("source set_current_limit + measure_voltage (median)", pair / 1000, "ms", 1.0),
    ]


if __name__ == "__main__":
    for result in run():
        print(result.line())
