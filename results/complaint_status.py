"""The states a complaint passes through.

Its own module because registration (``results.complaints``) sets the first state and the
workflow (``results.workflow``), which builds on registration, moves between them: with the enum
in either, the two would import each other.
"""

from __future__ import annotations

import enum


class ComplaintStatus(enum.StrEnum):
    REGISTERED = "registered"
    HANDLING_REPORTED = "handling_reported"
    AWAITING_RETURN = "awaiting_return"
    UNDER_ANALYSIS = "under_analysis"
    DECIDED = "decided"
    CAPA_IN_PROGRESS = "capa_in_progress"
    CLOSED = "closed"
    CANCELLED = "cancelled"
