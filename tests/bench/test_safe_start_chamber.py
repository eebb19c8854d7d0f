"""Safe start with a temperature chamber: one left cooling by a dead run is found and stopped.

The runner and its watchdog can both die in a 0 degC soak (host power loss, ``kill -9`` of
both); the next station open must find the chamber still controlling, set it to standby, read
the mode back and record the finding, as it does for a source left on.
"""

from __future__ import annotations

from bench.safe_start import bring_to_safe_state
from instruments.factory import open_instrument
from instruments.roles import TemperatureChamber
from instruments.units import Q_
from simulators.launcher import start_bench


def test_a_chamber_left_cooling_is_found_and_put_to_standby() -> None:
    with start_bench(fault="healthy", chamber_model="SU-241") as sim:
        pty = sim.instruments["chamber"].pty
        assert pty is not None
        chamber = open_instrument(pty, role="chamber", model="SU-241", timeout=2.0)
        assert isinstance(chamber, TemperatureChamber)
        try:
            chamber.set_temperature(Q_(0.0, "degC"))
            chamber.run()
            assert bring_to_safe_state({"chamber": chamber}) == [
                "chamber controlling its air (set to standby)"
            ]
            assert not chamber.is_controlling()
            with sim.client() as control:
                assert control.state()["ambient_c"] == 25.0
            assert bring_to_safe_state({"chamber": chamber}) == []
        finally:
            chamber.close()


class _Recorded(TemperatureChamber):
    """A chamber that notes when it is made safe (nothing else is asked of it here)."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    identity = None  # type: ignore[assignment]

    def set_temperature(self, temperature: object) -> None: ...  # type: ignore[override]

    def run(self) -> None: ...

    def standby(self) -> None: ...

    def air_temperature(self) -> object: ...  # type: ignore[override]

    def is_controlling(self) -> bool:
        return False

    def make_safe(self) -> None:
        self.log.append("chamber")

    def close(self) -> None: ...


def test_the_outputs_are_made_safe_before_the_chamber_whatever_the_station_order() -> None:
    with start_bench(fault="healthy") as sim:
        log: list[str] = []
        source = open_instrument(sim.instruments["source"].resource, role="source", timeout=2.0)
        original = source.make_safe

        def noted() -> None:
            log.append("source")
            original()

        source.make_safe = noted  # type: ignore[method-assign]
        try:
            bring_to_safe_state({"chamber": _Recorded(log), "source": source})
            assert log == ["source", "chamber"]
        finally:
            source.close()
