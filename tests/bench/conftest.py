"""Fixtures of the bench tests (helpers live in ``bench_helpers``)."""

from bench_helpers import home, sim_station

__all__ = ["home", "sim_station"]
