"""Rigol DP832 triple-output DC source, as its DP800 programming guide describes it.

Rigol's dialect differs from Keysight's in ways drivers depend on: channels are parameters
(``CH1``) rather than channel lists, states answer ``ON``/``OFF``, numbers are fixed-decimal
(``5.000`` volts, ``1.0000`` amps) and the error queue answers ``0,"No error"``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from simulators.scpi import Call, ScpiEmulator, ScpiError, accept, reply
from simulators.scpi.formats import reading
from simulators.scpi.tree import Handler
from simulators.wiring import Bench, SourceChannelSettings

#: Programmable maxima (rated 30 V/3 A, 30 V/3 A, 5 V/3 A with the usual 6-7 % headroom).
RATINGS: dict[int, tuple[float, float]] = {1: (32.0, 3.2), 2: (32.0, 3.2), 3: (5.3, 3.2)}
#: ``:APPL? CH1`` answers ``CH1:30V/3A,5.000,0.100`` on a real DP832A (a read-only probe logged in
#: the WaveBench project's DP800 design notes, 2026-04-30); the DP800 Programming Guide's example
#: omits the nameplate (``CH1,5.000,1.0000``), so a driver should take the last two fields.
NAMEPLATE = {1: "30V/3A", 2: "30V/3A", 3: "5V/3A"}
OVP_MAX = {1: 33.0, 2: 33.0, 3: 5.5}
OCP_MAX = {1: 3.3, 2: 3.3, 3: 3.3}
VOLT_ACCURACY, CURR_ACCURACY = (0.0005, 0.002), (0.0005, 0.002)
CHANNEL_WORDS = {"CH1": "1", "CH2": "2", "CH3": "3"}


def volts(value: float) -> str:
    return f"{value:.3f}"


def amps(value: float) -> str:
    return f"{value:.4f}"


def on_off(state: bool) -> str:
    return "ON" if state else "OFF"


DELAY_TIME_S = (1.0, 99999.0)
"""One delayer group lasts 1 s to 99999 s (DP800 Programming Guide, ``:DELAY:PARAmeter``)."""
DELAY_GROUPS_MAX = 2048


@dataclass
class DelayProgram:
    """The delay output (``:DELAY``) of one channel: groups of ON/OFF states with durations.

    The DP800 runs it by itself once ``:DELAY ON`` is sent: the output follows the groups, then
    takes the end state. This emulator runs the programs a safety cutoff uses (every group ON,
    a finite number of cycles, end state OFF): the bench switches the output off when the total
    has passed in virtual time. Other programs are refused with -221 (an emulator limit, [E]).
    """

    groups: int = 1
    cycles: int | None = 1
    """``None``: infinite (``I``)."""
    end_state: str = "OFF"
    stop: str = "NONE"
    parameters: dict[int, tuple[bool, float]] = field(default_factory=dict)

    def total_on_time(self) -> float:
        steps = [self.parameters.get(i, (True, DELAY_TIME_S[0])) for i in range(self.groups)]
        if self.cycles is None or self.end_state != "OFF" or not all(on for on, _ in steps):
            raise ScpiError(
                -221, "emulated delayer runs only ON groups with finite cycles ending OFF"
            )
        return sum(t for _, t in steps) * self.cycles


class RigolDP832(ScpiEmulator):
    role = "source"
    model = "DP832"
    signed_error_codes = False
    self_test_reply = "0"

    def __init__(
        self,
        bench: Bench,
        *,
        seed: int = 0,
        serial_number: str = "DP8C1234567890",
        firmware: str = "00.01.14",
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
        return f"RIGOL TECHNOLOGIES,{self.model},{self.serial_number},{self.firmware}"

    def reset(self) -> None:
        self.selected = 1
        self.delay = {ch: DelayProgram() for ch in RATINGS}
        for ch in RATINGS:
            s = self.bench.source_channel(ch)
            s.voltage, s.current_limit, s.output_on, s.tripped = 0.0, 0.0, False, None
            s.off_at = None
            s.ovp_level, s.ovp_enabled = OVP_MAX[ch], False
            s.ocp_level, s.ocp_enabled = OCP_MAX[ch], False

    def _settings(self, ch: int) -> SourceChannelSettings:
        return self.bench.source_channel(ch)

    def _latched(self, ch: int) -> SourceChannelSettings:
        """Settings after the physics has had its say: a real OVP trips the moment the output
        crosses the level, so a trip or state query must not see the pre-trip settings."""
        self.bench.source_output(ch)
        return self.bench.source_channel(ch)

    def _channel_arg(self, call: Call, *, with_value: int) -> tuple[int, int]:
        """Rigol puts an optional ``CHn`` first: returns (channel, index of the first value)."""
        p = call.params
        if p.present(0) and p.raw(0).upper() in CHANNEL_WORDS:
            p.expect(1 + with_value)
            return int(CHANNEL_WORDS[p.raw(0).upper()]), 1
        if p.present(0) and p.raw(0).upper().startswith("CH"):
            raise ScpiError(-224, f"channel {p.raw(0)}")
        p.expect(with_value)
        return self.selected, 0

    def _channel_query(self, answer: Callable[[int], str]) -> Handler:
        def handler(call: Call) -> str:
            ch, _ = self._channel_arg(call, with_value=0)
            return answer(ch)

        return handler

    def _channel_set(self, action: Callable[[Call, int, int], None]) -> Handler:
        def handler(call: Call) -> None:
            ch, first = self._channel_arg(call, with_value=1)
            action(call, ch, first)

        return handler

    def _measure(self, ch: int) -> tuple[float, float]:
        out = self.bench.source_output(ch)
        v = reading(
            self.rng, out.voltage, gain=VOLT_ACCURACY[0], offset=VOLT_ACCURACY[1], resolution=0.0001
        )
        i = reading(
            self.rng, out.current, gain=CURR_ACCURACY[0], offset=CURR_ACCURACY[1], resolution=0.0001
        )
        return v, i

    def register(self) -> None:
        t = self.tree
        self.add_error_query()

        def apply(call: Call) -> None:
            p = call.params
            p.expect(1, 3)
            if p.raw(0).upper() in CHANNEL_WORDS:
                ch, first = int(CHANNEL_WORDS[p.raw(0).upper()]), 1
            else:
                ch, first = self.selected, 0
                p.expect(1, 2)
            vmax, imax = RATINGS[ch]
            s = self._settings(ch)
            if p.present(first):
                s.voltage = p.number(first, unit="V", minimum=0.0, maximum=vmax, default=0.0)
            if p.present(first + 1):
                s.current_limit = p.number(
                    first + 1, unit="A", minimum=0.0, maximum=imax, default=imax
                )

        def apply_query(call: Call) -> str:
            p = call.params
            p.expect(0, 2)
            ch = self.selected
            if p.present(0):
                ch = int(p.choice(0, {"CH1": "1", "CH2": "2", "CH3": "3"}))
            s = self._settings(ch)
            if p.present(1):
                what = p.choice(1, {"VOLTage": "V", "CURRent": "I"})
                return volts(s.voltage) if what == "V" else amps(s.current_limit)
            return f"CH{ch}:{NAMEPLATE[ch]},{volts(s.voltage)},{amps(s.current_limit)}"

        t.add("APPLy", set=apply, query=apply_query)

        def output(call: Call, ch: int, first: int) -> None:
            settings = self._settings(ch)
            settings.output_on = call.params.boolean(first)
            if not settings.output_on:
                settings.off_at = None  # switched off by hand: the delayer has nothing left [E]

        def output_state(ch: int) -> str:
            s = self._latched(ch)
            return on_off(s.output_on and s.tripped is None)

        t.add(
            "OUTPut[:STATe]", set=self._channel_set(output), query=self._channel_query(output_state)
        )

        def mode(ch: int) -> str:
            # CV/CC/UR are the only answers the DP800/DP2000 guides list; what an output that is
            # off reports is not documented: "CV" here [E] (the driver reads OUTP? first).
            state = self.bench.source_output(ch).mode
            return "CV" if state == "OFF" else state

        t.add("OUTPut:MODE", query=self._channel_query(mode))

        for kind, level_attr, enabled_attr, fmt, top in (
            ("OVP", "ovp_level", "ovp_enabled", volts, OVP_MAX),
            ("OCP", "ocp_level", "ocp_enabled", amps, OCP_MAX),
        ):
            self._protection(kind, level_attr, enabled_attr, fmt, top)

        def meas_volt(ch: int) -> str:
            return f"{self._measure(ch)[0]:.4f}"

        def meas_curr(ch: int) -> str:
            return f"{self._measure(ch)[1]:.4f}"

        def meas_power(ch: int) -> str:
            v, i = self._measure(ch)
            return f"{v * i:.3f}"

        def meas_all(ch: int) -> str:
            v, i = self._measure(ch)
            return f"{v:.4f},{i:.4f},{v * i:.3f}"

        t.add("MEASure[:VOLTage][:DC]", query=self._channel_query(meas_volt))
        t.add("MEASure:CURRent[:DC]", query=self._channel_query(meas_curr))
        t.add("MEASure:POWEr[:DC]", query=self._channel_query(meas_power))
        t.add("MEASure:ALL[:DC]", query=self._channel_query(meas_all))

        def select(call: Call) -> None:
            call.params.expect(1)
            self.selected = int(call.params.choice(0, CHANNEL_WORDS))

        def nselect(call: Call) -> None:
            call.params.expect(1)
            self.selected = int(call.params.number(0, minimum=1, maximum=3))

        t.add("INSTrument[:SELect]", set=select, query=reply(lambda: f"CH{self.selected}"))
        t.add("INSTrument:NSELect", set=nselect, query=reply(lambda: str(self.selected)))

        # Older per-channel style: [:SOURce<n>]:VOLTage ..., default the selected channel.
        for attr, unit, fmt, rating in (
            ("voltage", "V", volts, 0),
            ("current_limit", "A", amps, 1),
        ):
            self._source_level(attr, unit, fmt, rating)
        self._source_protection("VOLTage", "OVP", "ovp_level", "ovp_enabled", volts, OVP_MAX)
        self._source_protection("CURRent", "OCP", "ocp_level", "ocp_enabled", amps, OCP_MAX)

        self._delayer()

        t.add("SYSTem:VERSion", query=reply(lambda: "1999.0"))
        t.add("SYSTem:REMote", set=accept())
        t.add("SYSTem:LOCal", set=accept())
        t.add("SYSTem:BEEPer[:IMMediate]", set=accept())

    def _delayer(self) -> None:
        """``:DELAY...``: the delay output of the selected channel (``:INST:NSEL``)."""
        t = self.tree

        def program() -> DelayProgram:
            return self.delay[self.selected]

        def state(call: Call) -> None:
            call.params.expect(1)
            settings = self._settings(self.selected)
            if call.params.boolean(0):
                settings.off_at = self.bench.time + program().total_on_time()
                settings.output_on = True  # the delayer drives the output from its first group
            else:
                settings.off_at = None

        def state_query(call: Call) -> str:
            call.params.expect(0)
            settings = self._settings(self.selected)
            return on_off(settings.off_at is not None and settings.output_on)

        def groups(call: Call) -> None:
            call.params.expect(1)
            value = call.params.number(0, minimum=1, maximum=DELAY_GROUPS_MAX, default=1)
            program().groups = int(value)

        def cycles(call: Call) -> None:
            p = call.params
            p.expect(1, 2)
            if p.choice(0, {"N": "N", "I": "I"}) == "I":
                program().cycles = None
                return
            program().cycles = int(p.number(1, minimum=1, maximum=99999, default=1))

        def cycles_query(call: Call) -> str:
            call.params.expect(0)
            n = program().cycles
            return "I" if n is None else f"N,{n}"

        def end_state(call: Call) -> None:
            call.params.expect(1)
            program().end_state = call.params.choice(0, {"ON": "ON", "OFF": "OFF", "LAST": "LAST"})

        def stop(call: Call) -> None:
            p = call.params
            p.expect(1, 2)
            program().stop = p.raw(0).upper()
            if program().stop != "NONE":
                raise ScpiError(-221, "emulated delayer supports only STOP NONE")

        def parameter(call: Call) -> None:
            p = call.params
            p.expect(3)
            group = int(p.number(0, minimum=0, maximum=DELAY_GROUPS_MAX - 1, default=0))
            on = p.boolean(1)
            low, high = DELAY_TIME_S
            seconds = p.number(2, unit="s", minimum=low, maximum=high, default=low)
            program().parameters[group] = (on, seconds)

        def parameter_query(call: Call) -> str:
            # The guide answers a definite-length block; its exact layout is not emulated [E]:
            # "<group>,<ON|OFF>,<seconds>" per group, separated by ";".
            p = call.params
            p.expect(1, 2)
            first = int(p.number(0, minimum=0, maximum=DELAY_GROUPS_MAX - 1, default=0))
            count = int(p.number(1, minimum=1, maximum=DELAY_GROUPS_MAX, default=1))
            rows = []
            for group in range(first, first + count):
                on, seconds = program().parameters.get(group, (True, DELAY_TIME_S[0]))
                rows.append(f"{group},{on_off(on)},{seconds:g}")
            return ";".join(rows)

        t.add("DELAY[:STATe]", set=state, query=state_query)
        t.add("DELAY:GROUPs", set=groups, query=reply(lambda: str(program().groups)))
        t.add("DELAY:CYCLEs", set=cycles, query=cycles_query)
        t.add("DELAY:ENDState", set=end_state, query=reply(lambda: program().end_state))
        t.add("DELAY:STOP", set=stop, query=reply(lambda: program().stop))
        t.add("DELAY:PARAmeter", set=parameter, query=parameter_query)

    def _source_level(self, attr: str, unit: str, fmt: Callable[[float], str], rating: int) -> None:
        word = "VOLTage" if unit == "V" else "CURRent"

        def channel(call: Call) -> int:
            ch = call.suffix(0, default=self.selected)
            if ch not in RATINGS:
                raise ScpiError(-114, f"SOURce{ch}")
            return ch

        def setter(call: Call) -> None:
            call.params.expect(1)
            ch = channel(call)
            top = RATINGS[ch][rating]
            setattr(
                self._settings(ch),
                attr,
                call.params.number(0, unit=unit, minimum=0.0, maximum=top, default=0.0),
            )

        def getter(call: Call) -> str:
            call.params.expect(0, 1)
            ch = channel(call)
            if call.params.present(0):
                keyword = call.params.keyword(0)
                if keyword is None:
                    raise ScpiError(-224, call.params.raw(0))
                return fmt(RATINGS[ch][rating] if keyword == "MAX" else 0.0)
            return fmt(getattr(self._settings(ch), attr))

        self.tree.add(f"[SOURce#:]{word}[:LEVel][:IMMediate][:AMPLitude]", set=setter, query=getter)

    def _source_protection(
        self,
        word: str,
        kind: str,
        level_attr: str,
        enabled_attr: str,
        fmt: Callable[[float], str],
        top: dict[int, float],
    ) -> None:
        """``[:SOURce<n>]:VOLTage:PROTection...``: the same OVP/OCP as ``:OUTPut:OVP`` (QCoDeS'
        DP8xx driver uses this form after ``:INST:NSEL``)."""
        unit = "V" if kind == "OVP" else "A"

        def channel(call: Call) -> int:
            ch = call.suffix(0, default=self.selected)
            if ch not in RATINGS:
                raise ScpiError(-114, f"SOURce{ch}")
            return ch

        def set_level(call: Call) -> None:
            call.params.expect(1)
            ch = channel(call)
            value = call.params.number(0, unit=unit, minimum=0.01, maximum=top[ch], default=top[ch])
            setattr(self._settings(ch), level_attr, value)

        def get_level(call: Call) -> str:
            call.params.expect(0)
            return fmt(getattr(self._settings(channel(call)), level_attr))

        def set_state(call: Call) -> None:
            call.params.expect(1)
            setattr(self._settings(channel(call)), enabled_attr, call.params.boolean(0))

        def get_state(call: Call) -> str:
            call.params.expect(0)
            return on_off(getattr(self._settings(channel(call)), enabled_attr))

        def question(call: Call) -> str:
            call.params.expect(0)
            return "YES" if self._latched(channel(call)).tripped == kind else "NO"

        def clear(call: Call) -> None:
            call.params.expect(0)
            settings = self._settings(channel(call))
            if settings.tripped == kind:
                settings.tripped = None

        base = f"[SOURce#:]{word}:PROTection"
        self.tree.add(f"{base}[:LEVel]", set=set_level, query=get_level)
        self.tree.add(f"{base}:STATe", set=set_state, query=get_state)
        self.tree.add(f"{base}:QUEStion", query=question)
        self.tree.add(f"{base}:CLEar", set=clear)

    def _protection(
        self,
        kind: str,
        level_attr: str,
        enabled_attr: str,
        fmt: Callable[[float], str],
        top: dict[int, float],
    ) -> None:
        t = self.tree
        trip_kind = kind

        def set_level(call: Call, ch: int, first: int) -> None:
            value = call.params.number(
                first,
                unit="V" if kind == "OVP" else "A",
                minimum=0.01,
                maximum=top[ch],
                default=top[ch],
            )
            setattr(self._settings(ch), level_attr, value)

        def set_state(call: Call, ch: int, first: int) -> None:
            setattr(self._settings(ch), enabled_attr, call.params.boolean(first))

        def tripped(ch: int) -> str:
            return "YES" if self._latched(ch).tripped == trip_kind else "NO"

        def clear(call: Call) -> None:
            ch, _ = self._channel_arg(call, with_value=0)
            if self._settings(ch).tripped == trip_kind:
                self._settings(ch).tripped = None

        t.add(
            f"OUTPut:{kind}:VALue",
            set=self._channel_set(set_level),
            query=self._channel_query(lambda ch: fmt(getattr(self._settings(ch), level_attr))),
        )
        t.add(
            f"OUTPut:{kind}[:STATe]",
            set=self._channel_set(set_state),
            query=self._channel_query(lambda ch: on_off(getattr(self._settings(ch), enabled_attr))),
        )
        t.add(f"OUTPut:{kind}:QUEStion", query=self._channel_query(tripped))
        t.add(f"OUTPut:{kind}:ALARm", query=self._channel_query(tripped))
        t.add(f"OUTPut:{kind}:CLEar", set=clear)
