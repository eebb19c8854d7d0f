"""Rigol DP832 / DP832A triple-output DC source (DP800 programming guide).

Ratings: CH1/CH2 0-32 V / 0-3.2 A, CH3 0-5.3 V / 0-3.2 A. OVP settable to 33 V (CH3 5.5 V) and OCP
to 3.3 A (DP800 guide ranges). Unlike the E36312A, OVP and OCP are levels with their own enable,
so the current limit can regulate (CC) below the OCP level without tripping.

Settings go through ``:SOURce<n>:`` (one value per command: the role sets voltage and current
separately, ``:APPLy`` would need both at once). Rigol answers ``:OUTP:*:QUES?`` with YES/NO and
``:OUTP:MODE?`` with CV, CC or UR.
"""

from __future__ import annotations

import math
from typing import ClassVar

from instruments.errors import ProtocolError
from instruments.roles import DCSource, RegulationMode
from instruments.safe_state import confirm_off, reach_safe_state, reopener, write_step
from instruments.safety import (
    NO_LIMITS,
    ChannelRating,
    SafetyLimits,
    SourceGuard,
    checked,
)
from instruments.scpi import ScpiInstrument
from instruments.source_channel import DelegatesToChannels, SourceChannel, per_channel
from instruments.transport import Transport
from instruments.units import Quantity

DELAY_GROUP_S = (1.0, 99999.0)
"""One delayer group lasts 1 s to 99999 s (DP800 Programming Guide, ``:DELAY:PARAmeter``)."""
DELAY_GROUPS_MAX = 2048
_MODES = {"CV": RegulationMode.CV, "CC": RegulationMode.CC, "UR": RegulationMode.UNREGULATED}


class DP832Channel(SourceChannel):
    """One DP832 output: settings through ``:SOURce<n>:``, protection through ``:OUTPut:OVP|OCP``.

    OVP and OCP are a level plus an enable here, so each is two commands (both checked by the
    error queue); the readbacks ask the level (``:SOURce<n>:VOLTage?``, ``:OUTPut:OVP:VALue?``).
    """

    voltage = SourceChannel.voltage_control(set=":SOUR{ch}:VOLT {value:g}", get=":SOUR{ch}:VOLT?")
    current_limit = SourceChannel.current_limit_control(
        set=":SOUR{ch}:CURR {value:g}", get=":SOUR{ch}:CURR?"
    )
    ovp = SourceChannel.ovp_control(
        set=(":OUTP:OVP:VAL CH{ch},{value:g}", ":OUTP:OVP CH{ch},ON"), get=":OUTP:OVP:VAL? CH{ch}"
    )
    ocp = SourceChannel.ocp_control(
        set=(":OUTP:OCP:VAL CH{ch},{value:g}", ":OUTP:OCP CH{ch},ON"), get=":OUTP:OCP:VAL? CH{ch}"
    )
    measured_voltage, measured_current = SourceChannel.readings(
        ":MEAS:VOLT? CH{ch}", ":MEAS:CURR? CH{ch}"
    )


class RigolDP832(ScpiInstrument, DelegatesToChannels[DP832Channel], DCSource):
    MODEL: ClassVar[str] = "DP832"
    RATINGS: ClassVar[dict[int, ChannelRating]] = {
        1: ChannelRating(max_voltage=32.0, max_current=3.2, max_ovp=33.0, max_ocp=3.3),
        2: ChannelRating(max_voltage=32.0, max_current=3.2, max_ovp=33.0, max_ocp=3.3),
        3: ChannelRating(max_voltage=5.3, max_current=3.2, max_ovp=5.5, max_ocp=3.3),
    }

    def __init__(
        self,
        transport: Transport,
        *,
        limits: SafetyLimits = NO_LIMITS,
        check_errors: bool = True,
    ) -> None:
        super().__init__(transport, check_errors=check_errors)
        self.guard = SourceGuard(self.MODEL, transport.resource, self.RATINGS, limits)
        self._timers: dict[int, float] = {}
        """Channel -> seconds of its armed output timer (``arm_output_timer``)."""
        self.ch1, self.ch2, self.ch3 = (DP832Channel(self, number) for number in self.RATINGS)
        self._add_channels((self.ch1, self.ch2, self.ch3))

    @property
    def channels(self) -> tuple[int, ...]:
        return tuple(self.RATINGS)

    # -- output timer (the delay output) -------------------------------------------------------
    def arm_output_timer(self, channel: int, duration: Quantity) -> bool:
        """The delayer as a cutoff: ``groups`` ON groups (1-99999 s each), one cycle, end OFF.

        ``:DELAY`` works on the selected channel (``:INST:NSEL``); ``:DELAY ON`` (sent by
        ``output_on``) switches the output on and the instrument itself switches it off when
        the groups have run. Timer and delayer cannot run together (DP800 guide): the timer is
        never used here.

        Checked against the DP800 Programming Guide, chapter 2, ``:DELAY`` subsystem:
        ``:DELAY:PARAmeter <secnum>,{ON|OFF},<time>`` (p. 2-15: group 0..2047, time an integer
        1 s..99999 s, which is why ``each`` is rounded up to whole seconds), ``:DELAY:GROUPs``
        (1..2048 groups), ``:DELAY:CYCLEs {N|I}[,<n>]``, ``:DELAY:ENDState {ON|OFF|LAST}``,
        ``:DELAY:STOP {NONE|...}`` and ``:DELAY[:STATe]``, all acting on the channel chosen by
        ``:INSTrument:NSELect``. The ``:TIMEr`` subsystem (p. 2-65 ff., ``:TIMEr:ENDState
        {OFF|LAST}``) is not used.
        """
        self.guard.channel(channel)
        seconds = checked(
            duration,
            "s",
            setting="output timer",
            low=DELAY_GROUP_S[0],
            high=DELAY_GROUP_S[1] * DELAY_GROUPS_MAX,
            limit=f"{self.MODEL} delayer range",
            resource=self.resource,
        )
        groups = math.ceil(seconds / DELAY_GROUP_S[1])
        each = math.ceil(seconds / groups)
        self.write(f":INST:NSEL {channel}")
        self.write(f":DELAY:GROUP {groups}")
        self.write(":DELAY:CYCLE N,1")
        self.write(":DELAY:ENDS OFF")
        self.write(":DELAY:STOP NONE")
        for group in range(groups):
            self.write(f":DELAY:PARA {group},ON,{each}")
        self._timers[channel] = each * groups
        return True

    # -- output -------------------------------------------------------------------------------
    def output_on(self, channel: int) -> None:
        self.guard.require_armed(channel)
        if channel in self._timers:
            self.write(f":INST:NSEL {channel}")
            self.write(":DELAY ON")  # the delayer switches the output on, and off in the end
        else:
            self.write(f":OUTP CH{channel},ON")

    @per_channel
    def output_off(self, channel: int) -> None:
        self.write(f":OUTP CH{channel},OFF")
        if channel in self._timers:  # off first (confirmed by the caller), then stop the program
            self.write(f":INST:NSEL {channel}")
            self.write(":DELAY OFF")

    @per_channel
    def is_output_on(self, channel: int) -> bool:
        return self.query_bool(f":OUTP? CH{channel}")

    @per_channel
    def clear_protection(self, channel: int) -> None:
        self.write(f":OUTP:OVP:CLEAR CH{channel}")
        self.write(f":OUTP:OCP:CLEAR CH{channel}")

    # -- readback -----------------------------------------------------------------------------
    @per_channel
    def over_voltage_tripped(self, channel: int) -> bool:
        return self._yes_no(f":OUTP:OVP:QUES? CH{channel}")

    @per_channel
    def over_current_tripped(self, channel: int) -> bool:
        return self._yes_no(f":OUTP:OCP:QUES? CH{channel}")

    def regulation_mode(self, channel: int) -> RegulationMode:
        if self.over_voltage_tripped(channel) or self.over_current_tripped(channel):
            return RegulationMode.PROTECTION_TRIPPED
        if not self.is_output_on(channel):
            return RegulationMode.OFF
        command = f":OUTP:MODE? CH{channel}"
        reply = self.query(command)
        mode = _MODES.get(reply.strip().upper())
        if mode is None:
            raise ProtocolError(f"{self.resource}: reply to {command!r} is not CV/CC/UR: {reply!r}")
        return mode

    def _yes_no(self, command: str) -> bool:
        reply = self.query(command)
        text = reply.strip().upper()
        if text in {"YES", "1", "ON"}:
            return True
        if text in {"NO", "0", "OFF"}:
            return False
        raise ProtocolError(f"{self.resource}: reply to {command!r} is not YES/NO: {reply!r}")

    # -- safe state ---------------------------------------------------------------------------
    def make_safe(self) -> None:
        """Every channel off, each in its own command so one failure cannot skip the others;
        then each channel's ``:OUTP?`` confirms it (see ``reach_safe_state``)."""
        reach_safe_state(
            self.resource,
            [write_step(self.transport, f":OUTP CH{ch},OFF") for ch in self.channels],
            [confirm_off(self.transport, f":OUTP? CH{ch}", (ch,)) for ch in self.channels],
            reopen=reopener(self.transport),
        )
