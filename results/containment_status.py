"""Containment of one complaint as QA reads it: the checks, the actions, when containment was in
place, and its two clocks (the check within 4 h of the handling report, containment within 24 h
of receipt) with their state, so an overdue containment shows where the containment is read.

Apart from ``results.containment`` because the clocks read the containment records: the writer
cannot import its own reader's reader. The CLI (``containment show``) and the API
(``GET /api/complaints/{n}/containment``) both return this document.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from results.clocks import CONTAINMENT_CLOCKS, complaint_clocks
from results.containment import (
    containment_actions,
    containment_checks,
    containment_completed_at,
)
from results.models import Complaint


def containment_status(session: Session, complaint: Complaint, now: datetime) -> dict[str, Any]:
    """The document; ``overdue`` names the containment clocks past due and not done at ``now``
    (one done late shows ``missed`` in ``clocks``)."""
    clocks = [
        c.as_dict(now)
        for c in complaint_clocks(session, complaint.id)
        if c.name in CONTAINMENT_CLOCKS
    ]
    return {
        "complaint": complaint.number,
        "completed_at": containment_completed_at(session, complaint.id),
        "checks": [asdict(c) for c in containment_checks(session, complaint.id)],
        "actions": [
            asdict(a) | {"open": a.is_open} for a in containment_actions(session, complaint.id)
        ],
        "clocks": clocks,
        "overdue": [c["name"] for c in clocks if c["state"] == "overdue"],
    }
