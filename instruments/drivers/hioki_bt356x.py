"""Hioki BT3562 / BT3563 battery HiTester (and the A variants): 1 kHz AC resistance with DC volts.

Not a ``ScpiInstrument``: the Hioki has no error queue (``:SYST:ERR`` sets the EXT I/O timing!).
Commands never answer, a failed query answers *nothing*, and errors are only bits of ``*ESR?``
(32 command, 16 execution, 8 device, 4 query). So the driver checks ``*ESR?`` once after each
configuring batch and, when a query times out, asks ``*ESR?`` to say why.

Replies to ``:READ?`` are fixed-width ``<R>,<V>`` with a space for ``+`` and spaces for leading
zeros (manual §8.6, p. 150, checked for the 6 V and 60 V ranges too): over-range decodes to
1E+9 and a measurement fault (open lead, bad contact) to 1E+10. Line terminator is CR+LF (the
transport's job); serial 9600/19200/38400 8N1 or LAN TCP 23.

Ranges (manual §9.2, §8.6): resistance 3 mohm (not BT3561A) .. 3000 ohm; voltage 6 V and 60 V on
all, 100 V on BT3562A, 300 V on BT3563/BT3563A. A requested range is rounded up to the smallest
range that covers it, which is also what the instrument does with ``:RES:RANG <value>``.

The manual asks for a short wait after changing measurement conditions before triggering;
``settle_time`` is honoured once, before the first ``read()`` after ``configure()``, on the
driver's ``timebase`` (wall time, or a procedure's virtual clock during a simulated run).
"""

from __future__ import annotations

from typing import ClassVar

from instruments.connection import Connection
from instruments.errors import (
    InstrumentError,
    InstrumentReportedError,
    InstrumentTimeout,
    MeasurementFault,
    OverloadError,
    ProtocolError,
    SettingOutOfRange,
)
from instruments.roles import Identity, ResistanceMeter, ResistanceReading, SampleRate
from instruments.scpi import parse_identity
from instruments.timebase import Timebase
from instruments.transport import Transport
from instruments.units import Q_, Quantity, as_magnitude

LINE_TERMINATION = "\r\n"
"""CR+LF both ways (manual §8.1 for RS-232C, the same on LAN): read by the factory."""
ESR_BITS = {32: "command error", 16: "execution error", 8: "device error", 4: "query error"}
ESR_ERRORS = 32 | 16 | 8 | 4
OVER_RANGE = 1e9
FAULT = 1e10

RESISTANCE_RANGES = (3e-3, 30e-3, 300e-3, 3.0, 30.0, 300.0, 3000.0)
VOLTAGE_RANGES: dict[str, tuple[float, ...]] = {
    "BT3561A": (6.0, 60.0),
    "BT3562": (6.0, 60.0),
    "BT3562A": (6.0, 60.0, 100.0),
    "BT3563": (6.0, 60.0, 300.0),
    "BT3563A": (6.0, 60.0, 300.0),
}
_RATE = {
    SampleRate.EX_FAST: "EXF",
    SampleRate.FAST: "FAST",
    SampleRate.MEDIUM: "MED",
    SampleRate.SLOW: "SLOW",
}


def describe_esr(value: int) -> str:
    return ", ".join(f"{bit} {name}" for bit, name in ESR_BITS.items() if value & bit)


def _covering_range(
    value: float, ranges: tuple[float, ...], setting: str, unit: str, where: str
) -> float:
    for candidate in ranges:
        if value <= candidate:
            return candidate
    raise SettingOutOfRange(
        f"{where}: {setting} {value:g} {unit} is above the largest range "
        f"({', '.join(f'{r:g}' for r in ranges)} {unit}); nothing was sent. "
        f"Fix: choose a {setting} up to {ranges[-1]:g} {unit}."
    )


class HiokiBT356x(Connection, ResistanceMeter):
    MAKER: ClassVar[str] = "HIOKI"

    def __init__(
        self, transport: Transport, *, model: str | None = None, settle_time: float = 0.1
    ) -> None:
        super().__init__(transport)
        self.settle_time = settle_time
        self._model = model
        self._identity: Identity | None = None
        self._configured_at: tuple[Timebase, float] | None = None
        """When ``configure`` last ran, and on which clock."""

    @property
    def identity(self) -> Identity:
        if self._identity is None:
            self._identity = parse_identity(self.transport.query("*IDN?"))
        return self._identity

    @property
    def model(self) -> str:
        """``BT3562``, ``BT3563A``...: options such as ``-01`` (GP-IB) are dropped."""
        if self._model is None:
            self._model = self.identity.model.split("-")[0].upper()
        return self._model

    # -- status -------------------------------------------------------------------------------
    def event_status(self) -> int:
        """``*ESR?`` (read and clear)."""
        reply = self.transport.query("*ESR?")
        try:
            return int(reply.strip())
        except ValueError:
            raise ProtocolError(
                f"{self.resource}: reply to '*ESR?' is not an integer: {reply!r}"
            ) from None

    def raise_on_errors(self, commands: list[str]) -> None:
        status = self.event_status() & ESR_ERRORS
        if status:
            raise InstrumentReportedError(
                f"{self.resource}: *ESR? = {status} ({describe_esr(status)}) after "
                f"{'; '.join(commands)}"
            )

    # -- configuration ------------------------------------------------------------------------
    def configure(
        self,
        resistance_range: Quantity,
        voltage_range: Quantity,
        rate: SampleRate = SampleRate.MEDIUM,
    ) -> None:
        ohms = as_magnitude(resistance_range, "ohm", name="resistance_range")
        volts = as_magnitude(voltage_range, "V", name="voltage_range")
        r_ranges = RESISTANCE_RANGES[1:] if self.model == "BT3561A" else RESISTANCE_RANGES
        v_ranges = VOLTAGE_RANGES.get(self.model, VOLTAGE_RANGES["BT3562"])
        where = f"{self.resource} ({self.model})"
        if ohms <= 0 or volts <= 0:
            raise SettingOutOfRange(
                f"{where}: ranges must be positive (got {ohms:g} ohm, {volts:g} V); nothing was "
                "sent. Fix: pass the largest value you expect to read."
            )
        r_range = _covering_range(ohms, r_ranges, "resistance range", "ohm", where)
        v_range = _covering_range(volts, v_ranges, "voltage range", "V", where)
        commands = [
            "*CLS",
            ":FUNC RV",
            ":AUT OFF",
            f":RES:RANG {r_range:g}",
            f":VOLT:RANG {v_range:g}",
            f":SAMP:RATE {_RATE[rate]}",
            ":TRIG:SOUR IMM",
            ":INIT:CONT OFF",
        ]
        for command in commands:
            self.transport.write(command)
        self.raise_on_errors(commands[1:])
        self._configured_at = (self.timebase, self.timebase.monotonic())

    # -- measurement --------------------------------------------------------------------------
    def read(self) -> ResistanceReading:
        self._settle()
        try:
            reply = self.transport.query(":READ?")
        except InstrumentTimeout as exc:
            raise InstrumentTimeout(f"{exc}; {self._why_silent()}") from exc
        return self.parse_reading(reply)

    def _settle(self) -> None:
        if self._configured_at is None:
            return
        clock, configured = self._configured_at
        self._configured_at = None
        # configured on another clock (lent or given back in between): the two times do not
        # compare, so the whole settling time is waited
        elapsed = self.timebase.monotonic() - configured if clock is self.timebase else 0.0
        remaining = self.settle_time - elapsed
        if remaining > 0:
            self.timebase.sleep(remaining)

    def _why_silent(self) -> str:
        """A silent ``:READ?`` is either a refused query (ESR says which) or a dead link."""
        try:
            status = self.event_status() & ESR_ERRORS
        except InstrumentError:
            return "*ESR? did not answer either: check the cable/port and the baud rate"
        if status:
            return (
                f"*ESR? = {status} ({describe_esr(status)}): the tester refused ':READ?'; "
                "is continuous measurement off (configure() sets it)?"
            )
        return "*ESR? reports no error: the reading took longer than the timeout"

    def parse_reading(self, reply: str) -> ResistanceReading:
        fields = reply.strip().split(",")
        if len(fields) != 2:
            raise ProtocolError(f"{self.resource}: ':READ?' reply is not '<R>,<V>': {reply!r}")
        try:
            ohms, volts = (float(field.replace(" ", "")) for field in fields)
        except ValueError:
            raise ProtocolError(
                f"{self.resource}: ':READ?' reply is not numeric: {reply!r}"
            ) from None
        if abs(ohms) >= FAULT or abs(volts) >= FAULT:
            raise MeasurementFault(
                f"{self.resource}: measurement fault in {reply.strip()!r}: check the probe "
                "contact (open lead, bad contact or irregular measurement current)."
            )
        for name, value in (("resistance", ohms), ("voltage", volts)):
            if abs(value) >= OVER_RANGE:
                raise OverloadError(
                    f"{self.resource}: {name} over range in {reply.strip()!r}: choose a larger "
                    f"{name} range."
                )
        return ResistanceReading(resistance=Q_(ohms, "ohm"), voltage=Q_(volts, "V"))

    # -- safe state ---------------------------------------------------------------------------
    def make_safe(self) -> None:
        """Nothing to switch off: the tester only drives its small 1 kHz measurement current.

        Deliberately no I/O, so the safe-state path can never hang on a silent tester.
        """
