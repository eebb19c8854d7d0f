"""A pack logged as two units without a complaint, as two benches syncing its first runs at the
same moment made it on PostgreSQL before unit creation took a lock (``results.unit_merge``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from results import audit
from results.complaints import add_returned_unit
from results.integrity import snapshot
from results.models import ReturnedUnit, UnitStatus


def log_twice(session: Session, serial: str, received_at: datetime) -> tuple[int, int]:
    """(first, second) unit of ``serial``: the first as a registration makes it, the second as
    the racing sync did, a plain insert that never saw the first."""
    first = add_returned_unit(
        session, None, serial=serial, received_at=received_at, actor="bench-1"
    )
    second = ReturnedUnit(
        complaint_id=None, serial=serial, received_at=received_at, status=UnitStatus.RECEIVED.value
    )
    session.add(second)
    session.flush()
    audit.record(
        session,
        actor="bench-2",
        action="unit.synced",
        entity_type="unit",
        entity_id=second.id,
        after=snapshot(second),
    )
    return first.id, second.id
