"""Stored verdict names back to ``Verdict``, tolerant of names newer than this code.

Verdicts are stored by name (``"PASS"``, ``"INCOMPLETE"``...). A store shared by benches on
different versions may hold a name this code does not know yet; reading it must not crash a page
or a report, and must never turn it into a pass.
"""

from __future__ import annotations

from procedures.records import Verdict


def verdict_named(name: str | None) -> Verdict:
    """The ``Verdict`` a stored name stands for; an unknown name reads as ERROR (the run cannot
    be relied on), a missing one (a run that never finished) as ABORTED."""
    if not name:
        return Verdict.ABORTED
    return Verdict.__members__.get(name.upper(), Verdict.ERROR)
