"""Major complaints: short circuit/fire, explosion, leakage, or a severe one from a key customer.

The manual's emergency path: raise the complaint to severe, alert the emergency group, freeze the
stock on hand and hold production (containment), hold the emergency meeting and record its
decisions, notify the supplier, and close only once the customer has accepted in writing. Its clock
runs in hours from the escalation, not in working days: a fire does not wait for Monday. The hour
limits are the plant's to set (``MajorRules``); the defaults are estimates [E], not the manual's.

The complaint keeps its ordinary workflow (``results.workflow``); ``guard_complaint_closure`` is the
one call that workflow makes before closing, so a major complaint cannot be closed around this path.

One module per job: ``registration`` (the rule, escalation), ``records`` (containment, meeting,
supplier), ``acceptance`` (the customer's letter), ``closure`` (what blocks closing, closing),
``clock`` (hour limits, overdue stages); ``ledger`` finds a record and audits each change. Callers
import from here.
"""

from results.major.acceptance import ACCEPTANCE_TYPES, attach_acceptance, link_acceptance
from results.major.clock import Deadline, MajorRules, OverdueStage, Stage, deadlines, overdue
from results.major.closure import (
    SUPPLIER_WORDS,
    close_major,
    closure_blocker_messages,
    closure_blockers,
    guard_complaint_closure,
    supplier_involved,
)
from results.major.ledger import get_major, major_for
from results.major.records import (
    Decision,
    has_containment,
    open_containment,
    record_meeting,
    record_supplier_notification,
)
from results.major.registration import (
    EmergencyGroup,
    MajorCategory,
    alert_languages,
    alert_text,
    escalate,
    major_category,
    register_major_complaint,
)

__all__ = [
    "ACCEPTANCE_TYPES",
    "SUPPLIER_WORDS",
    "Deadline",
    "Decision",
    "EmergencyGroup",
    "MajorCategory",
    "MajorRules",
    "OverdueStage",
    "Stage",
    "alert_languages",
    "alert_text",
    "attach_acceptance",
    "close_major",
    "closure_blocker_messages",
    "closure_blockers",
    "deadlines",
    "escalate",
    "get_major",
    "guard_complaint_closure",
    "has_containment",
    "link_acceptance",
    "major_category",
    "major_for",
    "open_containment",
    "overdue",
    "record_meeting",
    "record_supplier_notification",
    "register_major_complaint",
    "supplier_involved",
]
