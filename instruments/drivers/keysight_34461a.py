"""Keysight Truevolt 344xx digital multimeters (34460A, 34461A, 34465A, 34470A): DC volts.

Command facts (Truevolt Operating and Service Guide, SCPI reference; battery-domain.md §2.1):
``CONFigure[:VOLTage][:DC] {<range>|AUTO}``, ``[SENSe:]VOLTage[:DC]:NPLC <PLC>``, ``READ?``
(= INIT + FETCh?), ``MEASure[:VOLTage][:DC]?`` (= CONF + READ?). Readings are NR3
(``+3.85012345E+00``); an overload reads ``+9.90000000E+37`` and raises ``OverloadError``.
DC ranges 100 mV .. 1000 V in decades. NPLC sets differ by model: 34460A/34461A
{0.02, 0.2, 1, 10, 100}; 34465A/34470A add 0.06 (and 0.001/0.002/0.006 with the DIG option,
which this driver does not detect, so it refuses them rather than guess).

Temperature (the ``temperature`` role, a second 344xx whose leads sit on the pack's NTC or a probe
taped to the cells). Truevolt Operating and Service Guide, SCPI reference (Command Quick
Reference: https://people.ece.ubc.ca/~eng-services/files/eHUB/Bench1-General/34465A%20DMM/
Help%20file/Content/_Home_Page/Command_Quick_Reference.htm):
``CONFigure:TEMPerature [{FRTD|RTD|FTHermistor|THERmistor|TCouple|DEFault} [,{<type>|DEFault}
[,1 [,{<resolution>|MIN|MAX|DEF}]]]]``, ``MEASure:TEMPerature? [...]`` (same parameters),
``[SENSe:]TEMPerature:TRANsducer:TYPE``, ``[SENSe:]TEMPerature:TRANsducer:{FTHermistor|THERmistor}
:TYPE 5000`` (the Truevolt converts 5 kOhm thermistors only, YSI 44007 curve),
``[SENSe:]TEMPerature:TRANsducer:{FRTD|RTD}:RESistance[:REFerence] <R0>`` (alpha 0.00385, type
85), ``UNIT:TEMPerature {C|F|K}``. Thermocouples (``TCouple``) exist on the 34465A/70A only. An
open or shorted probe reads the overload code and raises ``OverloadError``: a broken probe is an
instrument error, never a temperature.
"""

from __future__ import annotations

from typing import ClassVar

from instruments.errors import ProtocolError, SettingOutOfRange
from instruments.roles import Multimeter, Thermometer
from instruments.scpi import ScpiInstrument
from instruments.transport import Transport
from instruments.units import DEGC, OHM, Q_, VOLT, Quantity, as_magnitude

DC_RANGES: tuple[float, ...] = (0.1, 1.0, 10.0, 100.0, 1000.0)
NPLC_BY_MODEL: dict[str, tuple[float, ...]] = {
    "34460A": (0.02, 0.2, 1, 10, 100),
    "34461A": (0.02, 0.2, 1, 10, 100),
    "34465A": (0.02, 0.06, 0.2, 1, 10, 100),
    "34470A": (0.02, 0.06, 0.2, 1, 10, 100),
}
PROBES: dict[str, str] = {
    "thermistor": "THER",
    "thermistor_4w": "FTH",
    "rtd": "RTD",
    "rtd_4w": "FRTD",
}
"""Probe kinds this driver configures, by the name a station file uses, to the SCPI keyword."""
THERMISTOR_TYPE = 5000
"""The one thermistor the Truevolt converts: 5 kOhm at 25 degC (YSI 44007 curve)."""
RTD_TYPE = 85
"""The Truevolt's RTD conversion: alpha = 0.00385 (IEC 60751)."""
RTD_REFERENCE_OHMS = (49.0, 2100.0)
"""Nominal RTD resistance at 0 degC the guide accepts (``TEMP:TRAN:RTD:RES``)."""


class Keysight34461A(ScpiInstrument, Multimeter, Thermometer):
    """One class for the 344xx family; ``model`` selects the NPLC set (the factory passes it).

    It serves the ``dmm`` role (DC volts on P+/P-) and the ``temperature`` role (a second unit
    on the pack's NTC or a probe): which one is up to the station, not the class.
    """

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

    # -- temperature (the ``temperature`` role) ------------------------------------------------
    def configure_temperature(
        self, probe: str = "thermistor", *, rtd_reference: Quantity | None = None
    ) -> None:
        """``CONF:TEMP <probe>,<type>`` then ``UNIT:TEMP C`` (and ``TEMP:TRAN:RTD:RES`` for RTDs).

        Everything is checked before anything is sent: an unknown probe kind or an RTD
        reference outside 49 Ohm .. 2.1 kOhm raises ``SettingOutOfRange``.

        Checked against the Truevolt SCPI reference (Command Quick Reference, "Configuration
        Commands", cited in the module docstring): ``CONF:TEMP THER,5000`` is
        ``CONFigure:TEMPerature {...|THERmistor|...},{<type>}`` with the one thermistor type the
        Truevolt converts (5000, as ``TEMP:TRAN:THER:TYPE 5000``); ``UNIT:TEMP C`` is
        ``UNIT:TEMPerature {C|F|K}``. ``CONF`` resets the function's settings but not the unit,
        hence ``UNIT:TEMP`` after it.
        """
        keyword = PROBES.get(probe)
        if keyword is None:
            raise SettingOutOfRange(
                f"{self.resource}: temperature probe {probe!r} is not one the {self.model} "
                f"converts; use one of {', '.join(PROBES)}"
            )
        reference: float | None = None
        if keyword in ("RTD", "FRTD"):
            ohms = as_magnitude(
                rtd_reference if rtd_reference is not None else Q_(100.0, OHM),
                OHM,
                name="RTD reference resistance",
            )
            low, high = RTD_REFERENCE_OHMS
            if not low <= ohms <= high:
                raise SettingOutOfRange(
                    f"{self.resource}: RTD reference {ohms:g} ohm is outside the {self.model}'s "
                    f"{low:g} .. {high:g} ohm; a PT100 is 100 ohm, a PT1000 1000 ohm"
                )
            reference = ohms
        elif rtd_reference is not None:
            raise SettingOutOfRange(
                f"{self.resource}: rtd_reference applies to RTD probes, not to {probe!r}"
            )
        kind = THERMISTOR_TYPE if reference is None else RTD_TYPE
        self.write(f"CONF:TEMP {keyword},{kind}")
        if reference is not None:
            self.write(f"TEMP:TRAN:{keyword}:RES {reference:g}")
        self.write("UNIT:TEMP C")

    def temperature(self) -> Quantity:
        """``READ?`` in the temperature function: degrees Celsius (``UNIT:TEMP C`` was set)."""
        return Q_(self.query_number("READ?"), DEGC)

    def measure_temperature(self) -> Quantity:
        """``MEAS:TEMP? THER,5000``: configure for the 5 kOhm thermistor and read, one trip.

        The reply is in the unit set by ``UNIT:TEMP``, which ``MEAS`` does not change; so it is
        asked first (``UNIT:TEMP?``) rather than assumed.
        """
        unit = self.query("UNIT:TEMP?", retries=1).strip().upper()
        value = self.query_number(f"MEAS:TEMP? THER,{THERMISTOR_TYPE}")
        if unit == "C":
            return Q_(value, DEGC)
        if unit == "F":
            return Q_(value, "degF").to(DEGC)
        if unit == "K":
            return Q_(value, "K").to(DEGC)
        raise ProtocolError(f"{self.resource}: UNIT:TEMP? answered {unit!r}, not C, F or K")

    # -- safe state ---------------------------------------------------------------------------
    def make_safe(self) -> None:
        """A DMM sources nothing (its inputs are high impedance in DC volts): nothing to switch
        off, and sending nothing means a dead link cannot make ``close`` fail."""
