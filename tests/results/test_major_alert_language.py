"""The major-complaint alert is written in the emergency group's language (``major_alert.*`` of
``results/store_locale``; English by default; the station's and the service's settings are
tested with them): every category in both languages, the complaint's number
and the category's code kept in the subject (mail filters match them), no English word of the
alert's catalogue entries in the Chinese one, English as it was, and the stage clock finding the
alert in either language."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache

import pytest
from catalogue_leaks import PLACEHOLDER, leaks
from sqlalchemy.orm import Session, sessionmaker
from store_builders import T0, form

from results import major
from results.errors import ValidationError
from results.major.registration import ALERT_PREFIX, alert_tags
from results.models import Complaint, Symptom
from results.notifications import LogChannel
from results.reports.labels import catalogue
from results.store_words import store_messages

AT = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
ADDRESSES = ["qa.manager@plant.example"]


def _complaint() -> Complaint:
    return Complaint(
        number="CC-2026-0042",
        customer="Acme Scanners Ltd",
        product_model="PB-1S2P-18650-5200",
        defect_qty=3,
        shipped_qty=500,
        stock_on_hand_qty=120,
        customer_demands="8D report within 5 days",
    )


@cache
def english_pieces() -> dict[str, list[str]]:
    """Key -> the English words of its template (the literal pieces between placeholders with a
    word of three letters or more), taken from the catalogue; a piece the Chinese translation
    keeps as it is (``UTC``) is not one (a template left English is: all of it is kept)."""
    en, zh = store_messages("en"), store_messages("zh_CN")
    pieces: dict[str, list[str]] = {}
    for key in (k for k in en if k.startswith(ALERT_PREFIX)):
        literal = [p.strip(" .,:;()[]") for p in PLACEHOLDER.split(en[key])]
        translated = zh[key] != en[key]
        kept = [
            p for p in literal if re.search(r"[A-Za-z]{3}", p) and not (translated and p in zh[key])
        ]
        if kept:
            pieces[key] = kept
    return pieces


def english_left(text: str) -> dict[str, str]:
    return {
        key: piece
        for key, pieces in english_pieces().items()
        for piece in pieces
        if re.search(rf"(?<!\w){re.escape(piece)}(?!\w)", text)
    }


@pytest.mark.parametrize("category", list(major.MajorCategory))
def test_the_english_alert_is_worded_as_before(category: major.MajorCategory) -> None:
    subject, body = major.alert_text(_complaint(), category, AT)
    assert subject == f"[MAJOR COMPLAINT] CC-2026-0042 {category.value} - Acme Scanners Ltd"
    assert body == "\n".join(
        [
            "Major complaint CC-2026-0042 escalated at 2026-03-02T08:30:00+00:00 (UTC).",
            f"Category: {category.value}; customer: Acme Scanners Ltd",
            "Product: PB-1S2P-18650-5200; defective 3 of 500 shipped; stock on hand: 120",
            "Customer demands: 8D report within 5 days",
            "",
            "Freeze stock on hand and hold production now; the emergency meeting follows.",
        ]
    )
    assert set(english_left(subject + "\n" + body)) == set(english_pieces())


@pytest.mark.parametrize("category", list(major.MajorCategory))
def test_the_chinese_alert_has_no_english_word_of_its_catalogue(
    category: major.MajorCategory,
) -> None:
    subject, body = major.alert_text(_complaint(), category, AT, "zh_CN")
    assert subject.startswith(store_messages("zh_CN")[ALERT_PREFIX + "tag"] + " ")
    assert f" CC-2026-0042 {category.value} - " in subject  # what mail filters match
    assert catalogue("zh_CN").enum("major_category", category.value) in body
    assert "CC-2026-0042" in body and "120" in body and "8D report within 5 days" in body
    text = subject + "\n" + body
    assert english_left(text) == {}, text
    assert leaks(text.replace("8D report within 5 days", "")) == {}, text


def test_every_alert_language_has_a_tag_of_its_own() -> None:
    assert major.alert_languages() == ("en", "zh_CN")
    assert len(set(alert_tags())) == len(major.alert_languages())


def test_the_group_s_language_picks_the_alert_s_and_the_clock_finds_it(
    sessions: sessionmaker[Session],
) -> None:
    channel = LogChannel()
    group = major.EmergencyGroup.of(ADDRESSES, "zh_CN")
    with sessions.begin() as session:
        complaint, record = major.register_major_complaint(
            session,
            form(symptom=Symptom.LEAKAGE, severity=None),
            actor="li.na",
            group=group,
            channel=channel,
            now=T0,
        )
        assert record is not None
        stages = {d.stage: d for d in major.deadlines(session, record)}
        number = complaint.number
    [alert] = channel.sent
    assert alert.subject.startswith(f"[重大客诉] {number} leakage - ")
    assert catalogue("zh_CN").enum("major_category", "leakage") in alert.body
    assert english_left(alert.subject + alert.body) == {}
    assert stages[major.Stage.NOTIFIED].done_at is not None  # the stage clock knows the alert


def test_the_group_is_english_unless_told_otherwise() -> None:
    assert major.EmergencyGroup.of(ADDRESSES).language == "en"


def test_a_language_the_alert_is_not_written_in_is_refused_by_its_setting() -> None:
    with pytest.raises(ValidationError) as refused:
        major.EmergencyGroup.of(ADDRESSES, "fr")
    assert refused.value.field == "emergency_group.language"
    assert "fr" in str(refused.value) and "zh_CN" in str(refused.value)
