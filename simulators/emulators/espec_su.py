"""ESPEC SU-241 bench-top temperature chamber (the SH/SU series' RS-232 command set).

The dialect is ESPEC's own, not SCPI: every line is answered, a setting with ``OK: `` and the
command echoed (``TEMP, S0.0`` -> ``OK: TEMP, S0.0``), a refused one with ``NA: `` and the reason;
``TEMP?`` answers ``measured,set point,upper alarm,lower alarm`` in degrees Celsius with one
decimal; ``MODE, CONSTANT`` runs to the set point, ``MODE, STANDBY`` stops controlling, ``MODE?``
names the mode; ``TYPE?`` names the controller. Lines end in CR+LF. Sources: the command strings
and reply shapes of a public SH-641 driver (akaeba/ATWG, ``sh641Const.py`` and ``sh641.py``,
which reads ESPEC's communication manual) [S*]; the ``NA:`` reasons, the ``TYPE?`` reply and
the SU-241's -40 .. +150 degC range are estimates to check against the manual [E].

Physics, simplified: in CONSTANT mode the chamber's air is at the set point at once (a chamber's
air settles in minutes, the cells it holds in about an hour: the soak is the cells', modelled by
their own thermal mass and resistance); in STANDBY or OFF the air is the lab's again.
"""

from __future__ import annotations

import numpy as np

from simulators.wiring import ROOM_C, Bench

RANGE_C = (-40.0, 150.0)
ALARMS_C = (155.0, -45.0)
"""Upper and lower alarm limits the chamber reports beside the set point."""
TYPE_REPLY = "SU-241,T,S2,150.0"
MODES = ("CONSTANT", "STANDBY", "OFF")


class EspecSU241:
    """One chamber on one serial line (and TCP, as the simulated bench serves every model)."""

    role = "chamber"
    model = "SU-241"

    def __init__(self, bench: Bench, *, seed: int = 0) -> None:
        self.bench = bench
        self._rng = np.random.default_rng(seed)
        self._pending = b""
        self.setpoint = ROOM_C
        self.mode = "STANDBY"

    def receive(self, data: bytes) -> bytes:
        self._pending += data
        replies: list[str] = []
        while b"\n" in self._pending:
            raw, _, self._pending = self._pending.partition(b"\n")
            line = raw.decode("ascii", "replace").strip()
            if line:
                replies.append(self.handle(line))
        return b"".join(f"{r}\r\n".encode("ascii") for r in replies)

    def handle(self, line: str) -> str:
        """The reply to one command line (every line gets one)."""
        head, _, rest = line.partition(",")
        name = head.strip().upper()
        argument = rest.strip().upper()
        if name == "TYPE?":
            return TYPE_REPLY
        if name == "TEMP?":
            air = f"{self.bench.ambient + float(self._rng.normal(0.0, 0.03)):.1f}"
            air = "0.0" if air == "-0.0" else air
            return f"{air},{self.setpoint:.1f},{ALARMS_C[0]:.1f},{ALARMS_C[1]:.1f}"
        if name == "MODE?":
            return self.mode
        if name == "TEMP" and argument.startswith("S"):
            return self._set_temperature(line, argument[1:])
        if name == "MODE" and argument in MODES:
            self.mode = argument
            self._apply()
            return f"OK: MODE, {argument}"
        return "NA: COMMAND ERR"

    def _set_temperature(self, line: str, text: str) -> str:
        try:
            value = float(text)
        except ValueError:
            return "NA: DATA NOT READY"
        if not RANGE_C[0] <= value <= RANGE_C[1]:
            return "NA: DATA OUT OF RANGE"
        self.setpoint = round(value, 1)
        self._apply()
        return f"OK: TEMP, S{self.setpoint:.1f}"

    def _apply(self) -> None:
        self.bench.set_ambient(self.setpoint if self.mode == "CONSTANT" else ROOM_C)
