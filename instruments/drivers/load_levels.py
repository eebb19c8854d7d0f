"""What every electronic-load driver shares: rating checks and the level that follows the mode.

A procedure states "the level" in the unit of the present mode (A in CC, V in CV, ...); the
dispatch and the rating check are the same for every model, so they live here once and each
driver keeps only its command strings.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from instruments.roles import LoadMode
from instruments.safety import SafetyLimits, checked
from instruments.units import Q_, Quantity


class RatedLoad(ABC):
    MODEL: ClassVar[str]
    MAX_CURRENT: ClassVar[float]
    MAX_VOLTAGE: ClassVar[float]
    MAX_POWER: ClassVar[float]
    MIN_RESISTANCE: ClassVar[float]
    MAX_RESISTANCE: ClassVar[float]
    POWER_LEVEL: ClassVar[str]
    """What the model's manual calls its constant-power level (CW on the IT8511, CP on the
    DL3021), so a refusal names it as the front panel does."""
    limits: SafetyLimits

    @property
    def max_current(self) -> Quantity | None:
        """The rated current, which also bounds what the short-circuit function sinks."""
        return Q_(self.MAX_CURRENT, "A")

    @property
    @abstractmethod
    def resource(self) -> str: ...

    @abstractmethod
    def mode(self) -> LoadMode: ...

    @abstractmethod
    def set_current(self, current: Quantity) -> None: ...

    @abstractmethod
    def set_voltage(self, voltage: Quantity) -> None: ...

    @abstractmethod
    def set_resistance(self, resistance: Quantity) -> None: ...

    @abstractmethod
    def set_power(self, power: Quantity) -> None: ...

    def set_level(self, level: Quantity) -> None:
        """The level in the unit of the present mode; a wrong unit raises before sending."""
        mode = self.mode()
        if mode is LoadMode.CC:
            self.set_current(level)
        elif mode is LoadMode.CV:
            self.set_voltage(level)
        elif mode is LoadMode.CR:
            self.set_resistance(level)
        else:
            self.set_power(level)

    def _rated(self, value: Quantity, unit: str, setting: str, low: float, high: float) -> float:
        return checked(
            value,
            unit,
            setting=setting,
            low=low,
            high=high,
            limit=f"{self.MODEL} rating",
            resource=self.resource,
        )

    # A level is checked against the model's rating first, then against the station's limits,
    # before a byte is written: the drivers' level declarations take these as their ``check``.
    def _checked_current(self, current: Quantity) -> float:
        amps = self._rated(current, "A", "CC level", 0.0, self.MAX_CURRENT)
        self.limits.current(current, setting="CC level", resource=self.resource)
        return amps

    def _checked_voltage(self, voltage: Quantity) -> float:
        volts = self._rated(voltage, "V", "CV level", 0.0, self.MAX_VOLTAGE)
        self.limits.voltage(voltage, setting="CV level", resource=self.resource)
        return volts

    def _checked_power(self, power: Quantity) -> float:
        watts = self._rated(power, "W", self.POWER_LEVEL, 0.0, self.MAX_POWER)
        self.limits.power(power, setting=self.POWER_LEVEL, resource=self.resource)
        return watts

    def _checked_resistance(self, resistance: Quantity) -> float:
        return self._rated(resistance, "ohm", "CR level", self.MIN_RESISTANCE, self.MAX_RESISTANCE)
