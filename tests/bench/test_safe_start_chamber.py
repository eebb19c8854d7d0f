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
