"""Rigol DL3021 DC electronic load (150 V, 40 A, 200 W), per the DL3000 programming guide.

Each function keeps its own level, as on the instrument: switching CC -> CR and back restores
the CC level. The active function's level is what the bench's ``LoadSettings.level`` holds.
"""

from __future__ import annotations

import numpy as np

from simulators.scpi import Call, ScpiEmulator, ScpiError, accept, reply
from simulators.scpi.emulator import flag
from simulators.scpi.formats import reading
from simulators.wiring import Bench, LoadFunction

MAX_VOLTAGE, MAX_CURRENT, MAX_POWER = 150.0, 40.0, 200.0
#: CC/CV/CR/CP: SCPI word, unit suffix, limits.
LEVELS: dict[LoadFunction, tuple[str, str, float, float]] = {
    "CC": ("CURRent", "A", 0.0, MAX_CURRENT),
    "CV": ("VOLTage", "V", 0.0, MAX_VOLTAGE),
    "CR": ("RESistance", "OHM", 0.08, 15000.0),
    "CP": ("POWer", "W", 0.0, MAX_POWER),
}
DEFAULTS: dict[LoadFunction, float] = {"CC": 0.0, "CV": MAX_VOLTAGE, "CR": 15000.0, "CP": 0.0}
VOLT_ACCURACY, CURR_ACCURACY = (0.0005, 0.002), (0.0005, 0.003)


class RigolDL3021(ScpiEmulator):
    role = "load"
    model = "DL3021"
    signed_error_codes = False
    self_test_reply = "0"

    def __init__(
        self,
        bench: Bench,
        *,
        seed: int = 0,
        serial_number: str = "DL3A123456789",
        firmware: str = "00.01.02.00.01",
    ) -> None:
        self.bench = bench
        self.serial_number = serial_number
        self.firmware = firmware
        self.rng = np.random.default_rng(seed)
        bench.declare_load(MAX_VOLTAGE, MAX_CURRENT)
        self.levels: dict[LoadFunction, float] = dict(DEFAULTS)
        self.current_range = MAX_CURRENT
        self.reset()
        super().__init__(seed=seed)

    def identity(self) -> str:
        return f"RIGOL TECHNOLOGIES,{self.model},{self.serial_number},{self.firmware}"

    def reset(self) -> None:
        load = self.bench.load
        self.levels = dict(DEFAULTS)
        self.current_range = MAX_CURRENT
        load.function, load.input_on, load.short, load.von = "CC", False, False, 0.0
        load.level = self.levels["CC"]

    # The flag() helper sets attributes: expose the load's booleans as properties.
    @property
    def input_on(self) -> bool:
        return self.bench.load.input_on

    @input_on.setter
    def input_on(self, value: bool) -> None:
        self.bench.load.input_on = value

    @property
    def short(self) -> bool:
        return self.bench.load.short

    @short.setter
    def short(self, value: bool) -> None:
        self.bench.load.short = value

    def _measure(self) -> tuple[float, float]:
        state = self.bench.load_input()
        v = reading(
            self.rng, state.voltage, gain=VOLT_ACCURACY[0], offset=VOLT_ACCURACY[1], resolution=1e-6
        )
        i = reading(
            self.rng, state.current, gain=CURR_ACCURACY[0], offset=CURR_ACCURACY[1], resolution=1e-6
        )
        return v, i

    def register(self) -> None:
        t = self.tree
        self.add_error_query()
        functions = {word: name for name, (word, *_rest) in LEVELS.items()}

        def function(call: Call) -> None:
            call.params.expect(1)
            name: LoadFunction = call.params.choice(0, functions)  # type: ignore[assignment]
            self.bench.load.function = name
            self.bench.load.level = self.levels[name]

        t.add("[SOURce:]FUNCtion", set=function, query=reply(lambda: self.bench.load.function))

        def function_mode(call: Call) -> None:
            call.params.expect(1)
            call.params.choice(0, {"FIXed": "FIXED"})  # LIST/WAVe/BATTery are not simulated

        t.add("[SOURce:]FUNCtion:MODE", set=function_mode, query=reply(lambda: "FIXED"))

        for name, (word, unit, low, high) in LEVELS.items():
            self._level(name, word, unit, low, high)

        def von(call: Call) -> None:
            call.params.expect(1)
            self.bench.load.von = call.params.number(
                0, unit="V", minimum=0.0, maximum=MAX_VOLTAGE, default=0.0
            )

        t.add("[SOURce:]CURRent:VON", set=von, query=reply(lambda: f"{self.bench.load.von:.6f}"))

        def current_range(call: Call) -> None:
            call.params.expect(1)
            value = call.params.number(
                0, unit="A", minimum=0.0, maximum=MAX_CURRENT, default=MAX_CURRENT
            )
            self.current_range = 4.0 if value <= 4.0 else MAX_CURRENT

        t.add(
            "[SOURce:]CURRent:RANGe",
            set=current_range,
            query=reply(lambda: f"{self.current_range:g}"),
        )
        t.add("[SOURce:]INPut[:STATe]", *flag(self, "input_on"))
        t.add("[SOURce:]INPut:SHORt[:STATe]", *flag(self, "short"))

        def meas_voltage(call: Call) -> str:
            call.params.expect(0)
            return f"{self._measure()[0]:.6f}"

        def meas_current(call: Call) -> str:
            call.params.expect(0)
            return f"{self._measure()[1]:.6f}"

        def meas_power(call: Call) -> str:
            call.params.expect(0)
            v, i = self._measure()
            return f"{v * i:.6f}"

        def meas_resistance(call: Call) -> str:
            call.params.expect(0)
            v, i = self._measure()
            # The load shows its overload code when no current flows (no defined resistance).
            return f"{v / i:.6f}" if i > 1e-4 else "9.9E+37"

        t.add("MEASure:VOLTage[:DC]", query=meas_voltage)
        t.add("MEASure:CURRent[:DC]", query=meas_current)
        t.add("MEASure:POWer[:DC]", query=meas_power)
        t.add("MEASure:RESistance[:DC]", query=meas_resistance)
        t.add("SYSTem:VERSion", query=reply(lambda: "1999.0"))
        t.add("SYSTem:REMote", set=accept())
        t.add("SYSTem:LOCal", set=accept())

    def _level(self, name: LoadFunction, word: str, unit: str, low: float, high: float) -> None:
        def setter(call: Call) -> None:
            call.params.expect(1)
            value = call.params.number(
                0, unit=unit, minimum=low, maximum=high, default=DEFAULTS[name]
            )
            if name == "CC" and value > self.current_range:
                raise ScpiError(-222, f"{value} A above the {self.current_range:g} A range")
            self.levels[name] = value
            if self.bench.load.function == name:
                self.bench.load.level = value

        def getter(call: Call) -> str:
            call.params.expect(0, 1)
            if call.params.present(0):
                keyword = call.params.keyword(0)
                if keyword is None:
                    raise ScpiError(-224, call.params.raw(0))
                return f"{ {'MIN': low, 'MAX': high, 'DEF': DEFAULTS[name]}[keyword]:.6f}"
            return f"{self.levels[name]:.6f}"

        self.tree.add(f"[SOURce:]{word}[:LEVel][:IMMediate]", setter, getter)
