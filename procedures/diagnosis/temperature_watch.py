"""The over-temperature abort of the energised steps: read the pack's probe, stop on a hot pack.

A step that pushes energy into or out of the pack (the wake recharge, the protection tests) arms
one ``TemperatureWatch`` before its first output goes on and calls ``check`` at every sample.
The limit is the lower of the cells' window for that kind of step (``PackSpec``: charge 45 degC,
discharge 60 degC) and the station's ``[limits] max_temperature``. A reading above it switches
the step's outputs off at once (``on_trip``), records the reading as a failing measurement (the
evidence) and raises ``PackLimitExceeded``: the engine then ends the run as *fail* (the pack
heats by itself; no instrument misbehaved) through its safe-state path, and the rules conclude.
A broken probe is different: its overload raises ``InstrumentError``, an *error*, never a value.

A station without a temperature channel may charge only if its file says
``allow_charge_without_temperature = true``; the measurement is then recorded as *not measured*
with that reason, so the run's record and its report show the watch was off. Without the flag
the step refuses before any output goes on.
"""

from __future__ import annotations

from collections.abc import Callable

from instruments.roles import Thermometer
from instruments.units import Quantity
from procedures.context import StepContext
from procedures.diagnosis.fixtures import DiagnosisOptions
from procedures.diagnosis.skipped import record_not_measured
from procedures.errors import MissingInstrument, PackLimitExceeded
from procedures.measurements import Measurement
from procedures.phrases import say

ALLOWED_WITHOUT = say("skip.no_thermometer")
REFUSED_WITHOUT = (
    "the station has no temperature channel, so the over-temperature abort cannot be armed and "
    "the pack is not energised. Fix: add [instruments.temperature] (a 344xx on the pack's NTC "
    "or a probe) to the station file, or set allow_charge_without_temperature = true under "
    "[limits] to charge without a temperature watch (recorded with every run)"
)


def temperature_limit(spec_limit: Quantity, options: DiagnosisOptions) -> Quantity:
    """The lower of the cells' window and the station's ``max_temperature``."""
    station = options.max_temperature
    if station is None or spec_limit <= station:
        return spec_limit
    return station


class TemperatureWatch:
    """One step's over-temperature abort (see the module docstring)."""

    def __init__(
        self,
        ctx: StepContext,
        options: DiagnosisOptions,
        name: str,
        spec_limit: Quantity,
        what: str,
    ) -> None:
        self.ctx = ctx
        self.options = options
        self.limit = temperature_limit(spec_limit, options)
        self.measurement = Measurement(
            name, "degC", high=self.limit, description=f"pack temperature (probe) during {what}"
        )
        self.what = what
        self.thermometer: Thermometer | None = None
        self.peak: Quantity | None = None
        self.latest: Quantity | None = None
        """The last reading, for the live view."""
        self.times: list[float] = []
        self.readings: list[float] = []

    def arm(self) -> None:
        """Before the first output goes on: configure the probe and take a first reading.

        A pack already above the limit is never energised.
        """
        instruments = self.ctx.instruments
        if not instruments.has("thermometer"):
            if self.options.allow_charge_without_temperature:
                record_not_measured(self.ctx, self.measurement.name, ALLOWED_WITHOUT)
                return
            raise MissingInstrument(REFUSED_WITHOUT)
        self.thermometer = instruments.thermometer
        self.thermometer.configure_temperature()
        self.check(0.0)

    @property
    def armed(self) -> bool:
        return self.thermometer is not None

    def check(self, elapsed_s: float, on_trip: Callable[[], None] | None = None) -> None:
        """One reading; above the limit: ``on_trip`` (outputs off), record, raise."""
        if self.thermometer is None:
            return
        reading = self.thermometer.temperature()
        self.latest = reading
        self.times.append(elapsed_s)
        self.readings.append(reading.m_as("degC"))
        if self.peak is None or reading > self.peak:
            self.peak = reading
        if reading <= self.limit:
            return
        try:
            if on_trip is not None:
                on_trip()
        finally:
            self.ctx.measure(self.measurement, reading, instrument=self.thermometer)
        raise PackLimitExceeded(
            f"over-temperature during {self.what}: the pack's probe read {reading:.1f~P}, above "
            f"the {self.limit:~P} limit; every output was switched off. The pack heats by itself: "
            "let it cool in a fire-safe place and do not charge it again",
            summary=f"over-temperature ({reading:.1f~P} > {self.limit:~P})",
        )

    def finish(self) -> None:
        """Record the hottest reading of the step (pass: it never crossed the limit)."""
        if self.thermometer is not None and self.peak is not None:
            self.ctx.measure(self.measurement, self.peak, instrument=self.thermometer)
