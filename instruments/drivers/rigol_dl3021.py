"""Rigol DL3021 / DL3021A electronic load (DL3000 programming guide).

Rating: 150 V / 40 A / 200 W; CR 0.08 ohm .. 15 kohm [E, DL3000 data sheet range as summarised].
The level command depends on the function, so the driver remembers the function it set (or asks
``:SOUR:FUNC?`` once when it has not set one) rather than guessing which unit a level is in.
"""

from __future__ import annotations

from typing import ClassVar

from instruments.controls import Control
from instruments.drivers.load_levels import RatedLoad
from instruments.errors import ProtocolError
from instruments.roles import ElectronicLoad, LoadMode, LoadReading
from instruments.safe_state import confirm_off, reach_safe_state, reopener, write_step
from instruments.safety import (
    NO_LIMITS,
    SafetyLimits,
)
from instruments.scpi import ScpiInstrument
from instruments.transport import Transport
from instruments.units import Q_, Quantity

_SHORT_OFF, _INPUT_OFF = ":SOUR:INP:SHOR OFF", ":SOUR:INP:STAT OFF"
_FUNCTION = {LoadMode.CC: "CURR", LoadMode.CV: "VOLT", LoadMode.CR: "RES", LoadMode.CP: "POW"}
_FUNCTION_REPLY = {
    "CC": LoadMode.CC,
    "CURR": LoadMode.CC,
    "CURRENT": LoadMode.CC,
    "CV": LoadMode.CV,
    "VOLT": LoadMode.CV,
    "VOLTAGE": LoadMode.CV,
    "CR": LoadMode.CR,
    "RES": LoadMode.CR,
    "RESISTANCE": LoadMode.CR,
    "CP": LoadMode.CP,
    "POW": LoadMode.CP,
    "POWER": LoadMode.CP,
}


class RigolDL3021(ScpiInstrument, RatedLoad, ElectronicLoad):
    MODEL: ClassVar[str] = "DL3021"
    MAX_VOLTAGE: ClassVar[float] = 150.0
    MAX_CURRENT: ClassVar[float] = 40.0
    MAX_POWER: ClassVar[float] = 200.0
    MIN_RESISTANCE: ClassVar[float] = 0.08
    MAX_RESISTANCE: ClassVar[float] = 15_000.0
    POWER_LEVEL: ClassVar[str] = "CP level"

    def __init__(
        self,
        transport: Transport,
        *,
        limits: SafetyLimits = NO_LIMITS,
        check_errors: bool = True,
    ) -> None:
        super().__init__(transport, check_errors=check_errors)
        self.limits = limits
        self._mode: LoadMode | None = None

    @property
    def supports_short(self) -> bool:
        """False on a station whose limits forbid shorts: the test is then recorded as not
        tested instead of ending the run in an error."""
        return self.limits.allow_short

    # -- function and levels ------------------------------------------------------------------
    def set_mode(self, mode: LoadMode) -> None:
        self.write(f":SOUR:FUNC {_FUNCTION[mode]}")
        self._mode = mode

    def mode(self) -> LoadMode:
        """The function the load is in: remembered, or read once with ``:SOUR:FUNC?``."""
        if self._mode is None:
            reply = self.query(":SOUR:FUNC?")
            mode = _FUNCTION_REPLY.get(reply.strip().strip('"').upper())
            if mode is None:
                raise ProtocolError(
                    f"{self.resource}: reply to ':SOUR:FUNC?' is not CC/CV/CR/CP: {reply!r}"
                )
            self._mode = mode
        return self._mode

    # Each level is one declaration: its check (``RatedLoad``: rating, then station limits), its
    # command and its readback (``:SOUR:<function>:LEV?``), so ``load.current_level`` reads the
    # setting back.
    def _checked_von(self, voltage: Quantity) -> float:
        return self._rated(voltage, "V", "Von", 0.0, self.MAX_VOLTAGE)

    current_level = Control["RigolDL3021"](
        "A", set=":SOUR:CURR:LEV {value:g}", get=":SOUR:CURR:LEV?", check=RatedLoad._checked_current
    )
    voltage_level = Control["RigolDL3021"](
        "V", set=":SOUR:VOLT:LEV {value:g}", get=":SOUR:VOLT:LEV?", check=RatedLoad._checked_voltage
    )
    resistance_level = Control["RigolDL3021"](
        "ohm",
        set=":SOUR:RES:LEV {value:g}",
        get=":SOUR:RES:LEV?",
        check=RatedLoad._checked_resistance,
    )
    power_level = Control["RigolDL3021"](
        "W", set=":SOUR:POW:LEV {value:g}", get=":SOUR:POW:LEV?", check=RatedLoad._checked_power
    )
    von = Control["RigolDL3021"](
        "V", set=":SOUR:CURR:VON {value:g}", get=":SOUR:CURR:VON?", check=_checked_von
    )
    """CC sinks only above Von: keeps the load from pulling a protected pack to 0 V."""

    def set_current(self, current: Quantity) -> None:
        self.current_level = current

    def set_voltage(self, voltage: Quantity) -> None:
        self.voltage_level = voltage

    def set_resistance(self, resistance: Quantity) -> None:
        self.resistance_level = resistance

    def set_power(self, power: Quantity) -> None:
        self.power_level = power

    def set_von(self, voltage: Quantity) -> None:
        self.von = voltage

    # -- input --------------------------------------------------------------------------------
    def input_on(self) -> None:
        self.write(":SOUR:INP:STAT ON")

    def input_off(self) -> None:
        self.write(_INPUT_OFF)

    def is_input_on(self) -> bool:
        return self.query_bool(":SOUR:INP:STAT?")

    def set_short(self, on: bool) -> None:
        if on:
            self.limits.short(resource=self.resource)
        self.write(f":SOUR:INP:SHOR {'ON' if on else 'OFF'}")

    # -- readings -----------------------------------------------------------------------------
    def measure(self) -> LoadReading:
        return LoadReading(
            voltage=Q_(self.query_number(":MEAS:VOLT?"), "V"),
            current=Q_(self.query_number(":MEAS:CURR?"), "A"),
            power=Q_(self.query_number(":MEAS:POW?"), "W"),
        )

    # -- safe state ---------------------------------------------------------------------------
    def make_safe(self) -> None:
        """Short off, then input off, both attempted whatever the first did; ``:SOUR:INP:STAT?``
        confirms it (see ``reach_safe_state``)."""
        reach_safe_state(
            self.resource,
            [write_step(self.transport, command) for command in (_SHORT_OFF, _INPUT_OFF)],
            [confirm_off(self.transport, ":SOUR:INP:STAT?")],
            reopen=reopener(self.transport),
        )
