"""Keysight E36312A triple-output DC source, as its E36300 programming guide describes it.

Settings live in the bench's ``SourceChannelSettings`` (the physics decides CC/CV and latches
protection trips); this module only translates SCPI into those settings and the bench's terminal
state back into readbacks. Status bits follow the E364x/IVI convention (battery-domain §3.1):
questionable bit0 = CC, bit1 = CV, bit9 = OV, bit10 = OC; operation bit0 = CV, bit1 = CC. The
questionable half is confirmed for the E364xA family (E364xA User's and Service Guide, "Questionable
instrument summary register": ``STAT:QUES:INST:ISUM<n>:COND?`` bit 1 = CV, bit 0 = CC, bit 9 = OV);
no E36300-specific source was found for either register, so both stay [E] for this model.
``OUTP:PROT:CLE`` restores the output to its pre-trip state, as the E3632A/E3633A guides say of
``VOLT:PROT:CLE`` (same Keysight family; not confirmed for the E36300) [E]. ``APPL?`` answers
``<V>,<I>`` in NR3 without quotes [E] (the E364xA answers a quoted string, "8.00000,3.00000").
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from simulators.scpi import Call, ScpiEmulator, ScpiError, accept, nr3, reply
from simulators.scpi.formats import reading
from simulators.scpi.tree import Handler
from simulators.wiring import Bench, SourceChannelSettings

RATINGS: dict[int, tuple[float, float]] = {1: (6.0, 5.0), 2: (25.0, 1.0), 3: (25.0, 1.0)}
#: OVP may be set a little above the rating (E36300 guide: up to ~110 %) [E].
OVP_HEADROOM = 1.1
#: Readback accuracy (fraction of reading, absolute) for volts and amps; resolution of the display.
VOLT_ACCURACY, VOLT_RESOLUTION = (0.0005, 0.005), 0.0001
CURR_ACCURACY, CURR_RESOLUTION = (0.0005, 0.002), 0.0001


class KeysightE36312A(ScpiEmulator):
    role = "source"
    model = "E36312A"

    def __init__(
        self,
        bench: Bench,
        *,
        seed: int = 0,
        serial_number: str = "MY57010123",
        firmware: str = "2.1.0-1.0.4-1.12",
    ) -> None:
        self.bench = bench
        self.serial_number = serial_number
        self.firmware = firmware
        self.rng = np.random.default_rng(seed)
        self.selected = 1
        bench.declare_source(dict(RATINGS))
        self.reset()
        super().__init__(seed=seed)

    def identity(self) -> str:
        return f"Keysight Technologies,{self.model},{self.serial_number},{self.firmware}"

    def reset(self) -> None:
        self.selected = 1
        for ch, (volts, _amps) in RATINGS.items():
            s = self.bench.source_channel(ch)
            s.voltage, s.current_limit, s.output_on = 0.0, 0.0, False
            s.ovp_level, s.ovp_enabled = volts * OVP_HEADROOM, True
            s.ocp_enabled, s.ocp_level = False, 0.0
            s.tripped = None

    # -- channel helpers ----------------------------------------------------------------------
    def _channels(self, call: Call, index: int) -> list[int]:
        """The channel list at ``index`` if given, else the selected channel (INST:NSEL)."""
        if call.params.is_channel_list(index):
            return call.params.channels(index, set(RATINGS))
        return [self.selected]

    def _settings(self, ch: int) -> SourceChannelSettings:
        return self.bench.source_channel(ch)

    def _latched(self, ch: int) -> SourceChannelSettings:
        """Settings after the physics has had its say: a real OVP trips the moment the output
        crosses the level, so a trip or state query must not see the pre-trip settings."""
        self.bench.source_output(ch)
        return self.bench.source_channel(ch)

    def _level_handlers(self, attribute: str, rating: int) -> tuple[Handler, Handler]:
        """``VOLT``/``CURR`` level set and query: value, MIN/MAX/DEF, optional channel list."""

        def limit(ch: int) -> float:
            return RATINGS[ch][rating]

        def setter(call: Call) -> None:
            call.params.expect(1, 2)
            channels = self._channels(call, 1)
            for ch in channels:
                value = call.params.number(
                    0, unit="V" if rating == 0 else "A", minimum=0.0, maximum=limit(ch), default=0.0
                )
                setattr(self._settings(ch), attribute, value)
                if attribute == "current_limit":
                    self._settings(ch).ocp_level = value

        def getter(call: Call) -> str:
            call.params.expect(0, 2)
            keyword = call.params.keyword(0) if call.params.present(0) else None
            if call.params.present(0) and not call.params.is_channel_list(0) and keyword is None:
                raise ScpiError(-224, call.params.raw(0))
            channels = self._channels(call, 1 if keyword else 0)
            values = []
            for ch in channels:
                if keyword == "MAX":
                    values.append(limit(ch))
                elif keyword in {"MIN", "DEF"}:
                    values.append(0.0)
                else:
                    values.append(getattr(self._settings(ch), attribute))
            return ",".join(nr3(v) for v in values)

        return setter, getter

    def _per_channel_query(self, value: Callable[[int], str]) -> Handler:
        def getter(call: Call) -> str:
            call.params.expect(0, 1)
            return ",".join(value(ch) for ch in self._channels(call, 0))

        return getter

    def _per_channel_set(
        self, action: Callable[[Call, int], None], *, takes_value: bool
    ) -> Handler:
        def setter(call: Call) -> None:
            first = 1 if takes_value else 0
            call.params.expect(first, first + 1)
            for ch in self._channels(call, first):
                action(call, ch)

        return setter

    # -- command set --------------------------------------------------------------------------
    def register(self) -> None:
        t = self.tree
        self.add_error_query()
        volt_set, volt_get = self._level_handlers("voltage", 0)
        curr_set, curr_get = self._level_handlers("current_limit", 1)
        t.add("[SOURce:]VOLTage[:LEVel][:IMMediate][:AMPLitude]", set=volt_set, query=volt_get)
        t.add("[SOURce:]CURRent[:LEVel][:IMMediate][:AMPLitude]", set=curr_set, query=curr_get)

        def ovp_level(call: Call, ch: int) -> None:
            top = RATINGS[ch][0] * OVP_HEADROOM
            self._settings(ch).ovp_level = call.params.number(
                0, unit="V", minimum=0.0, maximum=top, default=top
            )

        t.add(
            "[SOURce:]VOLTage:PROTection[:LEVel]",
            set=self._per_channel_set(ovp_level, takes_value=True),
            query=self._per_channel_query(lambda ch: nr3(self._settings(ch).ovp_level)),
        )
        t.add(
            "[SOURce:]VOLTage:PROTection:TRIPped",
            query=self._per_channel_query(lambda ch: str(int(self._latched(ch).tripped == "OVP"))),
        )

        def ocp_state(call: Call, ch: int) -> None:
            self._settings(ch).ocp_enabled = call.params.boolean(0)
            self._settings(ch).ocp_level = self._settings(ch).current_limit

        t.add(
            "[SOURce:]CURRent:PROTection:STATe",
            set=self._per_channel_set(ocp_state, takes_value=True),
            query=self._per_channel_query(lambda ch: str(int(self._settings(ch).ocp_enabled))),
        )
        t.add(
            "[SOURce:]CURRent:PROTection:TRIPped",
            query=self._per_channel_query(lambda ch: str(int(self._latched(ch).tripped == "OCP"))),
        )

        def output(call: Call, ch: int) -> None:
            self._settings(ch).output_on = call.params.boolean(0)

        def output_state(ch: int) -> str:
            s = self._latched(ch)
            return str(int(s.output_on and s.tripped is None))

        t.add(
            "OUTPut[:STATe]",
            set=self._per_channel_set(output, takes_value=True),
            query=self._per_channel_query(output_state),
        )

        def clear(call: Call, ch: int) -> None:
            self._settings(ch).tripped = None

        t.add("OUTPut:PROTection:CLEar", set=self._per_channel_set(clear, takes_value=False))

        def measured_voltage(ch: int) -> str:
            true = self.bench.source_output(ch).voltage
            gain, offset = VOLT_ACCURACY
            return nr3(
                reading(self.rng, true, gain=gain, offset=offset, resolution=VOLT_RESOLUTION)
            )

        def measured_current(ch: int) -> str:
            true = self.bench.source_output(ch).current
            gain, offset = CURR_ACCURACY
            return nr3(
                reading(self.rng, true, gain=gain, offset=offset, resolution=CURR_RESOLUTION)
            )

        t.add("MEASure[:SCALar]:VOLTage[:DC]", query=self._per_channel_query(measured_voltage))
        t.add("MEASure[:SCALar]:CURRent[:DC]", query=self._per_channel_query(measured_current))

        def select(call: Call) -> None:
            call.params.expect(1)
            self.selected = int(call.params.choice(0, {f"CH{n}": str(n) for n in RATINGS}))

        def nselect(call: Call) -> None:
            call.params.expect(1)
            self.selected = int(call.params.number(0, minimum=1, maximum=len(RATINGS)))

        t.add("INSTrument[:SELect]", set=select, query=reply(lambda: f"CH{self.selected}"))
        t.add("INSTrument:NSELect", set=nselect, query=reply(lambda: f"{self.selected:+d}"))

        def apply(call: Call) -> None:
            call.params.expect(1, 3)
            ch = int(call.params.choice(0, {f"CH{n}": str(n) for n in RATINGS}))
            volts, amps = RATINGS[ch]
            s = self._settings(ch)
            if call.params.present(1):
                s.voltage = call.params.number(1, unit="V", minimum=0.0, maximum=volts, default=0.0)
            if call.params.present(2):
                s.current_limit = call.params.number(
                    2, unit="A", minimum=0.0, maximum=amps, default=amps
                )
                s.ocp_level = s.current_limit

        def apply_query(call: Call) -> str:
            call.params.expect(0, 1)
            ch = self.selected
            if call.params.present(0):
                ch = int(call.params.choice(0, {f"CH{n}": str(n) for n in RATINGS}))
            s = self._settings(ch)
            return f"{nr3(s.voltage)},{nr3(s.current_limit)}"

        t.add("APPLy", set=apply, query=apply_query)

        def regulation(ch: int) -> tuple[bool, bool]:
            s = self._settings(ch)
            if not s.output_on or s.tripped is not None:
                return False, False
            mode = self.bench.source_output(ch).mode
            return mode == "CC", mode == "CV"

        def questionable(call: Call) -> str:
            call.params.expect(0)
            ch = call.suffix(0)
            if ch not in RATINGS:
                raise ScpiError(-114, f"ISUMmary{ch}")
            cc, cv = regulation(ch)
            tripped = self._latched(ch).tripped
            bits = cc * 1 | cv * 2 | (tripped == "OVP") * 512 | (tripped == "OCP") * 1024
            return f"{bits:+d}"

        def operation(call: Call) -> str:
            call.params.expect(0)
            ch = call.suffix(0)
            if ch not in RATINGS:
                raise ScpiError(-114, f"ISUMmary{ch}")
            cc, cv = regulation(ch)
            s = self._latched(ch)
            off = not (s.output_on and s.tripped is None)
            return f"{cv * 1 | cc * 2 | off * 4:+d}"

        t.add("STATus:QUEStionable:INSTrument:ISUMmary#[:EVENt]", query=questionable)
        t.add("STATus:QUEStionable:INSTrument:ISUMmary#:CONDition", query=questionable)
        t.add("STATus:OPERation:INSTrument:ISUMmary#[:EVENt]", query=operation)
        t.add("STATus:OPERation:INSTrument:ISUMmary#:CONDition", query=operation)
        t.add("SYSTem:VERSion", query=reply(lambda: "1999.0"))
        t.add("SYSTem:REMote", set=accept())
        t.add("SYSTem:LOCal", set=accept())
        t.add("SYSTem:RWLock", set=accept())
        t.add("SYSTem:BEEPer[:IMMediate]", set=accept())
