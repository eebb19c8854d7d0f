"""Keysight Truevolt 344xx digital multimeters (34460A, 34461A, 34465A, 34470A): DC volts.

Command facts (Truevolt Operating and Service Guide, SCPI reference; battery-domain.md §2.1):
``CONFigure[:VOLTage][:DC] {<range>|AUTO}``, ``[SENSe:]VOLTage[:DC]:NPLC <PLC>``, ``READ?``
(= INIT + FETCh?), ``MEASure[:VOLTage][:DC]?`` (= CONF + READ?). Readings are NR3
(``+3.85012345E+00``); an overload reads ``+9.90000000E+37`` and raises ``OverloadError``.
DC ranges 100 mV .. 1000 V in decades. NPLC sets differ by model: 34460A/34461A
{0.02, 0.2, 1, 10, 100}; 34465A/34470A add 0.06 (and 0.001/0.002/0.006 with the DIG option,
which this driver does not detect, so it refuses them rather than guess).
"""

from __future__ import annotations

from typing import ClassVar

from instruments.errors import SettingOutOfRange
from instruments.roles import Multimeter
from instruments.scpi import ScpiInstrument
from instruments.transport import Transport
from instruments.units import Q_, VOLT, Quantity, as_magnitude

DC_RANGES: tuple[float, ...] = (0.1, 1.0, 10.0, 100.0, 1000.0)
NPLC_BY_MODEL: dict[str, tuple[float, ...]] = {
    "34460A": (0.02, 0.2, 1, 10, 100),
    "34461A": (0.02, 0.2, 1, 10, 100),
    "34465A": (0.02, 0.06, 0.2, 1, 10, 100),
    "34470A": (0.02, 0.06, 0.2, 1, 10, 100),
}


class Keysight34461A(ScpiInstrument, Multimeter):
    """One class for the 344xx family; ``model`` selects the NPLC set (the factory passes it)."""

    MODELS: ClassVar[tuple[str, ...]] = tuple(NPLC_BY_MODEL)

    def __init__(
        self, transport: Transport, *, model: str = "34461A", check_errors: bool = True
    ) -> None:
        if model not in NPLC_BY_MODEL:
            raise ValueError(f"model {model!r} is not a 344xx DMM; use one of {self.MODELS}")
        super().__init__(transport, check_errors=check_errors)
        self.model = model
        self.nplc_values = NPLC_BY_MODEL[model]

    # -- checks (run before anything is sent) -------------------------------------------------
    def _range_volts(self, range_: Quantity) -> float:
        """The smallest DC range that holds ``range_`` (as the instrument itself would pick)."""
        volts = abs(as_magnitude(range_, VOLT, name="DC voltage range"))
        for candidate in DC_RANGES:
            if volts <= candidate * (1 + 1e-9):
                return candidate
        raise SettingOutOfRange(
            f"{self.resource}: DC voltage range {range_:~P} exceeds the {self.model}'s "
            f"largest range (1000 V); ranges are {', '.join(f'{r:g} V' for r in DC_RANGES)}"
        )

    def _checked_nplc(self, nplc: float) -> float:
        if not any(abs(nplc - allowed) <= 1e-9 * allowed for allowed in self.nplc_values):
            raise SettingOutOfRange(
                f"{self.resource}: NPLC {nplc!r} is not available on the {self.model}; "
                f"use one of {', '.join(f'{n:g}' for n in self.nplc_values)}"
            )
        return nplc

    # -- commands -----------------------------------------------------------------------------
    def configure_dc_voltage(
        self, range_: Quantity | None = None, nplc: float | None = None
    ) -> None:
        """``CONF:VOLT:DC <range>|AUTO`` then ``VOLT:DC:NPLC <n>``; both checked before sending."""
        volts = None if range_ is None else self._range_volts(range_)
        cycles = None if nplc is None else self._checked_nplc(nplc)
        self.write("CONF:VOLT:DC AUTO" if volts is None else f"CONF:VOLT:DC {volts:g}")
        if cycles is not None:
            self.write(f"VOLT:DC:NPLC {cycles:g}")

    def dc_voltage(self) -> Quantity:
        """``READ?``: one triggered reading with the configured range and NPLC."""
        return Q_(self.query_number("READ?"), VOLT)

    def measure_dc_voltage(self) -> Quantity:
        """``MEAS:VOLT:DC?``: configure to autorange/defaults and read, in one round trip."""
        return Q_(self.query_number("MEAS:VOLT:DC?"), VOLT)

    @property
    def nplc(self) -> float:
        """``VOLT:DC:NPLC?``: integration time in power-line cycles."""
        return self.query_number("VOLT:DC:NPLC?", retries=1)

    @nplc.setter
    def nplc(self, cycles: float) -> None:
        self.write(f"VOLT:DC:NPLC {self._checked_nplc(cycles):g}")

    @property
    def dc_voltage_range(self) -> Quantity:
        """``VOLT:DC:RANG?``: the range in use (after autoranging, the one it picked)."""
        return Q_(self.query_number("VOLT:DC:RANG?", retries=1), VOLT)

    # -- safe state ---------------------------------------------------------------------------
    def make_safe(self) -> None:
        """A DMM sources nothing (its inputs are high impedance in DC volts): nothing to switch
        off, and sending nothing means a dead link cannot make ``close`` fail."""

    def close(self) -> None:
        if self.closed:
            return
        try:
            self.make_safe()
        finally:
            super().close()
