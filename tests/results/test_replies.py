from __future__ import annotations

import dataclasses
import re
from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker
from store_builders import T0, register, run_info

from procedures.diagnosis.rules import OUTCOMES
from procedures.records import (
    Conclusion,
    LimitsRecord,
    MeasurementRecord,
    RunOutcome,
    StepRecord,
    Verdict,
)
from results import replies
from results.errors import ValidationError
from results.notifications import LogChannel
from results.phrase_rules import PHRASE_RULES
from results.recorder import DatabaseRecorder
from results.reply_findings import UnitResult
from results.reply_rules import ApprovedTerms, check_text, explanations
from results.reports.labels import catalogue
from results.reports.names import measurement_label

FOLLOW_UP = date(2026, 12, 1)
FACTS = replies.ReplyFacts(
    number="CC-2026-0001",
    customer="Acme Scanners Ltd",
    product="PB-1S2P-18650-5200",
    symptom="no_power_on",
    defect_qty=3,
    shipped_qty=500,
    units=(
        UnitResult(
            "SN-0001",
            "pass",
            findings=("over_discharge_in_storage",),
            disposition="recharge_and_return",
            advice=("Use the original charger or a stable charger of the same rating.",),
        ),
    ),
    compensation=(("USD", 500.0),),
    follow_up=FOLLOW_UP,
)
APPROVED = ApprovedTerms(frozenset({("USD", 500.0)}), frozenset({FOLLOW_UP}))

FORBIDDEN_EN = [
    ("This is company policy, I can do nothing.", "company_policy"),
    ("That is impossible.", "impossible"),
    ("That is not our business.", "not_our_business"),
    ("I will let you know some other day.", "some_other_day"),
    ("Hmm... I'm not really sure why it failed.", "not_sure"),
    ("It's your own fault.", "your_fault"),
]
FORBIDDEN_ZH = [
    ("这是公司的规定，我也没办法。", "company_policy"),
    ("这是不可能的。", "impossible"),
    ("这不关我们的事。", "not_our_business"),
    ("改天再通知您。", "some_other_day"),
    ("嗯…我不太清楚为什么会坏。", "not_sure"),
    ("这是您自己的问题。", "your_fault"),
]


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_a_drafted_letter_has_the_five_steps_and_passes_the_checker(language: str) -> None:
    text = replies.draft(FACTS, language)
    m = replies.messages(language)
    assert text.index(m["empathise"]) > text.index("CC-2026-0001")  # apologise, restate, empathise
    assert ("USD 500.00" if language == "en" else "500.00美元") in text  # compensate
    assert ("2026-12-01" if language == "en" else "2026年12月1日") in text  # follow up
    assert m["advice.correct_storage"] in text and m["advice.stable_charger"] in text
    assert check_text(text, APPROVED) == []


@pytest.mark.parametrize(("phrase", "rule"), FORBIDDEN_EN + FORBIDDEN_ZH)
def test_each_forbidden_phrase_is_flagged_with_its_sentence(phrase: str, rule: str) -> None:
    clean = replies.draft(FACTS, "zh_CN" if phrase[0] > "\u3000" else "en")
    issues = check_text(clean + "\n" + phrase, APPROVED)
    assert [(i.rule, i.sentence) for i in issues] == [(rule, phrase)]
    assert "forbidden" in issues[0].why


@pytest.mark.parametrize(
    ("sentence", "rule"),
    [
        ("We will refund USD 800.", "unapproved_amount"),
        ("We will refund $500 and RMB 200.", "unapproved_amount"),
        ("我们将赔偿人民币1,000元。", "unapproved_amount"),
        ("New packs arrive on 5 December 2026.", "unapproved_date"),
        ("新电池将于12月5日到达。", "unapproved_date"),
        ("We will replace them within 3 working days.", "unapproved_deadline"),
        ("我们将在3个工作日内更换。", "unapproved_deadline"),
    ],
)
def test_unapproved_promises_are_flagged(sentence: str, rule: str) -> None:
    issues = check_text(sentence, APPROVED)
    assert rule in [i.rule for i in issues] and issues[0].sentence == sentence


def test_reply_with_an_unapproved_amount_is_refused_then_sent_once_approved(
    sessions: sessionmaker[Session],
) -> None:
    complaint_id, number, _ = register(sessions)
    channel = LogChannel()
    with sessions.begin() as session:
        reply = replies.create_reply(
            session, complaint_id, language="en", actor="li", follow_up_due=FOLLOW_UP
        )
        assert replies.check_reply(session, reply.id) == []
        replies.revise_reply(
            session,
            reply.id,
            reply.body + "\nAs a gesture we add USD 300.00 to your account.",
            actor="li",
        )
        with pytest.raises(replies.ReplyRefused, match=r"USD 300\.00") as refused:
            replies.send_reply(
                session, reply.id, channel=channel, address="buyer@acme.example", actor="li"
            )
        assert refused.value.issues[0].rule == "unapproved_amount"
        with pytest.raises(replies.ReplyRefused):
            replies.export_reply(session, reply.id)
        assert channel.sent == []
        replies.approve_promise(session, complaint_id, amount=300.0, currency="usd", actor="boss")
        replies.send_reply(
            session, reply.id, channel=channel, address="buyer@acme.example", actor="li"
        )
    [mail] = channel.sent
    assert mail.subject == f"Reply to complaint {number}" and "USD 300.00" in mail.body


def test_follow_ups_are_tracked_until_recorded(sessions: sessionmaker[Session]) -> None:
    complaint_id, number, _ = register(sessions)
    channel = LogChannel()
    with sessions.begin() as session:
        replies.approve_promise(session, complaint_id, amount=50.0, currency="CNY", actor="boss")
        reply = replies.create_reply(
            session, complaint_id, language="zh_CN", actor="li", follow_up_due=FOLLOW_UP
        )
        assert "人民币50.00元" in reply.body and "2026年12月1日" in reply.body
        replies.send_reply(session, reply.id, channel=channel, address="b@acme.example", actor="li")
    with sessions.begin() as session:
        assert replies.overdue_follow_ups(session, FOLLOW_UP) == []
        [late] = replies.overdue_follow_ups(session, FOLLOW_UP + timedelta(days=3))
        assert (late.complaint_number, late.reply_id, late.days_late) == (number, reply.id, 3)
        replies.record_follow_up(session, reply.id, note="customer satisfied", actor="li")
        assert replies.overdue_follow_ups(session, FOLLOW_UP + timedelta(days=3)) == []


def test_promise_approval_needs_exactly_one_term(sessions: sessionmaker[Session]) -> None:
    complaint_id, _, _ = register(sessions)
    with sessions.begin() as session:
        with pytest.raises(ValidationError):
            replies.approve_promise(session, complaint_id, actor="b")
        with pytest.raises(ValidationError):
            replies.approve_promise(
                session, complaint_id, amount=5.0, days=3, currency="USD", actor="b"
            )
        with pytest.raises(ValidationError, match="language"):
            replies.create_reply(session, complaint_id, language="fr", actor="b")


def _record_diagnosis(
    sessions: sessionmaker[Session], complaint_id: int, number: str, unit_id: int, root_cause: str
) -> None:
    """A finished run whose conclusions are exactly what the diagnosis rules emit for the cause."""
    recorder = DatabaseRecorder(sessions, unit_id=unit_id, complaint_id=complaint_id)
    recorder.run_started(run_info(complaint_number=number))
    recorder.step_finished(
        StepRecord(
            "disassembly",
            0,
            T0,
            T0 + timedelta(minutes=1),
            Verdict.FAIL,
            [
                MeasurementRecord(
                    "cell1_voltage",
                    0.96,
                    "V",
                    LimitsRecord(low=1.5),
                    Verdict.FAIL,
                    "0.96 < 1.5 V",
                    T0,
                )
            ],
        )
    )
    outcome = OUTCOMES[root_cause]
    evidence = ("disassembly/cell1_voltage",)
    conclusions = [
        Conclusion("root_cause", root_cause, "the rule's explanation", evidence),
        Conclusion("symptom", outcome.symptom, "", evidence),
        Conclusion("disposition", outcome.disposition, "", evidence),
        Conclusion("cause_category", outcome.cause_category, "", evidence),
        Conclusion("advice", outcome.advice, "recommendation to the customer", evidence),
        Conclusion("advice", CHARGER_ADVICE, "recommendation to the customer", evidence),
    ]
    recorder.run_finished(RunOutcome(Verdict.FAIL, T0 + timedelta(hours=3), "", tuple(conclusions)))


CHARGER_ADVICE = "Use the original charger or a stable charger of the same rating."


def test_a_chinese_letter_carries_the_run_specific_advice_of_a_deep_discharge(
    sessions: sessionmaker[Session],
) -> None:
    complaint_id, number, unit_id = register(sessions)
    _record_diagnosis(sessions, complaint_id, number, unit_id, "cell_deeply_discharged")
    with sessions.begin() as session:
        zh = replies.create_reply(
            session, complaint_id, language="zh_CN", actor="li", follow_up_due=FOLLOW_UP
        )
        en = replies.create_reply(
            session, complaint_id, language="en", actor="li", follow_up_due=FOLLOW_UP
        )
        assert replies.check_reply(session, zh.id) == []
        assert replies.check_reply(session, en.id) == []
        zh_body, en_body = zh.body, en.body
    assert "不得再次充电" in zh_body and "请勿在电量耗尽" in zh_body  # the run's own advice
    assert "安全补电电压以下" in zh_body  # the finding, not the code
    assert "报废" in zh_body  # disposition "scrap"
    assert "cell_deeply_discharged" not in zh_body
    letter = zh_body.split("\n", 1)[1].replace("PB-1S2P-18650-5200", "").replace("SN-0001", "")
    # the failed measurement, named in Chinese as the report names it
    assert measurement_label(catalogue("zh_CN"), "cell1_voltage") == "电芯 1 电压"
    assert "电芯 1 电压" in letter
    assert not re.search(r"[A-Za-z]{4,}", letter)  # no English left in the Chinese letter
    assert zh_body.count(replies.messages("zh_CN")["advice.stable_charger"]) == 1
    assert OUTCOMES["cell_deeply_discharged"].advice in en_body
    assert en_body.count(CHARGER_ADVICE) == 1


@pytest.mark.parametrize("language", ["en", "zh_CN"])
@pytest.mark.parametrize("root_cause", sorted(OUTCOMES))
def test_every_root_cause_has_a_finding_and_an_advice_that_pass_the_checker(
    root_cause: str, language: str
) -> None:
    m = replies.messages(language)
    assert m[f"finding.{root_cause}"] and m[f"advice.cause.{root_cause}"]
    # the rules' English advice is recognised, so the letter carries the catalogue's entry
    assert m[replies._advice_keys()[OUTCOMES[root_cause].advice]] == m[f"advice.cause.{root_cause}"]
    unit = dataclasses.replace(
        FACTS.units[0], findings=(root_cause,), advice=(OUTCOMES[root_cause].advice,)
    )
    facts = dataclasses.replace(FACTS, units=(unit,))
    text = replies.draft(facts, language)
    assert m[f"advice.cause.{root_cause}"] in text and m[f"finding.{root_cause}"] in text
    assert text.count(m[f"advice.cause.{root_cause}"]) == 1
    assert check_text(text, APPROVED) == []
    assert f"disposition.{OUTCOMES[root_cause].disposition}" in catalogue(language).messages


def test_advice_the_catalogue_does_not_know_is_kept_not_dropped() -> None:
    unit = dataclasses.replace(FACTS.units[0], advice=("Brand-new rule advice.",))
    facts = dataclasses.replace(FACTS, units=(unit,))
    assert "- Brand-new rule advice." in replies.draft(facts, "zh_CN")


MANUAL_ITEMS = {r.code: r.item for r in PHRASE_RULES}


@pytest.mark.parametrize(("phrase", "rule"), FORBIDDEN_ZH)
def test_each_forbidden_phrase_is_explained_in_chinese_for_a_chinese_letter(
    phrase: str, rule: str
) -> None:
    clean = replies.draft(FACTS, "zh_CN")
    [issue] = check_text(clean + "\n" + phrase, APPROVED, language="zh_CN")
    assert (issue.rule, issue.sentence) == (rule, phrase)
    assert issue.why == explanations("zh_CN")[f"rule.{rule}"]
    assert issue.why.startswith("禁用语")
    assert not re.search(r"[A-Za-z]", issue.why)  # no English left in it
    if MANUAL_ITEMS[rule] is not None:
        assert f"禁用语第{MANUAL_ITEMS[rule]}条（手册：“" in issue.why
    else:
        assert "（相关，" in issue.why  # the added relatives say they are not the manual's own
    english = check_text(phrase, APPROVED, language="en")[0].why
    assert english == explanations("en")[f"rule.{rule}"] and english != issue.why


@pytest.mark.parametrize(
    ("sentence", "words"),
    [
        ("我们将赔偿人民币1,000元。", ["承诺了CNY 1000.00", "已批准：USD 500.00"]),
        ("新电池将于12月5日到达。", ["承诺了日期--12-05", "已批准：2026-12-01"]),
        ("我们将在3个工作日内更换。", ["承诺在3天内处理", "已批准：无"]),
    ],
)
def test_unapproved_promises_are_explained_in_chinese(sentence: str, words: list[str]) -> None:
    [issue] = check_text(sentence, APPROVED, language="zh_CN")
    for word in words:
        assert word in issue.why


def test_every_catalogue_explains_every_rule_and_unknown_languages_are_refused() -> None:
    for language in replies.LANGUAGES:
        assert set(explanations(language)) == set(explanations("en"))
    with pytest.raises(ValidationError, match="fr"):
        check_text("text", APPROVED, language="fr")


def test_check_reply_explains_in_the_letters_language(sessions: sessionmaker[Session]) -> None:
    complaint_id, _, _ = register(sessions)
    with sessions.begin() as session:
        reply = replies.create_reply(
            session,
            complaint_id,
            language="zh_CN",
            actor="li",
            follow_up_due=FOLLOW_UP,
            body="很抱歉给您带来不便。这不关我们的事。",
        )
        [issue] = replies.check_reply(session, reply.id)
        assert issue.why == explanations("zh_CN")["rule.not_our_business"]
