"""Keysight 34461A Truevolt DMM, DC volts as its Operating and Service Guide describes them.

Only the DC-voltage function is wired to the bench (it is the only one a pack diagnosis uses);
the other function names are accepted by ``FUNCtion`` so connect-time housekeeping of third-party
drivers works, and reading them reports a settings conflict instead of inventing a value.
"""

from __future__ import annotations

import numpy as np

from simulators.scpi import Call, Mnemonic, ScpiEmulator, ScpiError, accept, flag, nr3, reply
from simulators.scpi.formats import OVERLOAD, quantize
from simulators.wiring import Bench

RANGES = (0.1, 1.0, 10.0, 100.0, 1000.0)
#: Truevolt guide "Range, Resolution and NPLC", 34461A column: resolution = factor x range.
RES_FACTOR = {0.02: 100e-6, 0.2: 10e-6, 1.0: 3e-6, 10.0: 1e-6, 100.0: 0.3e-6}
NPLC_VALUES = tuple(sorted(RES_FACTOR))
#: 1-year DCV accuracy (% of reading, % of range) on the 10 V range, used as a 2-sigma bound.
ACCURACY = (0.0035e-2, 0.0005e-2)
FUNCTIONS = {
    "VOLTage": "VOLT",
    "VOLTage:DC": "VOLT",
    "VOLT:DC": "VOLT",
    "VOLTage:AC": "VOLT:AC",
    "VOLT:AC": "VOLT:AC",
    "CURRent": "CURR",
    "CURRent:DC": "CURR",
    "CURR:DC": "CURR",
    "RESistance": "RES",
    "FRESistance": "FRES",
}


class Keysight34461A(ScpiEmulator):
    role = "dmm"
    model = "34461A"

    def __init__(
        self,
        bench: Bench,
        *,
        seed: int = 0,
        serial_number: str = "MY53012345",
        firmware: str = "A.03.01-02.40-03.15-00.52-00-00",
        line_frequency: int = 50,
    ) -> None:
        self.bench = bench
        self.serial_number = serial_number
        self.firmware = firmware
        self.line_frequency = line_frequency
        self.rng = np.random.default_rng(seed)
        self.readings: list[float] = []
        self.display_text = ""
        self.reset()
        super().__init__(seed=seed)

    def identity(self) -> str:
        return f"Keysight Technologies,{self.model},{self.serial_number},{self.firmware}"

    def reset(self) -> None:
        self.function = "VOLT"
        self.range = 10.0
        self.autorange = True
        self.nplc = 10.0
        self.impedance_auto = False
        self.zero_auto = True
        self.trigger_source = "IMM"
        self.trigger_count = 1.0
        self.sample_count = 1
        self.trigger_delay_auto = True
        self.display_on = True
        self.readings = []

    # -- measurement --------------------------------------------------------------------------
    def _resolution(self) -> float:
        return RES_FACTOR[self.nplc] * self.range

    def _one_reading(self) -> float:
        if self.function != "VOLT":
            raise ScpiError(-221, f"function {self.function} is not simulated")
        true = self.bench.dmm_voltage()
        if self.autorange:
            self.range = next((r for r in RANGES if abs(true) <= 1.2 * r), RANGES[-1])
        limit = 1.2 * self.range if self.range < 1000.0 else 1050.0
        if not np.isfinite(true) or abs(true) > limit:
            return float(np.copysign(OVERLOAD, true if np.isfinite(true) else 1.0))
        sigma = (ACCURACY[0] * abs(true) + ACCURACY[1] * self.range) / 2.0
        noisy = true + float(self.rng.normal(0.0, sigma))
        return quantize(noisy, self._resolution())

    def _initiate(self) -> None:
        count = int(self.trigger_count) * self.sample_count
        self.readings = [self._one_reading() for _ in range(count)]

    def _fetch(self) -> str:
        if not self.readings:
            raise ScpiError(-230, "no readings: send INITiate first")
        return ",".join(nr3(r) for r in self.readings)

    def _configure(self, call: Call) -> None:
        """CONFigure presets the trigger system and sets range and resolution (guide p.CONF)."""
        p = call.params
        p.expect(0, 2)
        self.function = "VOLT"
        self.trigger_source, self.trigger_count, self.sample_count = "IMM", 1.0, 1
        if p.present(0) and p.raw(0).upper() != "AUTO" and p.keyword(0) != "DEF":
            self._set_range(
                p.number(0, unit="V", minimum=0.0, maximum=1000.0, default=10.0)
                if p.keyword(0) is None
                else (RANGES[0] if p.keyword(0) == "MIN" else RANGES[-1])
            )
        else:
            self.autorange = True
        if p.present(1) and p.keyword(1) != "DEF":
            keyword = p.keyword(1)
            if keyword == "MIN":
                self.nplc = 100.0
            elif keyword == "MAX":
                self.nplc = 0.02
            else:
                wanted = p.number(1, unit="V", minimum=0.0)
                fits = [n for n in NPLC_VALUES if RES_FACTOR[n] * self.range <= wanted * 1.000001]
                self.nplc = fits[0] if fits else 100.0
        else:
            self.nplc = 10.0

    def _set_range(self, value: float) -> None:
        fitting = [r for r in RANGES if abs(value) <= r * 1.000001]
        if not fitting:
            raise ScpiError(-222, f"range {value}")
        self.range = fitting[0]
        self.autorange = False

    # -- command set --------------------------------------------------------------------------
    def register(self) -> None:
        t = self.tree
        self.add_error_query()

        def conf(call: Call) -> None:
            self._configure(call)

        def conf_query(call: Call) -> str:
            call.params.expect(0)
            return f'"{self.function} {nr3(self.range)},{nr3(self._resolution())}"'

        def meas(call: Call) -> str:
            self._configure(call)
            self._initiate()
            return self._fetch()

        def read(call: Call) -> str:
            call.params.expect(0)
            self._initiate()
            return self._fetch()

        def init(call: Call) -> None:
            call.params.expect(0)
            self._initiate()

        def fetch(call: Call) -> str:
            call.params.expect(0)
            return self._fetch()

        t.add("CONFigure[:VOLTage][:DC]", set=conf, query=conf_query)
        t.add("MEASure[:VOLTage][:DC]", query=meas)
        t.add("READ", query=read)
        t.add("INITiate[:IMMediate]", set=init)
        t.add("FETCh", query=fetch)
        t.add("ABORt", set=accept())
        t.add("DATA:POINts", query=reply(lambda: f"{len(self.readings):+d}"))

        def function(call: Call) -> None:
            call.params.expect(1)
            text = call.params.string(0).strip().upper()
            for spec, name in FUNCTIONS.items():
                words = text.split(":")
                specs = spec.split(":")
                if len(words) == len(specs) and all(
                    Mnemonic.parse(s).matches(w) for s, w in zip(specs, words, strict=True)
                ):
                    self.function = name
                    return
            raise ScpiError(-224, f"function {text!r}")

        t.add("[SENSe:]FUNCtion[:ON]", set=function, query=reply(lambda: f'"{self.function}"'))

        def set_range(call: Call) -> None:
            call.params.expect(1)
            keyword = call.params.keyword(0)
            if keyword is not None:
                self._set_range({"MIN": RANGES[0], "MAX": RANGES[-1], "DEF": 10.0}[keyword])
            else:
                self._set_range(call.params.number(0, unit="V", minimum=-1000.0, maximum=1000.0))

        def range_query(call: Call) -> str:
            call.params.expect(0, 1)
            if call.params.present(0):
                keyword = call.params.keyword(0)
                if keyword is None:
                    raise ScpiError(-224)
                return nr3({"MIN": RANGES[0], "MAX": RANGES[-1], "DEF": 10.0}[keyword])
            return nr3(self.range)

        t.add("[SENSe:]VOLTage[:DC]:RANGe[:UPPer]", set=set_range, query=range_query)

        def set_autorange(call: Call) -> None:
            call.params.expect(1)
            if call.params.raw(0).upper() == "ONCE":
                self.autorange = True
                self._one_reading()
                self.autorange = False
                return
            self.autorange = call.params.boolean(0)

        t.add(
            "[SENSe:]VOLTage[:DC]:RANGe:AUTO",
            set=set_autorange,
            query=reply(lambda: str(int(self.autorange))),
        )

        def set_nplc(call: Call) -> None:
            call.params.expect(1)
            value = call.params.number(0, minimum=0.0, maximum=100.0, default=10.0)
            if call.params.keyword(0) == "MIN":
                value = 0.02
            # The guide: values between the listed ones round up to the next slower setting.
            self.nplc = next(n for n in NPLC_VALUES if value <= n * 1.000001)

        def nplc_query(call: Call) -> str:
            call.params.expect(0, 1)
            if call.params.present(0):
                keyword = call.params.keyword(0)
                if keyword is None:
                    raise ScpiError(-224)
                return nr3({"MIN": 0.02, "MAX": 100.0, "DEF": 10.0}[keyword])
            return nr3(self.nplc)

        t.add("[SENSe:]VOLTage[:DC]:NPLCycles", set=set_nplc, query=nplc_query)
        t.add("[SENSe:]VOLTage[:DC]:RESolution", query=reply(lambda: nr3(self._resolution())))

        t.add("[SENSe:]VOLTage[:DC]:IMPedance:AUTO", *flag(self, "impedance_auto"))
        zero_set, zero_get = flag(self, "zero_auto")

        def zero(call: Call) -> None:
            if len(call.params) == 1 and call.params.raw(0).upper() == "ONCE":
                self.zero_auto = False  # one zero measurement now, then off (as documented)
                return
            zero_set(call)

        t.add("[SENSe:]VOLTage[:DC]:ZERO:AUTO", set=zero, query=zero_get)

        def trig_source(call: Call) -> None:
            call.params.expect(1)
            self.trigger_source = call.params.choice(
                0, {"IMMediate": "IMM", "EXTernal": "EXT", "BUS": "BUS", "INTernal": "INT"}
            )

        t.add("TRIGger:SOURce", set=trig_source, query=reply(lambda: self.trigger_source))

        def trig_count(call: Call) -> None:
            call.params.expect(1)
            self.trigger_count = call.params.number(0, minimum=1, maximum=1e6, default=1)

        t.add("TRIGger:COUNt", set=trig_count, query=reply(lambda: nr3(self.trigger_count)))

        def sample_count(call: Call) -> None:
            call.params.expect(1)
            self.sample_count = int(call.params.number(0, minimum=1, maximum=1e6, default=1))

        t.add("SAMPle:COUNt", set=sample_count, query=reply(lambda: f"{self.sample_count:+d}"))
        t.add("TRIGger:DELay:AUTO", *flag(self, "trigger_delay_auto"))

        t.add("SYSTem:LFRequency", query=reply(lambda: f"{self.line_frequency:+d}"))
        t.add("SYSTem:VERSion", query=reply(lambda: "1994.0"))
        t.add("SYSTem:BEEPer[:IMMediate]", set=accept())
        t.add("SYSTem:REMote", set=accept())
        t.add("SYSTem:LOCal", set=accept())
        t.add("SYSTem:RWLock", set=accept())
        t.add("SYSTem:PRESet", set=accept(self.reset))

        def display_text(call: Call) -> None:
            call.params.expect(1)
            text = call.params.string(0)
            if len(text) > 40:
                raise ScpiError(-222, "display text longer than 40 characters")
            self.display_text = text

        t.add(
            "DISPlay:TEXT[:DATA]", set=display_text, query=reply(lambda: f'"{self.display_text}"')
        )

        def clear_text(call: Call) -> None:
            call.params.expect(0)
            self.display_text = ""

        t.add("DISPlay:TEXT:CLEar", set=clear_text)
        t.add("DISPlay[:STATe]", *flag(self, "display_on"))
