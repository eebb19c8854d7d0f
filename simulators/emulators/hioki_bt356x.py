"""Hioki BT3562/BT3563 battery HiTESTER (AC 1 kHz resistance and DC voltage), manual ch. 8.

The Hioki dialect is not queue-based: commands never reply, an error only sets a bit of the
standard event register (``*ESR?``), and a query that fails sends nothing at all, so a driver
learns of it by timing out. Lines end in CR+LF both ways (LF alone is accepted on input).
Readings use the manual's fixed-width format: a space for ``+`` and leading zeros blanked.
"""

from __future__ import annotations

import math

import numpy as np

from simulators.scpi import Call, ScpiEmulator, ScpiError, accept, reply
from simulators.wiring import Bench

#: Range -> (integer digits, decimals, exponent) of its reading format (manual §8.6 table).
R_LAYOUTS: dict[float, tuple[int, int, int]] = {
    3e-3: (2, 4, -3),
    30e-3: (3, 3, -3),
    300e-3: (4, 2, -3),
    3.0: (2, 4, 0),
    30.0: (3, 3, 0),
    300.0: (4, 2, 0),
    3000.0: (2, 4, 3),
}
V_LAYOUTS: dict[float, tuple[int, int, int]] = {6.0: (1, 5, 0), 60.0: (2, 4, 0), 300.0: (3, 3, 0)}
#: A resistance range shows up to 103.3 % of its name (31.000 mOhm on 30 mOhm).
R_OVER = 31.0 / 30.0
#: Accuracy: R 0.5 % rdg + 5 dgt, V 0.01 % rdg + 3 dgt (battery-domain §1.1).
R_ACCURACY, V_ACCURACY = (0.005, 5), (0.0001, 3)
RATES = {"EXFast": "EXFAST", "FAST": "FAST", "MEDium": "MEDIUM", "SLOW": "SLOW"}
FUNCTIONS = {"RV": "RV", "RESistance": "RESISTANCE", "VOLTage": "VOLTAGE"}
OVER = "over"
FAULT = "fault"


def _digit(layout: tuple[int, int, int]) -> float:
    _, decimals, exponent = layout
    return 10.0 ** (exponent - decimals)


def format_value(value: float | str, layout: tuple[int, int, int], *, sign: bool = True) -> str:
    """One field in the fixed-width format; ``OVER``/``FAULT`` give the manual's codes.

    Confirmed against BT3562 instruction manual §8.6 "Measurement Value Formats" (p. 150): the
    6 V range answers ``±1.00000E+9`` over range and ``+1.00000E+10`` on a measurement fault (one
    more exponent digit), 60 V ``±10.0000E+8`` / ``+10.0000E+9``; leading zeros become blanks.
    """
    digits, decimals, exponent = layout
    if value in (OVER, FAULT):
        mantissa = 10.0 ** (digits - 1)
        exponent = 9 - (digits - 1) + (1 if value == FAULT else 0)
        negative = False
    else:
        assert isinstance(value, float)
        mantissa = abs(value) / 10.0**exponent
        negative = value < 0
    text = f"{mantissa:0{digits + 1 + decimals}.{decimals}f}"
    whole, _, frac = text.partition(".")
    blanked = (
        whole.lstrip("0").rjust(len(whole)) if whole.strip("0") else " " * (len(whole) - 1) + "0"
    )
    body = f"{blanked}.{frac}E{exponent:+d}"
    if not sign:
        return body.strip()
    return ("-" if negative else " ") + body


class HiokiBT3562(ScpiEmulator):
    role = "rmeter"
    model = "BT3562"
    reply_terminator = b"\r\n"
    self_test_reply = "0"
    voltage_ranges: tuple[float, ...] = (6.0, 60.0)

    def __init__(
        self, bench: Bench, *, seed: int = 0, serial_number: str = "0", firmware: str = "V1.00"
    ) -> None:
        self.bench = bench
        self.serial_number = serial_number
        self.firmware = firmware
        self.rng = np.random.default_rng(seed)
        self.last: str | None = None
        self.esr0 = 0
        self.ese0 = 0
        self.reset()
        super().__init__(seed=seed)

    def identity(self) -> str:
        return f"HIOKI,{self.model},{self.serial_number},{self.firmware}"

    def reset(self) -> None:
        self.function = "RV"
        self.r_range = 3.0
        self.v_range = self.voltage_ranges[0]
        self.autorange = True
        self.rate = "FAST"
        self.trigger_source = "IMMEDIATE"
        self.continuous = True
        self.header = False
        self.last = None

    # -- the Hioki way of failing -------------------------------------------------------------
    def report(self, error: ScpiError) -> None:
        """No error queue: only the event-status bit (CME 32, EXE 16, DDE 8, QYE 4)."""
        self.esr |= error.esr_bit

    def decorate_reply(self, header: str, reply: str | None) -> str | None:
        if reply is None or not self.header:
            return reply
        return f"{header} {reply}"

    # -- measurement --------------------------------------------------------------------------
    def _measure(self) -> str:
        probe = self.bench.probe()
        r_field: float | str
        v_field: float | str
        if not math.isfinite(probe.resistance):
            r_field = v_field = FAULT
        else:
            if self.autorange:
                self.r_range = next(
                    (r for r in R_LAYOUTS if abs(probe.resistance) <= r * R_OVER), 3000.0
                )
                self.v_range = next(
                    (v for v in self.voltage_ranges if abs(probe.voltage) <= v),
                    self.voltage_ranges[-1],
                )
            r_field = self._noisy(probe.resistance, R_ACCURACY, R_LAYOUTS[self.r_range])
            if abs(probe.resistance) > self.r_range * R_OVER:
                r_field = OVER
            v_field = self._noisy(probe.voltage, V_ACCURACY, V_LAYOUTS[self.v_range])
            if abs(probe.voltage) > self.v_range:
                v_field = OVER
        self.esr0 |= 1  # EOM
        fields = {
            "RV": [
                format_value(r_field, R_LAYOUTS[self.r_range]),
                format_value(v_field, V_LAYOUTS[self.v_range]),
            ],
            "RESISTANCE": [format_value(r_field, R_LAYOUTS[self.r_range])],
            "VOLTAGE": [format_value(v_field, V_LAYOUTS[self.v_range])],
        }[self.function]
        return ",".join(fields)

    def _noisy(
        self, true: float, accuracy: tuple[float, int], layout: tuple[int, int, int]
    ) -> float:
        digit = _digit(layout)
        sigma = (accuracy[0] * abs(true) + accuracy[1] * digit) / 3.0
        return round((true + float(self.rng.normal(0.0, sigma))) / digit) * digit

    # -- command set --------------------------------------------------------------------------
    def register(self) -> None:
        t = self.tree

        def function(call: Call) -> None:
            call.params.expect(1)
            self.function = call.params.choice(0, FUNCTIONS)

        t.add("FUNCtion", set=function, query=reply(lambda: self.function))

        def r_range(call: Call) -> None:
            call.params.expect(1)
            value = call.params.number(0, unit="OHM", minimum=0.0, maximum=3100.0)
            self.r_range = next(r for r in R_LAYOUTS if value <= r * R_OVER)
            self.autorange = False

        t.add(
            "RESistance:RANGe",
            set=r_range,
            query=reply(lambda: format_value(self.r_range, R_LAYOUTS[self.r_range], sign=False)),
        )

        def v_range(call: Call) -> None:
            call.params.expect(1)
            top = self.voltage_ranges[-1]
            value = abs(call.params.number(0, unit="V", minimum=-top, maximum=top))
            self.v_range = next(v for v in self.voltage_ranges if value <= v)
            self.autorange = False

        t.add(
            "VOLTage:RANGe",
            set=v_range,
            query=reply(lambda: format_value(self.v_range, V_LAYOUTS[self.v_range], sign=False)),
        )

        def autorange(call: Call) -> None:
            call.params.expect(1)
            self.autorange = call.params.boolean(0)

        t.add("AUTorange", set=autorange, query=reply(lambda: "ON" if self.autorange else "OFF"))

        def rate(call: Call) -> None:
            call.params.expect(1)
            self.rate = call.params.choice(0, RATES)

        t.add("SAMPle:RATE", set=rate, query=reply(lambda: self.rate))

        def trigger_source(call: Call) -> None:
            call.params.expect(1)
            self.trigger_source = call.params.choice(
                0, {"IMMediate": "IMMEDIATE", "EXTernal": "EXTERNAL"}
            )

        t.add("TRIGger:SOURce", set=trigger_source, query=reply(lambda: self.trigger_source))

        def continuous(call: Call) -> None:
            call.params.expect(1)
            self.continuous = call.params.boolean(0)

        t.add(
            "INITiate:CONTinuous",
            set=continuous,
            query=reply(lambda: "ON" if self.continuous else "OFF"),
        )

        def initiate(call: Call) -> None:
            call.params.expect(0)
            if self.continuous:
                raise ScpiError(-200, "INITiate needs :INITiate:CONTinuous OFF")
            self.last = self._measure()

        t.add("INITiate[:IMMediate]", set=initiate)

        def read(call: Call) -> str:
            call.params.expect(0)
            if self.continuous:
                raise ScpiError(-200, ":READ? needs :INITiate:CONTinuous OFF")
            self.last = self._measure()
            return self.last

        def fetch(call: Call) -> str:
            call.params.expect(0)
            if self.continuous:
                self.last = self._measure()  # free-running: the newest reading is always there
            if self.last is None:
                raise ScpiError(-200, "no reading yet: send :READ? or :INITiate")
            return self.last

        t.add("READ", query=read)
        t.add("FETCh", query=fetch)

        def header(call: Call) -> None:
            call.params.expect(1)
            self.header = call.params.boolean(0)

        t.add("SYSTem:HEADer", set=header, query=reply(lambda: "ON" if self.header else "OFF"))

        def esr0(call: Call) -> str:
            call.params.expect(0)
            value, self.esr0 = self.esr0, 0
            return str(value)

        def ese0(call: Call) -> None:
            call.params.expect(1)
            self.ese0 = int(call.params.number(0, minimum=0, maximum=255))

        t.add("ESR0", query=esr0)
        t.add("ESE0", set=ese0, query=reply(lambda: str(self.ese0)))
        t.add("ADJust", query=reply(lambda: "0"))

        def sync(call: Call) -> None:
            call.params.expect(1)
            call.params.choice(0, {"SYNChronous": "SYNC", "ASYNchronous": "ASYNC"})

        t.add("SYSTem:ERRor", set=sync)  # EXT I/O ERR timing, NOT an error queue
        t.add("SYSTem:RESet", set=accept(self.reset))

    def trigger(self) -> None:
        self.last = self._measure()


class HiokiBT3563(HiokiBT3562):
    """The 300 V sibling: same commands, one more voltage range."""

    model = "BT3563"
    voltage_ranges = (6.0, 60.0, 300.0)
