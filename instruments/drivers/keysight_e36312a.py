"""Keysight E36312A triple-output DC source (E36300 series), addressed by SCPI channel lists.

Ratings: channel 1 6 V / 5 A, channels 2-3 25 V / 1 A (E36300 data sheet). OVP levels up to 110 %
of the rating [E]. On this model OCP is a *state*, not a level: with ``CURR:PROT:STAT ON`` the
output trips as soon as the channel enters constant current, i.e. the OCP level IS the current
limit. Armed that way it would end every constant-current charge in its first second, so by
default ``set_over_current_protection`` leaves the trip off and makes the level a ceiling: the
regulation loop never delivers more than the current limit, and the guard refuses any later
current limit above the ceiling before it is sent. ``trip_in_cc=True`` arms the real trip
instead (current limit = trip level), for jobs that must never regulate current.

Regulation mode: protection trips are read first (``VOLT:PROT:TRIP?``, ``CURR:PROT:TRIP?``), then
the output state, then the Operation Instrument Summary condition register of the channel, whose
bit 0 is CV and bit 1 is CC on the E36300 (Keysight status model shared with the N6700 family;
the E364x "2 = CV, 1 = CC" value encoding belongs to the older questionable register and is not
used here).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from instruments.roles import DCSource, RegulationMode
from instruments.safe_state import confirm_off, reach_safe_state, reopener, write_step
from instruments.safety import (
    NO_LIMITS,
    ChannelRating,
    SafetyLimits,
    SourceGuard,
)
from instruments.scpi import ScpiInstrument
from instruments.source_channel import DelegatesToChannels, SourceChannel, per_channel
from instruments.transport import Transport

#: ``STAT:OPER:INST:ISUM<n>:COND?`` bits (E36300 Programming Guide, status model).
OPER_CV = 1 << 0
OPER_CC = 1 << 1


class E36312AChannel(SourceChannel):
    """One E36312A output, addressed by a channel list ``(@<n>)``.

    ``ocp`` is the ceiling described in the module docstring: it sets the current limit and the
    trip state (``{trip}``: ``ON`` only with ``trip_in_cc``), so its readback is the current
    limit, ``CURR? (@<n>)``.
    """

    source: KeysightE36312A

    voltage = SourceChannel.voltage_control(set="VOLT {value:g},(@{ch})", get="VOLT? (@{ch})")
    current_limit = SourceChannel.current_limit_control(
        set="CURR {value:g},(@{ch})", get="CURR? (@{ch})"
    )
    ovp = SourceChannel.ovp_control(set="VOLT:PROT {value:g},(@{ch})", get="VOLT:PROT? (@{ch})")
    ocp = SourceChannel.ocp_control(
        set=("CURR {value:g},(@{ch})", "CURR:PROT:STAT {trip},(@{ch})"), get="CURR? (@{ch})"
    )
    measured_voltage, measured_current = SourceChannel.readings(
        "MEAS:VOLT? (@{ch})", "MEAS:CURR? (@{ch})"
    )

    def __init__(self, source: KeysightE36312A, number: int) -> None:
        super().__init__(source, number)
        self.source = source

    def command_fields(self) -> Mapping[str, object]:
        return {"ch": self.number, "trip": "ON" if self.source.trip_in_cc else "OFF"}


class KeysightE36312A(ScpiInstrument, DelegatesToChannels[E36312AChannel], DCSource):
    MODEL: ClassVar[str] = "E36312A"
    RATINGS: ClassVar[dict[int, ChannelRating]] = {
        1: ChannelRating(max_voltage=6.0, max_current=5.0, max_ovp=6.6, max_ocp=5.0),
        2: ChannelRating(max_voltage=25.0, max_current=1.0, max_ovp=27.5, max_ocp=1.0),
        3: ChannelRating(max_voltage=25.0, max_current=1.0, max_ovp=27.5, max_ocp=1.0),
    }

    def __init__(
        self,
        transport: Transport,
        *,
        limits: SafetyLimits = NO_LIMITS,
        check_errors: bool = True,
        trip_in_cc: bool = False,
    ) -> None:
        super().__init__(transport, check_errors=check_errors)
        self.trip_in_cc = trip_in_cc
        self.guard = SourceGuard(self.MODEL, transport.resource, self.RATINGS, limits)
        self.ch1, self.ch2, self.ch3 = (E36312AChannel(self, number) for number in self.RATINGS)
        self._add_channels((self.ch1, self.ch2, self.ch3))

    @property
    def channels(self) -> tuple[int, ...]:
        return tuple(self.RATINGS)

    # -- output -------------------------------------------------------------------------------
    def output_on(self, channel: int) -> None:
        self.guard.require_armed(channel)
        self.write(f"OUTP ON,(@{channel})")

    @per_channel
    def output_off(self, channel: int) -> None:
        self.write(f"OUTP OFF,(@{channel})")

    @per_channel
    def is_output_on(self, channel: int) -> bool:
        return self.query_bool(f"OUTP? (@{channel})")

    @per_channel
    def clear_protection(self, channel: int) -> None:
        self.write(f"OUTP:PROT:CLE (@{channel})")

    # -- readback -----------------------------------------------------------------------------
    @per_channel
    def over_voltage_tripped(self, channel: int) -> bool:
        return self.query_bool(f"VOLT:PROT:TRIP? (@{channel})")

    @per_channel
    def over_current_tripped(self, channel: int) -> bool:
        return self.query_bool(f"CURR:PROT:TRIP? (@{channel})")

    def regulation_mode(self, channel: int) -> RegulationMode:
        if self.over_voltage_tripped(channel) or self.over_current_tripped(channel):
            return RegulationMode.PROTECTION_TRIPPED
        if not self.is_output_on(channel):
            return RegulationMode.OFF
        condition = int(self.query_number(f"STAT:OPER:INST:ISUM{channel}:COND?"))
        if condition & OPER_CV:
            return RegulationMode.CV
        if condition & OPER_CC:
            return RegulationMode.CC
        return RegulationMode.UNREGULATED

    # -- safe state ---------------------------------------------------------------------------
    def make_safe(self) -> None:
        """Every channel off, each in its own command so one failure cannot skip the others;
        then one ``OUTP?`` over all channels confirms it (see ``reach_safe_state``)."""
        listed = ",".join(str(channel) for channel in self.channels)
        reach_safe_state(
            self.resource,
            [write_step(self.transport, f"OUTP OFF,(@{ch})") for ch in self.channels],
            [confirm_off(self.transport, f"OUTP? (@{listed})", self.channels)],
            reopen=reopener(self.transport),
        )
