"""What ``packbench sync status`` says, for the panel: pending, sent and refused runs.

A technician at the bench should see, without a terminal, whether the runs of the day reached
the QA service or were refused, and why. The panel asks this on load, after each run and every
few seconds; it reads the same store and sync state file as ``packbench sync status``
(``bench.sync.status``), so the two never disagree. Only the newest runs are listed (a bench's
store grows for years), but every refused run is, however old: a refusal needs someone to act.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bench.config import StationConfig
from bench.errors import BenchError
from bench.sync import Item, state_path, status
from results.errors import ResultsError

SHOWN_RUNS = 20
STATES = ("pending", "sent", "refused")


def _row(item: Item) -> dict[str, Any]:
    return {
        "run_id": item.run_id,
        "uuid": item.uuid,
        "state": item.state,
        "service_id": None if item.entry is None else item.entry.service_id,
        "reason": "" if item.entry is None else item.entry.reason,
        "at": "" if item.entry is None else item.entry.at,
    }


def sync_snapshot(config: StationConfig, sessions: sessionmaker[Session]) -> dict[str, Any]:
    """Counts by state, and the newest runs (every refused one too), newest first."""
    try:
        items = status(config, sessions)
    except (BenchError, ResultsError) as exc:
        return {"available": True, "error": str(exc), "counts": {}, "runs": [], "total": 0}
    counts = {state: sum(1 for i in items if i.state == state) for state in STATES}
    newest = items[-SHOWN_RUNS:]
    older_refused = [i for i in items[:-SHOWN_RUNS] if i.state == "refused"]
    shown = [*older_refused, *newest][::-1]
    return {
        "available": True,
        "state_file": str(state_path(config)),
        "counts": counts,
        "total": len(items),
        "runs": [_row(i) for i in shown],
    }
