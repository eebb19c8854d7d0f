"""Builds what a complaint needs before it may close, through the store's own API.

Shared by the tests that close complaints: each call does one real step of the process (the
containment check, the approved report, the final unit statuses, the QA manager's approval of the
feedback form), so a test that closes a complaint still walks the path the plant walks.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from results.accounts import Role, create_user
from results.complaints import set_unit_status
from results.containment import Area, record_check
from results.feedback import approve_feedback, write_feedback
from results.models import ReturnedUnit, UnitStatus
from results.reports.approval import approve, create_report
from results.service_models import ServiceUser

QA_MANAGER = "sun.qam"


def ensure_user(session: Session, name: str, role: Role) -> str:
    if session.get(ServiceUser, name) is None:
        create_user(session, name, role=role.value, printed_name=name.title(), actor="admin")
    return name


def check_all_areas(session: Session, complaint_id: int, *, bad: int = 0) -> None:
    for area in Area:
        record_check(
            session,
            complaint_id,
            area=area,
            qty_checked=100,
            qty_bad=bad if area is Area.FINISHED_STOCK else 0,
            actor="zhao.qa",
        )


def approved_report(session: Session, complaint_id: int) -> int:
    report = create_report(session, complaint_id, locale="en", actor="zhao.qa")
    approve(session, report.id, signer="qian.qa", printed_name="Qian QA")
    return report.id


def units_final(session: Session, complaint_id: int, status: UnitStatus) -> None:
    for unit in session.scalars(
        select(ReturnedUnit).where(ReturnedUnit.complaint_id == complaint_id)
    ):
        if UnitStatus(unit.status) is not UnitStatus.DISPOSITIONED:  # the path starts there
            set_unit_status(
                session, unit.id, UnitStatus.DISPOSITIONED, actor="zhao.qa", disposition="scrap"
            )
        set_unit_status(session, unit.id, status, actor="zhao.qa", reason="replacement shipped")


def approved_feedback(session: Session, complaint_id: int, solution: str) -> None:
    write_feedback(session, complaint_id, proposed_solution=solution, actor="li.na")
    approve_feedback(session, complaint_id, actor=ensure_user(session, QA_MANAGER, Role.QA_MANAGER))


def make_closable(
    session: Session,
    complaint_id: int,
    *,
    solution: str = "replace the 3 packs; credit note on return",
    unit_status: UnitStatus = UnitStatus.RETURNED_TO_CUSTOMER,
) -> None:
    """Everything ``results.closure`` asks for, done through the store's API."""
    check_all_areas(session, complaint_id)
    approved_report(session, complaint_id)
    units_final(session, complaint_id, unit_status)
    approved_feedback(session, complaint_id, solution)
