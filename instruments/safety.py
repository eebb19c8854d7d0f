"""Station safety: limits checked before anything is sent, and the output interlock.

A setting is checked twice before it reaches the wire: against the model's rating (what the
instrument can do) and against the station's ``SafetyLimits`` (what this bench, its fixtures and
the packs on it may see). Both checks raise ``SettingOutOfRange`` *before* any byte is written, so
a refused setting never leaves the instrument half-programmed.

The safe-state sequence itself (outputs off, confirmed, reconnecting once) is in
``instruments.safe_state``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from instruments.errors import InstrumentError, SettingOutOfRange
from instruments.units import Quantity, as_magnitude


class ProtectionNotArmed(InstrumentError):
    """``output_on`` was asked before the channel's hardware OVP and OCP were programmed."""


def checked(
    value: Quantity,
    unit: str,
    *,
    setting: str,
    low: float,
    high: float,
    limit: str,
    resource: str,
) -> float:
    """Return ``value`` in ``unit`` if ``low <= value <= high``; otherwise raise, naming the fix.

    ``limit`` says whose limit it is ("E36312A channel 1 rating", "station SafetyLimits"), because
    the fix differs: a rating cannot be changed, a station limit can be reviewed and raised.
    """
    magnitude = as_magnitude(value, unit, name=setting)
    if not math.isfinite(magnitude) or not low <= magnitude <= high:
        raise SettingOutOfRange(
            f"{resource}: {setting} {magnitude:g} {unit} is outside the {limit} "
            f"({low:g} .. {high:g} {unit}); nothing was sent. "
            f"Fix: choose a {setting} within {low:g} .. {high:g} {unit}"
            + (" or review the station's SafetyLimits." if "SafetyLimits" in limit else ".")
        )
    return magnitude


@dataclass(frozen=True, slots=True)
class SafetyLimits:
    """What this station allows on its source outputs and load inputs, whatever the model could do.

    ``None`` means "no station limit beyond the model's rating". ``allow_short=False`` forbids the
    load's short-circuit function (a short sinks the load's full range current, which no other
    limit here can cap).
    """

    max_voltage: Quantity | None = None
    max_current: Quantity | None = None
    max_power: Quantity | None = None
    allow_short: bool = True

    def __post_init__(self) -> None:
        for name, unit in (("max_voltage", "V"), ("max_current", "A"), ("max_power", "W")):
            value = getattr(self, name)
            if value is not None and as_magnitude(value, unit, name=name) < 0:
                raise SettingOutOfRange(f"SafetyLimits.{name} {value} must not be negative")

    def voltage(self, value: Quantity, *, setting: str, resource: str) -> float:
        return self._check(value, "V", self.max_voltage, setting, resource)

    def current(self, value: Quantity, *, setting: str, resource: str) -> float:
        return self._check(value, "A", self.max_current, setting, resource)

    def power(self, value: Quantity, *, setting: str, resource: str) -> float:
        return self._check(value, "W", self.max_power, setting, resource)

    def short(self, *, resource: str) -> None:
        if not self.allow_short:
            raise SettingOutOfRange(
                f"{resource}: the load's short-circuit function is forbidden by the station's "
                "SafetyLimits (allow_short=False); nothing was sent. Fix: use a CC level within "
                "max_current, or set allow_short=True for a station wired for short tests."
            )

    @staticmethod
    def _check(
        value: Quantity, unit: str, maximum: Quantity | None, setting: str, resource: str
    ) -> float:
        if maximum is None:
            return as_magnitude(value, unit, name=setting)
        high = as_magnitude(maximum, unit, name=f"SafetyLimits max for {setting}")
        return checked(
            value,
            unit,
            setting=setting,
            low=-math.inf if unit == "V" else 0.0,
            high=high,
            limit="station SafetyLimits",
            resource=resource,
        )


NO_LIMITS = SafetyLimits()


@dataclass
class ProtectionInterlock:
    """Remembers, per channel, whether OVP and OCP were programmed in this session.

    The rule "hardware limits before any output" is enforced in the driver, not left to each
    procedure: a pack on the bench must never see an output whose protection was never set.
    """

    resource: str
    _ovp: set[int] = field(default_factory=set)
    _ocp: set[int] = field(default_factory=set)

    def ovp_set(self, channel: int) -> None:
        self._ovp.add(channel)

    def ocp_set(self, channel: int) -> None:
        self._ocp.add(channel)

    def require_armed(self, channel: int) -> None:
        missing = [
            name for name, armed in (("OVP", self._ovp), ("OCP", self._ocp)) if channel not in armed
        ]
        if missing:
            raise ProtectionNotArmed(
                f"{self.resource}: refusing to switch channel {channel} on: "
                f"{' and '.join(missing)} not programmed in this session. Fix: call "
                "set_over_voltage_protection() and set_over_current_protection() for channel "
                f"{channel} first."
            )


@dataclass(frozen=True, slots=True)
class ChannelRating:
    """One source channel's rating: settable voltage/current and the protection ranges."""

    max_voltage: float
    max_current: float
    max_ovp: float
    max_ocp: float


class SourceGuard:
    """Rating, station-limit and interlock checks of a multi-channel DC source, in one place.

    Each driver method calls one of these before it formats its command, so the check sits beside
    the command string while the rules live once for every source model.
    """

    def __init__(
        self,
        model: str,
        resource: str,
        ratings: dict[int, ChannelRating],
        limits: SafetyLimits = NO_LIMITS,
    ) -> None:
        self.model = model
        self.resource = resource
        self.ratings = ratings
        self.limits = limits
        self.interlock = ProtectionInterlock(resource)
        self._ovp_level: dict[int, float] = {}
        self._ocp_level: dict[int, float] = {}

    def channel(self, channel: int) -> ChannelRating:
        rating = self.ratings.get(channel)
        if rating is None:
            raise SettingOutOfRange(
                f"{self.resource}: the {self.model} has no channel {channel!r}; nothing was sent. "
                f"Fix: use one of channels {sorted(self.ratings)}."
            )
        return rating

    def _rated(self, channel: int, value: Quantity, unit: str, setting: str, high: float) -> float:
        return checked(
            value,
            unit,
            setting=setting,
            low=0.0,
            high=high,
            limit=f"{self.model} channel {channel} rating",
            resource=self.resource,
        )

    def voltage(self, channel: int, value: Quantity) -> float:
        rating = self.channel(channel)
        volts = self._rated(channel, value, "V", "voltage", rating.max_voltage)
        self.limits.voltage(value, setting="voltage", resource=self.resource)
        ovp = self._ovp_level.get(channel)
        if ovp is not None and volts > ovp:
            raise SettingOutOfRange(
                f"{self.resource}: voltage {volts:g} V on channel {channel} is above its OVP "
                f"level {ovp:g} V and would trip it; nothing was sent. Fix: lower the voltage or "
                "raise the OVP level first."
            )
        return volts

    def current(self, channel: int, value: Quantity) -> float:
        rating = self.channel(channel)
        amps = self._rated(channel, value, "A", "current limit", rating.max_current)
        self.limits.current(value, setting="current limit", resource=self.resource)
        ocp = self._ocp_level.get(channel)
        if ocp is not None and amps > ocp:
            raise SettingOutOfRange(
                f"{self.resource}: current limit {amps:g} A on channel {channel} is above its OCP "
                f"level {ocp:g} A; nothing was sent. Fix: lower the current limit or raise the "
                "OCP level first."
            )
        return amps

    def ovp(self, channel: int, value: Quantity) -> float:
        rating = self.channel(channel)
        volts = self._rated(channel, value, "V", "OVP level", rating.max_ovp)
        self.limits.voltage(value, setting="OVP level", resource=self.resource)
        return volts

    def ocp(self, channel: int, value: Quantity) -> float:
        rating = self.channel(channel)
        amps = self._rated(channel, value, "A", "OCP level", rating.max_ocp)
        self.limits.current(value, setting="OCP level", resource=self.resource)
        return amps

    def ovp_programmed(self, channel: int, volts: float) -> None:
        self._ovp_level[channel] = volts
        self.interlock.ovp_set(channel)

    def ocp_programmed(self, channel: int, amps: float) -> None:
        self._ocp_level[channel] = amps
        self.interlock.ocp_set(channel)

    def require_armed(self, channel: int) -> None:
        self.channel(channel)
        self.interlock.require_armed(channel)
