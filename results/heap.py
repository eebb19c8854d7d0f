"""The garbage collector's settings for a process that reads big parts of the store.

Why (issue #18): loading a 100-run complaint builds tens of thousands of short-lived objects
(rows, read models), which set off the collector's older generations in the middle of the read.
A generation-2 collection walks every tracked object of the process, and after the imports of
the service or the command line that is some 130,000-240,000 objects that live to the process's
end: about 70 ms a collection, 5 of them in 15 loads of the 100-run complaint (scale harness on
PostgreSQL, 2,000-run store), 40-50 ms of a 124 ms load measured before. ``settle_startup_heap``
freezes them out of the collector's reach (``gc.freeze``: never traversed again; 70 -> 6 ms a
collection) and raises the youngest generation's threshold from 700 to ``GEN0_THRESHOLD``, so a
read of that size sets off no generation-1 or 2 collection at all (collector CPU in those 15
loads 170-210 -> 60-100 ms). Objects created later are collected as before.

Only for a process's one startup (a service worker, a command): an object frozen while alive is
never collected once dropped, so a process that builds apps over and over (the test suite) must
not call it each time.
"""

from __future__ import annotations

import gc

GEN0_THRESHOLD = 10_000
"""Allocations (net of deallocations) between young collections; CPython's default is 700."""


def settle_startup_heap() -> None:
    """Collect what startup left behind, freeze the rest, raise the young generation's threshold."""
    gc.collect()
    gc.freeze()
    _gen0, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, gen1, gen2)
