"""The reply checker's test set: the manual's ten forbidden phrases (records-and-reports.md 0.2)
in Chinese and English, each as the manual words it and in variants (punctuation, full-width
forms, spacing, small wording changes), plus clean letters that must pass."""

from __future__ import annotations

from datetime import date

import pytest

from results.phrase_rules import PHRASE_RULES, compact_form, find_phrases, word_form
from results.reply_rules import ApprovedTerms, check_text

PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "child_knows": {
        "zh": ("这种问题连小孩子都知道!", "这种问题，连小孩都懂。", "这个连 小朋友 也明白！"),
        "en": (
            "Even a child knows this!",
            "Any kid would know that.",
            "Even a 5-year-old understands this.",
        ),
    },
    "price_quality": {
        "zh": ("你要知道,一分钱,一分货!", "一分价钱，一分货嘛。", "您要明白：便宜没好货。"),
        "en": (
            "You get what you pay for!",
            "Well, you get what you paid for.",
            "What did you expect at that price?",
        ),
    },
    "impossible": {
        "zh": ("绝对不可能有这种事发生。", "这种事情根本不会发生。", "这是不 可 能 的！"),
        "en": (
            "That absolutely cannot happen.",
            "That's impossible.",
            "This could never happen with our packs.",
        ),
    },
    "not_sure": {
        "zh": ("嗯…我不太清楚。", "我们也不是很清楚。", "嗯，这个我不知道。"),
        "en": (
            "Hmm... I'm not really sure.",
            "I am not quite sure about that.",
            "We have no idea.",
        ),
    },
    "never_said": {
        "zh": ("我绝对没说过这种话。", "我们从来没有承诺过这个。", "我可没这么说！"),
        "en": (
            "I never said that.",
            "That's not what we said.",
            "We absolutely never promised that.",
        ),
    },
    "dont_know_how": {
        "zh": ("我不懂怎么处理。", "我们也不知道该如何处理这个问题。", "这个我们处理不了。"),
        "en": (
            "I don't know how to handle this.",
            "We do not know how to deal with your case.",
            "Honestly, I have no idea how to handle it.",
        ),
    },
    "company_policy": {
        "zh": ("公司的规定就是这样,我没有办法。", "这是公司规定，我也没办法。", "我们也无能为力。"),
        "en": (
            "Company rules, nothing I can do.",
            "That is our company's policy and there is nothing we can do.",
            "Sorry, my hands are tied.",
        ),
    },
    "cant_read": {
        "zh": ("你看不懂中文吗?", "您难道看不懂说明书吗？", "你们不识字吗？"),
        "en": ("Can't you read?", "CAN’T YOU READ CHINESE?", "Did you even read the manual?"),
    },
    "some_other_day": {
        "zh": ("改天再通知你。", "改天再通知您！", "我们过几天再通知您。"),
        "en": (
            "I'll let you know some other day.",
            "We will inform you another day.",
            "We'll get back to you later.",
        ),
    },
    "not_our_business": {
        "zh": ("这不是我们的事!", "这不关我们的事。", "这件事与我们无关。"),
        "en": (
            "That's not our business!",
            "This is none of our business.",
            "That has nothing to do with us.",
        ),
    },
}

FULL_WIDTH = {
    "zh": "改天，再通知您！",
    "en": "ＴＨＡＴ＇Ｓ　ＮＯＴ　ＯＵＲ　ＰＲＯＢＬＥＭ！",
}

CLEAN = (
    "Dear customer, we are sorry for the trouble and thank you for returning the packs.",
    "We will contact you again on 2026-12-12 to make sure the matter is resolved.",
    "The tests we performed on pack DEMO-01 found no deviation from its specification.",
    "Our quality team is reviewing the evidence and knows how to handle the return.",
    "We understand how disruptive this is for you, and we share your concern.",
    "Please use the original charger and store the packs at about half charge.",
    "The other day you called our hotline; thank you for the detailed description.",
    "You can reach our hotline at any other time as well.",
    "我们理解这给您和您的客户带来的困扰，并与您一样重视此事。",
    "我们将于2026年12月12日再次与您联系，确保问题得到圆满解决。",
    "请将电池包存放在阴凉干燥处，并每三个月补充电一次。",
    "我们已修改日志记录方式，以便更清楚地追踪每个电池包。",
    "分析尚未确定原因，我们的质量团队正在审核全部证据。",
)

CASES = [
    pytest.param(rule, language, phrase, id=f"{rule}-{language}-{i}")
    for rule, by_language in PHRASES.items()
    for language, phrases in by_language.items()
    for i, phrase in enumerate(phrases)
]


def test_the_test_set_covers_all_ten_manual_items_in_both_languages() -> None:
    manual = {r.code: r.item for r in PHRASE_RULES if r.item is not None}
    assert sorted(manual.values()) == list(range(1, 11))
    assert set(PHRASES) == set(manual)
    assert all(len(p) >= 3 for by in PHRASES.values() for p in by.values())
    assert len(CASES) >= 40


@pytest.mark.parametrize(("rule", "language", "phrase"), CASES)
def test_each_forbidden_phrase_and_its_variants_are_flagged(
    rule: str, language: str, phrase: str
) -> None:
    letter_language = "zh_CN" if language == "zh" else "en"
    letter = f"{CLEAN[0]}\n{phrase}\n{CLEAN[1]}"
    approved = ApprovedTerms(dates=frozenset({date(2026, 12, 12)}))
    issues = check_text(letter, approved, language=letter_language)
    assert [(i.sentence, i.rule) for i in issues] == [(phrase, rule)]
    item = next(r.item for r in PHRASE_RULES if r.code == rule)
    why = next(i.why for i in issues if i.rule == rule)
    assert (f"phrase {item} of the manual" in why) if language == "en" else (f"第{item}条" in why)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_full_width_forms_and_spacing_do_not_hide_a_phrase(language: str) -> None:
    assert find_phrases(FULL_WIDTH[language]) == [
        "some_other_day" if language == "zh" else "not_our_business"
    ]


@pytest.mark.parametrize("sentence", CLEAN)
def test_clean_sentences_pass(sentence: str) -> None:
    assert find_phrases(sentence) == []


def test_a_chinese_phrase_in_an_english_letter_is_still_caught() -> None:
    [issue] = check_text("Dear customer,\n这不是我们的事！", ApprovedTerms(), language="en")
    assert issue.rule == "not_our_business" and issue.sentence == "这不是我们的事！"


def test_normal_forms() -> None:
    assert word_form("Can’t   you READ?!") == "can't you read"
    assert compact_form("改 天，再通知您！") == "改天再通知您"


@pytest.mark.parametrize(
    ("sentence", "rule"),
    [
        ("We will refund the packs.", "unapproved_compensation"),
        ("We will replace all seven packs free of charge.", "unapproved_compensation"),
        ("我们将免费更换全部电池包。", "unapproved_compensation"),
        ("我们会赔偿您的损失。", "unapproved_compensation"),
        ("We guarantee this will never happen again.", "unkeepable_guarantee"),
        ("我们保证此类问题绝不会再发生。", "unkeepable_guarantee"),
    ],
)
def test_offers_and_guarantees_nobody_approved_are_refused(sentence: str, rule: str) -> None:
    assert [i.rule for i in check_text(sentence, ApprovedTerms())] == [rule]


def test_an_approved_offer_allows_compensation_but_never_a_guarantee() -> None:
    approved = ApprovedTerms(offers=frozenset({"free replacement of 7 packs"}))
    assert check_text("We will replace all seven packs free of charge.", approved) == []
    assert [i.rule for i in check_text("We guarantee it.", approved)] == ["unkeepable_guarantee"]


def test_full_width_promises_are_checked_like_half_width_ones() -> None:
    approved = ApprovedTerms(amounts=frozenset({("USD", 500.0)}))
    issues = check_text("我们将赔偿ＵＳＤ　８００。", approved, language="zh_CN")
    assert [i.rule for i in issues] == ["unapproved_amount"]
    assert issues[0].sentence == "我们将赔偿ＵＳＤ　８００。"  # named as written
    assert check_text("我们将赔偿ＵＳＤ　５００。", approved) == []
