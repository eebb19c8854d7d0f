"""Round trips through pyvisa-py to a simulated 34461A: the wire cost every driver call pays.

Measured both with pyvisa-py as it comes (its 0.8 client socket keeps Nagle on, and setting
``VI_ATTR_TCPIP_NODELAY`` through pyvisa fails) and with ``TCP_NODELAY`` set on its socket by hand,
which is what our own TCP transports do. The server side sets ``TCP_NODELAY`` and re-arms
``TCP_QUICKACK`` after every recv, which is what keeps write-then-query fast even for the stock
client.
"""

from __future__ import annotations

import socket
import statistics
import time
from collections.abc import Callable

import pyvisa

from benchmarks.report import Result
from simulators.launcher import start_bench

ROUNDS = 400


def _median_us(action: Callable[[], object], rounds: int = ROUNDS) -> float:
    for _ in range(20):
        action()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e6


def _client_socket(resource: pyvisa.resources.MessageBasedResource) -> socket.socket:
    session = resource.visalib.sessions[resource.session]
    sock: socket.socket = session.interface
    return sock


def run() -> list[Result]:
    results: list[Result] = []
    with start_bench(serial=False) as sim:
        rm = pyvisa.ResourceManager("@py")
        try:
            dmm = rm.open_resource(sim.instruments["dmm"].resource, read_termination="\n")
            dmm.write_termination = "\n"
            dmm.write("CONF:VOLT:DC 10")

            def query() -> object:
                return dmm.query("MEAS:VOLT:DC?")

            def write_then_query() -> object:
                dmm.write("VOLT:DC:NPLC 0.02")
                return dmm.query("MEAS:VOLT:DC?")

            for label, nodelay in (("stock pyvisa-py client", False), ("client TCP_NODELAY", True)):
                sock = _client_socket(dmm)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, int(nodelay))
                results.append(
                    Result(f"MEAS:VOLT:DC? round trip, {label}", _median_us(query) / 1e3, "ms", 1.0)
                )
                results.append(
                    Result(
                        f"write + MEAS:VOLT:DC? query, {label}",
                        _median_us(write_then_query) / 1e3,
                        "ms",
                        1.0,
                    )
                )
            dmm.close()
        finally:
            rm.close()
    return results
