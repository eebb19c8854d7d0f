"""``verify`` for the documents QA signs and the calendar the SLA clocks run on.

A report version freezes its content as canonical JSON with a SHA-256 (``results.reports``); every
action on it (created, refreshed, signed, amended) is an audit event carrying that hash. So the
stored content must still hash to the row's ``content_hash``, that hash must be the last audited
one, the signatures must be exactly the audited ones, and an ``approved`` status must rest on an
audited approval. Calendar exceptions move every deadline: each row must equal its last audited
state. Triggers already refuse edits of approved reports; these checks catch someone who dropped
the triggers first.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from results.eightd_models import ReportContent, ReportSignature
from results.integrity import canonical_json, sha256_hex
from results.models import CalendarDay, Report, ReportStatus
from results.verify_report import AuditIndex, VerifyReport

_SIGNED = ("report.authored", "report.reviewed", "report.approved")


def verify_reports(session: Session, report: VerifyReport, index: AuditIndex) -> None:
    contents: dict[int, str] = {
        r.report_id: r.content_json
        for r in session.execute(select(ReportContent.report_id, ReportContent.content_json))
    }
    signatures: dict[int, Counter[tuple[str, str, str]]] = {}
    for s in session.scalars(select(ReportSignature)):
        signatures.setdefault(s.report_id, Counter())[(s.signer, s.meaning, s.content_sha256)] += 1
    seen: set[str] = set()
    for row in session.scalars(select(Report).order_by(Report.id)):
        report.reports += 1
        key = str(row.id)
        seen.add(key)
        ref = f"report id={key}"
        events = index.events.get(("report", key), [])
        if not events:
            report.add("report", ref, "report has no audit event: written behind the store's back")
            continue
        afters: list[dict[str, Any]] = [json.loads(e.after_json or "{}") for e in events]
        audited_hash = next(
            (a["content_hash"] for a in reversed(afters) if "content_hash" in a), None
        )
        if row.content_hash != audited_hash:
            report.add("report", ref, "content hash differs from the last audited one")
        content = contents.get(row.id)
        if content is None:
            report.add("report", ref, "frozen content is missing (deleted)")
        elif sha256_hex(content) != row.content_hash:
            report.add(
                "report", ref, "stored content does not match its content hash: it was edited"
            )
        audited_signatures: Counter[tuple[str, str, str]] = Counter(
            (e.actor, e.action.removeprefix("report."), a.get("content_hash", ""))
            for e, a in zip(events, afters, strict=True)
            if e.action in _SIGNED
        )
        if signatures.get(row.id, Counter()) != audited_signatures:
            report.add("report", ref, "signatures differ from the audited ones")
        approvals = [e for e in events if e.action == "report.approved"]
        approved = row.status == ReportStatus.APPROVED.value
        if approved and not approvals:
            report.add("report", ref, "marked approved without an audited approval")
        elif approvals and (not approved or row.approved_by != approvals[-1].actor):
            report.add(
                "report", ref, "approval in the audit log does not match the row's status/approver"
            )
    for entity_type, key in index.events:
        if entity_type == "report" and key not in seen:
            report.add("report", f"report id={key}", "audited report is missing (deleted)")


def verify_calendar(
    session: Session, report: VerifyReport, latest: dict[tuple[str, str], str | None]
) -> None:
    seen: set[str] = set()
    for row in session.scalars(select(CalendarDay)):
        report.calendar_days += 1
        key = row.day.isoformat()
        seen.add(key)
        ref = f"calendar_day {key}"
        after = latest.get(("calendar_day", key))
        if after is None:
            report.add("calendar", ref, "exception has no audit event: set behind the store's back")
        elif after != canonical_json({"is_workday": bool(row.is_workday), "note": row.note}):
            report.add("calendar", ref, "row differs from its last audited state")
    for (kind, key), after in latest.items():
        if kind == "calendar_day" and key not in seen and after is not None:
            report.add("calendar", f"calendar_day {key}", "audited exception is missing (deleted)")
