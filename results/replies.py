"""Customer reply letters: drafted from the analysis, checked, sent, and followed up.

The draft follows the manual's five handling steps in order: apologise and reassure, restate the
problem, empathise, compensate where due, follow up. Its content comes from the records: each
returned unit's findings, test results and disposition (``reply_findings``: one line per unit or
per group of units with the same outcome, never one disposition for all), the complaint form,
the compensation the company approved; so the letter says what the report says, and a sentence
that tests passed appears only where every recorded test passed. A person may rewrite the draft;
whatever the final text, ``send_reply`` and ``export_reply`` refuse it while ``reply_rules`` finds a
forbidden phrase or a promise nobody approved. The follow-up date is scheduled with the draft
and tracked until someone records that the customer was contacted.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from procedures.diagnosis.rules import OUTCOMES
from results.errors import InvalidTransition, NotFound, ResultsError, ValidationError
from results.manual_models import ApprovedPromise, CustomerReply
from results.models import Complaint
from results.notifications import Notification, NotificationChannel
from results.readback import load_complaint
from results.record_fields import audit_row
from results.reply_findings import UnitResult, grouped, units_of
from results.reply_rules import ApprovedTerms, ReplyIssue, check_text
from results.reports.document import Block, Items, Paragraph, Section
from results.reports.labels import Catalogue, catalogue
from results.reports.names import measurement_label as record_measurement_label
from results.reports.recorded import said
from results.reports.text import block_lines

LANGUAGES = ("en", "zh_CN")
LOCALE_DIR = Path(__file__).with_name("replies_locale")
DEFAULT_FOLLOW_UP_DAYS = 7
STANDARD_ADVICE = ("stable_charger", "correct_storage")
"""The manual's standing advice (a stable charger, correct storage), in every letter."""
_ZH_CURRENCY = {"CNY": "人民币{amount}元", "USD": "{amount}美元", "EUR": "{amount}欧元"}


class ReplyStatus(enum.StrEnum):
    DRAFT = "draft"
    SENT = "sent"


class ReplyRefused(ResultsError):
    """The reply breaks the manual's rules; ``issues`` names each sentence and why."""

    def __init__(self, reply_id: int, issues: list[ReplyIssue]) -> None:
        self.issues = issues
        listing = "; ".join(str(i) for i in issues)
        super().__init__(f"reply {reply_id} refused ({len(issues)} problem(s)): {listing}")


@cache
def messages(language: str) -> dict[str, str]:
    if language not in LANGUAGES:
        raise ValidationError("language", f"{language!r} is not supported", f"use {LANGUAGES}")
    data: dict[str, str] = json.loads((LOCALE_DIR / f"{language}.json").read_text("utf-8"))
    return data


@dataclass(frozen=True)
class ReplyFacts:
    number: str
    customer: str
    product: str
    symptom: str
    defect_qty: int
    shipped_qty: int
    units: tuple[UnitResult, ...]
    """Each returned unit's outcome as recorded: the letter states it unit by unit (or group by
    group of units with the same outcome), never one disposition for all."""
    compensation: tuple[tuple[str, float], ...]
    follow_up: date
    advice: tuple[str, ...] = ()
    """Advice recorded outside the units' runs (none today); the units carry their own."""


def _money(currency: str, amount: float, language: str) -> str:
    text = f"{amount:.2f}"
    if language == "zh_CN" and currency in _ZH_CURRENCY:
        return _ZH_CURRENCY[currency].format(amount=text)
    return f"{currency} {text}"


def _follow_up(day: date, language: str) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if language == "zh_CN" else day.isoformat()


def measurement_label(name: str, labels: Catalogue) -> str:
    """A measurement's name as the letter says it: the report's label in ``labels``' language
    (``results.reports.names``), the one catalogue of measurement names, so the letter and the
    report it summarises name each test alike (a name it lacks shows as recorded)."""
    return record_measurement_label(labels, name)


def _names(names: tuple[str, ...], m: dict[str, str], labels: Catalogue) -> str:
    return m["list_sep"].join(measurement_label(n, labels) for n in names)


def tests_summary(unit: UnitResult, m: dict[str, str], labels: Catalogue) -> str:
    """What the unit's recorded verdicts say, in ``m``'s language (``labels``: the report
    catalogue of the same language, for measurement and verdict names). "Passed" is said only
    of a unit whose every test passed; everything else is named as failed, close to the limit,
    not tested, or not completed."""
    if not unit.tested:
        return m["tests.none"]
    if unit.all_passed:
        if unit.marginal:
            return m["tests.marginal_rest_passed"].format(names=_names(unit.marginal, m, labels))
        return m["tests.all_passed"]
    parts = []
    for key, names in (
        ("tests.failed", unit.failed),
        ("tests.marginal", unit.marginal),
        ("tests.not_tested", unit.not_tested),
        ("tests.errors", unit.errors),
    ):
        if names:
            parts.append(m[key].format(names=_names(names, m, labels)))
    if unit.stopped:
        parts.append(m["tests.stopped"])
    if not parts:  # a failing verdict no measurement explains: say the verdict itself
        parts.append(m["tests.verdict"].format(verdict=labels.enum("verdict", unit.verdict)))
    return m["part_sep"].join(parts)


def _finding(unit: UnitResult, m: dict[str, str]) -> str:
    """The catalogue's wording of each recorded finding; a code the catalogue lacks shows as
    itself (a reviewer rewrites it) rather than being dropped."""
    if not unit.findings:
        return m["finding.none"]
    return m["part_sep"].join(m.get(f"finding.{code}", code) for code in unit.findings)


def _handling(unit: UnitResult, m: dict[str, str], labels: Catalogue) -> str:
    if not unit.disposition:
        return m["handling.none"]
    key = "handling.confirmed" if unit.confirmed else "handling.proposed"
    return m[key].format(disposition=labels.enum("disposition", unit.disposition))


def unit_lines(facts: ReplyFacts, language: str) -> list[str]:
    """One item per group of units with the same recorded outcome, in serial order."""
    m = messages(language)
    labels = catalogue(language)
    lines = []
    for serials, unit in grouped(facts.units):
        units = m["units.one" if len(serials) == 1 else "units.many"].format(
            serials=m["list_sep"].join(serials)
        )
        lines.append(
            m["unit_line"].format(
                units=units,
                finding=_finding(unit, m),
                tests=tests_summary(unit, m, labels),
                handling=_handling(unit, m, labels),
            )
        )
    return lines


@cache
def _advice_keys() -> dict[str, str]:
    """Advice text as the rules and procedures record it (English) -> catalogue key."""
    known = {text: key for key, text in messages("en").items() if key.startswith("advice.")}
    known |= {outcome.advice: f"advice.cause.{code}" for code, outcome in OUTCOMES.items()}
    return known


def _advice(facts: ReplyFacts, m: dict[str, str], language: str) -> list[str]:
    """Each unit's advice (its findings' first, then what its runs recorded), then the manual's
    standing advice, each once, in ``m``'s language.

    Recorded advice is English text; each is found by its text (the catalogue's or the rules')
    and replaced by the same entry of the letter's language; one the letter catalogue does not
    hold is read back to the procedures' catalogue (``procedures.phrases``), and one neither
    knows is kept as written (a reviewer translates it) rather than silently dropped.
    """
    keys = _advice_keys()
    advice: list[str] = []
    for unit in facts.units:
        advice += [m[f"advice.cause.{c}"] for c in unit.findings if f"advice.cause.{c}" in m]
        for text in unit.advice:
            key = keys.get(text)
            advice.append(m[key] if key is not None else said(text, language))
    for text in facts.advice:
        key = keys.get(text)
        advice.append(m[key] if key is not None else said(text, language))
    advice += [m[f"advice.{code}"] for code in STANDARD_ADVICE]
    return list(dict.fromkeys(advice))


def findings_section(facts: ReplyFacts, language: str) -> Section:
    """What the analysis found, unit by unit, as a document section: composed once, it reads
    the same in the letter (``results.reports.text``) as in an HTML or PDF page. "Every test
    passed" is said only when every unit's every test passed with no marginal result."""
    m = messages(language)
    if not any(u.tested for u in facts.units):
        return Section("findings", (Paragraph((m["no_finding"],)),), "reply")
    parts: list[Block] = [
        Paragraph((m["findings_intro"],)),
        Items(tuple(unit_lines(facts, language))),
    ]
    if all(u.all_passed and not u.marginal for u in facts.units):
        parts.append(Paragraph((m["summary.all_passed"],), "summary"))
    return Section("findings", tuple(parts), "reply")


def advice_section(facts: ReplyFacts, language: str) -> Section:
    """The advice (``_advice``) under its introduction, as a document section."""
    m = messages(language)
    return Section(
        "advice",
        (Paragraph((m["advice_intro"],)), Items(tuple(_advice(facts, m, language)))),
        "reply",
    )


def draft(facts: ReplyFacts, language: str) -> str:
    """The letter text; every number, date, finding, test result and disposition in it comes
    from ``facts``, every sentence from the catalogue of ``language``."""
    m = messages(language)
    labels = catalogue(language)
    lines = [m["greeting"].format(customer=facts.customer), ""]
    lines.append(m["apologise"].format(product=facts.product, number=facts.number))
    lines.append(
        m["restate"].format(
            symptom=labels.enum("symptom", facts.symptom),
            defect=facts.defect_qty,
            shipped=facts.shipped_qty,
        )
    )
    lines.append(m["empathise"])
    lines += block_lines(findings_section(facts, language))
    lines += block_lines(advice_section(facts, language))
    if facts.compensation:
        offer = ", ".join(_money(c, a, language) for c, a in facts.compensation)
        lines.append(m["compensate"].format(compensation=offer))
    lines.append(m["follow_up"].format(follow_up=_follow_up(facts.follow_up, language)))
    lines.extend(["", m["closing"]])
    return "\n".join(lines)


def approved_terms(session: Session, complaint_id: int) -> ApprovedTerms:
    rows = session.scalars(
        select(ApprovedPromise).where(ApprovedPromise.complaint_id == complaint_id)
    ).all()
    amounts = {(r.currency or "", r.amount) for r in rows if r.kind == "amount" and r.amount}
    dates = {r.on_date for r in rows if r.kind == "date" and r.on_date}
    days = {r.days for r in rows if r.kind == "days" and r.days}
    offers = {r.note for r in rows if r.kind == "offer" and r.note}
    return ApprovedTerms(frozenset(amounts), frozenset(dates), frozenset(days), frozenset(offers))


def _complaint(session: Session, complaint_id: int) -> Complaint:
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound("complaint", complaint_id)
    return complaint


def facts_from_store(session: Session, complaint_id: int, follow_up: date) -> ReplyFacts:
    """The facts of a complaint as recorded: each unit's outcome, the approved amounts."""
    complaint = load_complaint(session, complaint_id)
    terms = approved_terms(session, complaint_id)
    return ReplyFacts(
        number=complaint.number,
        customer=complaint.customer,
        product=complaint.product_model,
        symptom=complaint.symptom,
        defect_qty=complaint.defect_qty,
        shipped_qty=complaint.shipped_qty,
        units=units_of(complaint),
        compensation=tuple(sorted(terms.amounts)),
        follow_up=follow_up,
    )


def approve_promise(
    session: Session,
    complaint_id: int,
    *,
    actor: str,
    amount: float | None = None,
    currency: str | None = None,
    on_date: date | None = None,
    days: int | None = None,
    offer: str | None = None,
    note: str = "",
) -> ApprovedPromise:
    """Record one approved term (an amount with its currency, a date, a day window, or an offer
    in kind such as a free replacement: the manual's settlement ways need no amount)."""
    _complaint(session, complaint_id)
    given = [x is not None for x in (amount, on_date, days, offer)]
    if sum(given) != 1:
        raise ValidationError(
            "promise", "needs exactly one term", "give amount, on_date, days or offer"
        )
    kind = ("amount", "date", "days", "offer")[given.index(True)]
    if kind == "offer":
        if offer is None or not offer.strip():
            raise ValidationError("offer", "is empty", "say what is offered, e.g. free replacement")
        note = offer.strip()
    if kind == "amount" and (amount is None or amount <= 0 or not currency):
        raise ValidationError(
            "amount", f"{amount!r} {currency!r}", "give a positive amount and ISO currency"
        )
    if kind == "days" and (days is None or days < 1):
        raise ValidationError("days", f"{days!r}", "give a whole number of days, 1 or more")
    row = ApprovedPromise(
        complaint_id=complaint_id,
        kind=kind,
        amount=amount,
        currency=currency.upper() if currency else None,
        on_date=on_date,
        days=days,
        note=note,
        approved_by=actor,
        approved_at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    audit_row(session, actor, "reply.promise_approved", row)
    return row


def create_reply(
    session: Session,
    complaint_id: int,
    *,
    language: str,
    actor: str,
    follow_up_due: date | None = None,
    body: str | None = None,
) -> CustomerReply:
    """A draft reply (drafted from the records unless ``body`` is given) with its follow-up date."""
    messages(language)
    due = follow_up_due or (datetime.now(UTC).date() + timedelta(days=DEFAULT_FOLLOW_UP_DAYS))
    text = (
        body if body is not None else draft(facts_from_store(session, complaint_id, due), language)
    )
    if not text.strip():
        raise ValidationError("body", "is empty", "write the letter or let it be drafted")
    row = CustomerReply(
        complaint_id=complaint_id,
        language=language,
        body=text,
        status=ReplyStatus.DRAFT.value,
        drafted_at=datetime.now(UTC),
        drafted_by=actor,
        follow_up_due=due,
    )
    session.add(row)
    session.flush()
    audit_row(session, actor, "reply.drafted", row)
    return row


def get_reply(session: Session, reply_id: int) -> CustomerReply:
    reply = session.get(CustomerReply, reply_id)
    if reply is None:
        raise NotFound("customer reply", reply_id)
    return reply


def revise_reply(session: Session, reply_id: int, body: str, *, actor: str) -> CustomerReply:
    reply = get_reply(session, reply_id)
    if reply.status != ReplyStatus.DRAFT.value:
        raise InvalidTransition(f"reply {reply_id}", reply.status, "draft", (), "already sent")
    reply.body = body
    session.flush()
    audit_row(session, actor, "reply.revised", reply)
    return reply


def check_reply(session: Session, reply_id: int) -> list[ReplyIssue]:
    """The issues of the current text; the scheduled follow-up date counts as approved."""
    reply = get_reply(session, reply_id)
    terms = approved_terms(session, reply.complaint_id)
    terms = ApprovedTerms(
        terms.amounts, terms.dates | {reply.follow_up_due}, terms.days, terms.offers
    )
    return check_text(reply.body, terms, language=reply.language)


def export_reply(session: Session, reply_id: int) -> str:
    """The letter's text for printing or pasting, refused while it breaks a rule."""
    issues = check_reply(session, reply_id)
    if issues:
        raise ReplyRefused(reply_id, issues)
    return get_reply(session, reply_id).body


def send_reply(
    session: Session,
    reply_id: int,
    *,
    channel: NotificationChannel,
    address: str,
    actor: str,
) -> CustomerReply:
    reply = get_reply(session, reply_id)
    if reply.status != ReplyStatus.DRAFT.value:
        raise InvalidTransition(f"reply {reply_id}", reply.status, "sent", (), "already sent")
    body = export_reply(session, reply_id)
    complaint = _complaint(session, reply.complaint_id)
    subject = (
        "投诉回复 " if reply.language == "zh_CN" else "Reply to complaint "
    ) + complaint.number
    delivery = channel.send(Notification((address,), subject, body))
    if not delivery.delivered:
        raise ValidationError("delivery", delivery.error, "fix the channel and send again")
    reply.status = ReplyStatus.SENT.value
    reply.sent_at = delivery.sent_at
    reply.sent_by = actor
    session.flush()
    audit_row(session, actor, "reply.sent", reply)
    return reply


def record_follow_up(
    session: Session, reply_id: int, *, note: str, actor: str, at: datetime | None = None
) -> CustomerReply:
    reply = get_reply(session, reply_id)
    if reply.status != ReplyStatus.SENT.value:
        raise InvalidTransition(f"reply {reply_id}", reply.status, "followed up", (), "send first")
    if not note.strip():
        raise ValidationError("note", "is empty", "say what the customer answered")
    reply.followed_up_at = at or datetime.now(UTC)
    reply.follow_up_note = note.strip()
    session.flush()
    audit_row(session, actor, "reply.followed_up", reply)
    return reply


@dataclass(frozen=True)
class DueFollowUp:
    complaint_number: str
    reply_id: int
    due: date
    days_late: int


def overdue_follow_ups(session: Session, today: date) -> list[DueFollowUp]:
    """Sent replies whose follow-up date has passed with no follow-up recorded, most late first."""
    rows = session.execute(
        select(CustomerReply, Complaint.number)
        .join(Complaint, Complaint.id == CustomerReply.complaint_id)
        .where(
            CustomerReply.status == ReplyStatus.SENT.value,
            CustomerReply.followed_up_at.is_(None),
            CustomerReply.follow_up_due < today,
        )
    ).all()
    due = [DueFollowUp(n, r.id, r.follow_up_due, (today - r.follow_up_due).days) for r, n in rows]
    return sorted(due, key=lambda d: (-d.days_late, d.reply_id))
