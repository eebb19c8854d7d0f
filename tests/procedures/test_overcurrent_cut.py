"""What counts as the board cutting the output in the over-current ramp and the timed step."""

from __future__ import annotations

from instruments.roles import LoadReading
from instruments.units import Q_
from procedures.diagnosis.overcurrent import output_cut

UNLOADED = Q_(12.5, "V")
LEVEL = Q_(20.0, "A")


def _reading(volts: float, amps: float) -> LoadReading:
    return LoadReading(Q_(volts, "V"), Q_(amps, "A"), Q_(volts * amps, "W"))


def test_a_cut_output_has_collapsed_and_carries_nothing() -> None:
    assert output_cut(_reading(0.05, 0.0), UNLOADED, LEVEL)


def test_a_terminal_sagging_under_the_full_load_current_is_no_cut() -> None:
    """A worn cell at several C sags the terminal below half, yet the load still draws its
    level: the cells' DC resistance, not a protection (with a shorted discharge FET nothing can
    cut, and this sag read as an over-current trip)."""
    assert not output_cut(_reading(5.9, 20.0), UNLOADED, LEVEL)


def test_a_terminal_still_up_is_no_cut() -> None:
    assert not output_cut(_reading(11.0, 20.0), UNLOADED, LEVEL)
