"""``results.heap.settle_startup_heap``: the startup heap frozen, the young threshold raised."""

from __future__ import annotations

import subprocess
import sys

from results.heap import GEN0_THRESHOLD

PROBE = """
import gc
import results.models  # a startup's imports
from results.heap import settle_startup_heap
before = gc.get_freeze_count()
settle_startup_heap()
kept = [[i] for i in range(1000)]  # created after: still the collector's
print(before, gc.get_freeze_count(), gc.get_threshold()[0], len(gc.get_objects()))
"""


def test_settling_freezes_what_startup_left_and_raises_the_young_threshold() -> None:
    """In a process of its own: what this one freezes would never be collected."""
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    before, frozen, threshold, tracked = (int(x) for x in done.stdout.split())
    assert before == 0
    assert frozen > 10_000  # the imports
    assert threshold == GEN0_THRESHOLD > 700
    assert tracked < frozen  # the collector no longer walks the frozen objects
    assert tracked >= 1000  # but objects made later are still tracked
