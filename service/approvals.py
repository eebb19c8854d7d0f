"""Report approval with the separation-of-duties refusal told apart from other conflicts.

``results.reports.approval`` raises one ``ApprovalError`` for every refused signature. The service
answers an author approving their own report with **403**: the request is well-formed and the
report is in a state that allows approval, but *this person* is not permitted to make it
(authorisation by identity, not a resource conflict). Signing twice stays a 409 conflict.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from results.accounts import Principal
from results.eightd_models import ReportSignature
from results.models import Report
from results.reports.approval import sign
from results.reports.errors import ApprovalError
from service.errors import Forbidden


def authors_of(session: Session, report_id: int) -> set[str]:
    report = session.get(Report, report_id)
    if report is None:
        return set()
    signed = session.scalars(
        select(ReportSignature.signer).where(
            ReportSignature.report_id == report_id, ReportSignature.meaning == "authored"
        )
    )
    return {report.created_by, *signed}


def sign_as(session: Session, report_id: int, who: Principal, meaning: str) -> ReportSignature:
    try:
        return sign(
            session, report_id, signer=who.name, printed_name=who.printed_name, meaning=meaning
        )
    except ApprovalError as exc:
        if meaning == "approved" and who.name in authors_of(session, report_id):
            raise Forbidden(str(exc)) from exc
        raise
