"""Keysight 34461A Truevolt DMM, DC volts and temperature as its Operating and Service Guide
describes them.

Where its leads go is the bench's wiring (``inputs``): ``"terminals"`` (P+/P-, the ``dmm`` role)
reads DC volts; ``"probe"`` (the ``temperature`` role) sits on the pack's 5 kOhm NTC probe, reads
its temperature through the configured conversion (``CONF:TEMP THER,5000``, RTD types too, which
then misread a thermistor as a real meter would) and about 0 V in DC volts. Other function names
are accepted by ``FUNCtion`` so connect-time housekeeping of third-party drivers works, and
reading them reports a settings conflict instead of inventing a value.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from simulators.physics.thermistor import rtd_celsius, thermistor_celsius, thermistor_resistance
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
    "TEMPerature": "TEMP",
}
PROBE_TYPES = {
    "FRTD": "FRTD",
    "RTD": "RTD",
    "FTHermistor": "FTH",
    "THERmistor": "THER",
    "TCouple": "TC",
    "DEFault": "FRTD",
}
TEMPERATURE_NOISE_C = 0.02
"""One-sigma reading noise in degC (the thermistor function's accuracy is about 0.08 degC)."""
TEMPERATURE_RESOLUTION_C = 0.001
UNITS = {"C": "C", "CEL": "C", "F": "F", "FAR": "F", "K": "K"}
Inputs = Literal["terminals", "probe"]
DEFAULT_INTERVAL_S = 1.0
"""``TRIGger:DELay`` and ``SAMPle:TIMer`` after ``*RST`` (Truevolt guide: default 1 s)."""
MAX_INTERVAL_S = 3600.0
INTERVAL_STEP_S = 1e-6
"""Both are set in steps of about 1 us (Truevolt guide), so the query returns what was kept."""
SAMPLE_OVERHEAD_S = 20e-6
"""[E] Time a sample needs beyond its integration (ADC set-up, one timer step): added to the
integration time for ``SAMPle:TIMer? MIN``, which the guide calls measurement dependent."""


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
        inputs: Inputs = "terminals",
    ) -> None:
        if inputs not in ("terminals", "probe"):
            raise ValueError(f"inputs {inputs!r}: use 'terminals' (P+/P-) or 'probe' (the NTC)")
        self.bench = bench
        self.inputs = inputs
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
        self.trigger_delay = DEFAULT_INTERVAL_S
        self.trigger_slope = "NEG"
        self.sample_timer = DEFAULT_INTERVAL_S
        self.display_on = True
        self.readings = []
        self.probe_type = "FRTD"
        self.thermistor_type = 5000.0
        self.rtd_reference = 100.0
        self.temperature_unit = "C"

    # -- measurement --------------------------------------------------------------------------
    def _resolution(self) -> float:
        return RES_FACTOR[self.nplc] * self.range

    def _one_reading(self) -> float:
        if self.function == "TEMP":
            return self._temperature_reading()
        if self.function != "VOLT":
            raise ScpiError(-221, f"function {self.function} is not simulated")
        true = self.bench.dmm_voltage() if self.inputs == "terminals" else 0.0
        if self.autorange:
            self.range = next((r for r in RANGES if abs(true) <= 1.2 * r), RANGES[-1])
        limit = 1.2 * self.range if self.range < 1000.0 else 1050.0
        if not np.isfinite(true) or abs(true) > limit:
            return float(np.copysign(OVERLOAD, true if np.isfinite(true) else 1.0))
        sigma = (ACCURACY[0] * abs(true) + ACCURACY[1] * self.range) / 2.0
        noisy = true + float(self.rng.normal(0.0, sigma))
        return quantize(noisy, self._resolution())

    def _temperature_reading(self) -> float:
        """The probe's resistance through the configured conversion, in ``UNIT:TEMP``."""
        if self.inputs != "probe":
            raise ScpiError(-221, "temperature: no probe is wired to this multimeter's inputs")
        if self.probe_type == "TC":
            raise ScpiError(-221, "thermocouples need a 34465A or 34470A")
        ohms = thermistor_resistance(self.bench.probe_temperature())
        if self.probe_type in ("THER", "FTH"):
            celsius = thermistor_celsius(ohms)
        else:
            celsius = rtd_celsius(ohms, self.rtd_reference)
        if not np.isfinite(celsius):
            return OVERLOAD
        noisy = celsius + float(self.rng.normal(0.0, TEMPERATURE_NOISE_C))
        if self.temperature_unit == "F":
            noisy = noisy * 9.0 / 5.0 + 32.0
        elif self.temperature_unit == "K":
            noisy += 273.15
        return quantize(noisy, TEMPERATURE_RESOLUTION_C)

    def _configure_temperature(self, call: Call) -> None:
        """``CONF:TEMP [probe[,type[,1[,resolution]]]]``: type 5000 for thermistors, 85 RTDs."""
        p = call.params
        p.expect(0, 4)
        probe = p.choice(0, PROBE_TYPES) if p.present(0) else "FRTD"
        if p.present(1) and p.keyword(1) != "DEF":
            kind = p.number(1, minimum=0.0, maximum=1e6)
            self._check_type(probe, kind)
            if probe in ("THER", "FTH"):
                self.thermistor_type = kind
        self.function = "TEMP"
        self.probe_type = probe
        self.trigger_source, self.trigger_count, self.sample_count = "IMM", 1.0, 1

    @staticmethod
    def _check_type(probe: str, kind: float) -> None:
        if probe in ("THER", "FTH") and kind != 5000.0:
            raise ScpiError(-222, f"thermistor type {kind:g}: only 5000 is supported")
        if probe in ("RTD", "FRTD") and kind != 85.0:
            raise ScpiError(-222, f"RTD type {kind:g}: only 85 is supported")

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

    def _register_temperature(self) -> None:
        """``[SENSe:]TEMPerature:TRANsducer:...`` and ``UNIT:TEMPerature``, with their queries."""
        t = self.tree

        def set_probe(call: Call) -> None:
            call.params.expect(1)
            self.probe_type = call.params.choice(0, PROBE_TYPES)

        t.add(
            "[SENSe:]TEMPerature:TRANsducer:TYPE",
            set=set_probe,
            query=reply(lambda: self.probe_type),
        )

        def set_thermistor(call: Call) -> None:
            call.params.expect(1)
            kind = call.params.number(0, minimum=0.0, maximum=1e6, default=5000.0)
            self._check_type("THER", kind)
            self.thermistor_type = kind

        for node in ("THERmistor", "FTHermistor"):
            t.add(
                f"[SENSe:]TEMPerature:TRANsducer:{node}:TYPE",
                set=set_thermistor,
                query=reply(lambda: f"{self.thermistor_type:+.0f}"),
            )

        def set_reference(call: Call) -> None:
            call.params.expect(1)
            self.rtd_reference = call.params.number(
                0, unit="OHM", minimum=49.0, maximum=2100.0, default=100.0
            )

        for node in ("RTD", "FRTD"):
            t.add(
                f"[SENSe:]TEMPerature:TRANsducer:{node}:RESistance[:REFerence]",
                set=set_reference,
                query=reply(lambda: nr3(self.rtd_reference)),
            )
            t.add(f"[SENSe:]TEMPerature:TRANsducer:{node}:TYPE", query=reply(lambda: "+85"))

        def set_unit(call: Call) -> None:
            call.params.expect(1)
            self.temperature_unit = call.params.choice(0, UNITS)

        t.add("UNIT:TEMPerature", set=set_unit, query=reply(lambda: self.temperature_unit))

    def _minimum_sample_interval(self) -> float:
        """``SAMPle:TIMer? MIN``: the integration time (NPLC over the line frequency), twice
        with auto-zero on (a zero reading per sample), plus the per-sample overhead."""
        integration = self.nplc / self.line_frequency
        return (2.0 if self.zero_auto else 1.0) * integration + SAMPLE_OVERHEAD_S

    def _register_trigger_timing(self) -> None:
        """``TRIGger:DELay``, ``TRIGger:SLOPe`` and ``SAMPle:TIMer`` with their queries, which
        third-party drivers (QCoDeS' 344xxA snapshot) read: NR3 seconds, ``POS``/``NEG``."""
        t = self.tree

        def interval(call: Call, minimum: float) -> float:
            call.params.expect(1)
            value = call.params.number(
                0, unit="S", minimum=minimum, maximum=MAX_INTERVAL_S, default=DEFAULT_INTERVAL_S
            )
            if not 0.0 <= value <= MAX_INTERVAL_S:
                raise ScpiError(-222, f"{value:g} s is outside 0 to {MAX_INTERVAL_S:g} s")
            return quantize(value, INTERVAL_STEP_S)

        def interval_query(call: Call, value: float, minimum: float) -> str:
            call.params.expect(0, 1)
            if not call.params.present(0):
                return nr3(value)
            keyword = call.params.keyword(0)
            if keyword is None:
                raise ScpiError(-224, f"{call.params.raw(0)!r}: use MIN, MAX or DEF")
            return nr3({"MIN": minimum, "MAX": MAX_INTERVAL_S, "DEF": DEFAULT_INTERVAL_S}[keyword])

        def set_delay(call: Call) -> None:
            self.trigger_delay = interval(call, 0.0)
            self.trigger_delay_auto = False  # the guide: a set delay turns the automatic one off

        t.add(
            "TRIGger[:SEQuence]:DELay",
            set=set_delay,
            query=lambda call: interval_query(call, self.trigger_delay, 0.0),
        )

        def set_slope(call: Call) -> None:
            call.params.expect(1)
            self.trigger_slope = call.params.choice(0, {"POSitive": "POS", "NEGative": "NEG"})

        t.add("TRIGger[:SEQuence]:SLOPe", set=set_slope, query=reply(lambda: self.trigger_slope))

        def set_timer(call: Call) -> None:
            # MIN is not enforced by the meter (an interval below it is accepted); MIN as a
            # parameter means the present minimum.
            if call.params.keyword(0) == "MIN" if len(call.params) == 1 else False:
                self.sample_timer = quantize(self._minimum_sample_interval(), INTERVAL_STEP_S)
                return
            self.sample_timer = interval(call, 0.0)

        t.add(
            "SAMPle:TIMer",
            set=set_timer,
            query=lambda call: interval_query(
                call, self.sample_timer, self._minimum_sample_interval()
            ),
        )

    # -- command set --------------------------------------------------------------------------
    def register(self) -> None:
        t = self.tree
        self.add_error_query()

        def conf(call: Call) -> None:
            self._configure(call)

        def conf_query(call: Call) -> str:
            call.params.expect(0)
            if self.function == "TEMP":
                kind = self.thermistor_type if self.probe_type in ("THER", "FTH") else 85.0
                return f'"TEMP {self.probe_type},{kind:g},{nr3(1.0)},{nr3(0.003)}"'
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

        def conf_temperature(call: Call) -> None:
            self._configure_temperature(call)

        def meas_temperature(call: Call) -> str:
            self._configure_temperature(call)
            self._initiate()
            return self._fetch()

        t.add("CONFigure:TEMPerature", set=conf_temperature)
        t.add("MEASure:TEMPerature", query=meas_temperature)
        self._register_temperature()
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
        self._register_trigger_timing()

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
