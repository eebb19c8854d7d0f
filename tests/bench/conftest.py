"""Fixtures of the bench tests (helpers live in ``bench_helpers``)."""

from bench_helpers import home, sim_station
from wire_recording import recorded_wire

__all__ = ["home", "recorded_wire", "sim_station"]
