"""What a customer reply must not say: the manual's forbidden phrases and unapproved promises.

Two checks, both sentence by sentence so each hit names the sentence to rewrite:

* forbidden phrases (English and their Chinese equivalents): the manual lists answers that shut
  the customer out ("this is company policy, I can do nothing", "that is impossible", "that is
  not our business", "I will let you know some other day"); a few close relatives are added
  (marked "related" in their explanation) because a checker that only knows four exact strings
  is easily walked round;
* promises: every money amount, calendar date and "within N days" in the text must match what
  was approved for the complaint (``ApprovedTerms``). Nothing is promised that nobody approved.

Patterns are deliberately simple regular expressions: a reviewer must be able to read them. The
explanations live in the replies catalogues beside the letter templates, so a Chinese letter is
checked with Chinese explanations (``check_text(..., language="zh_CN")``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

from results.errors import ValidationError

_FLAGS = re.IGNORECASE


LOCALE_DIR = Path(__file__).with_name("replies_locale")
LANGUAGES = ("en", "zh_CN")


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    pattern: re.Pattern[str]


def _rule(code: str, pattern: str) -> Rule:
    return Rule(code, re.compile(pattern, _FLAGS))


@cache
def explanations(language: str) -> dict[str, str]:
    """The ``rule.*`` entries of the letter's catalogue: QA reads why in the letter's language."""
    if language not in LANGUAGES:
        raise ValidationError("language", f"{language!r} is not supported", f"use {LANGUAGES}")
    data: dict[str, str] = json.loads((LOCALE_DIR / f"{language}.json").read_text("utf-8"))
    found = {k: v for k, v in data.items() if k.startswith("rule.")}
    codes = [r.code for r in FORBIDDEN] + [*PROMISE_RULES, "none"]
    missing = [c for c in codes if f"rule.{c}" not in found]
    if missing:
        raise ValidationError(
            "language",
            f"{language} catalogue lacks {', '.join('rule.' + c for c in missing)}",
            f"add them to results/replies_locale/{language}.json",
        )
    return found


FORBIDDEN: tuple[Rule, ...] = (
    _rule(
        "company_policy",
        r"\bcompany(?:'s)? polic(?:y|ies)\b|\bI can do nothing\b|\bnothing (?:I|we) can do\b"
        r"|公司(?:的)?规定|(?:我|我们)(?:也)?没(?:有)?办法|无能为力",
    ),
    _rule("impossible", r"\b(?:that|this|it)(?:'s| is) impossible\b|\bimpossible\b|不可能"),
    _rule(
        "not_our_business",
        r"\bnot our (?:business|problem|concern|responsibility)\b|\bnone of our business\b"
        r"|不关(?:我们|我)的事|与(?:我们|我)无关|不是我们的(?:问题|责任)",
    ),
    _rule(
        "some_other_day",
        r"\b(?:some )?other day\b|\blet you know later\b|改天|过几天再(?:说|通知)",
    ),
    _rule("dont_know", r"\bI (?:do not|don't) know\b|我不(?:知道|清楚)"),
    _rule(
        "your_fault",
        r"\b(?:it is|it's) your (?:own )?fault\b|\byour own problem\b"
        r"|(?:你|您)(?:们)?自己的(?:问题|责任|错)",
    ),
)
"""Each rule's explanation is ``rule.<code>`` in the replies catalogues (``replies_locale``)."""

_CURRENCY = {
    "usd": "USD",
    "us$": "USD",
    "$": "USD",
    "dollar": "USD",
    "dollars": "USD",
    "美元": "USD",
    "rmb": "CNY",
    "cny": "CNY",
    "¥": "CNY",
    "￥": "CNY",
    "yuan": "CNY",
    "元": "CNY",
    "人民币": "CNY",
    "eur": "EUR",
    "€": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "欧元": "EUR",
}
_NUMBER = r"\d[\d,]*(?:\.\d+)?"
_PREFIX = r"US\$|USD|RMB|CNY|EUR|人民币|\$|¥|￥|€"
_SUFFIX = r"USD|RMB|CNY|EUR|yuan|dollars?|euros?|美元|欧元|元"
_MONEY = re.compile(
    rf"(?P<pre>{_PREFIX})\s?(?P<n1>{_NUMBER})(?:\s?(?:元))?|(?P<n2>{_NUMBER})\s?(?P<suf>{_SUFFIX})",
    _FLAGS,
)
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ]
    )
}
_MONTH = r"(?P<mon>" + "|".join(_MONTHS) + r")"
_DATES = (
    re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b"),
    re.compile(r"(?:(?P<y>\d{4})年)?(?P<m>\d{1,2})月(?P<d>\d{1,2})(?:日|号)"),
    re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)? {_MONTH}(?:,? (?P<y>\d{{4}}))?\b", _FLAGS),
    re.compile(rf"\b{_MONTH} (?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:,? (?P<y>\d{{4}}))?\b", _FLAGS),
)
_DAYS = re.compile(
    r"\bwithin (?P<n1>\d+) (?:working |business |calendar )?days?\b"
    r"|(?P<n2>\d+)\s?(?:个)?(?:工作)?(?:天|日)(?:之)?内",
    _FLAGS,
)
PROMISE_RULES = ("unapproved_amount", "unapproved_date", "unapproved_deadline")

_SENTENCE = re.compile(r"(?<=[。！？])|(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class ApprovedTerms:
    """What the company approved for one complaint: amounts by currency, dates, day windows."""

    amounts: frozenset[tuple[str, float]] = frozenset()
    dates: frozenset[date] = frozenset()
    days: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class ReplyIssue:
    sentence: str
    rule: str
    why: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.why} -- in: {self.sentence!r}"


@dataclass
class _Found:
    why: dict[str, str]
    issues: list[ReplyIssue] = field(default_factory=list)

    def add(self, sentence: str, rule: str, **values: str) -> None:
        self.issues.append(ReplyIssue(sentence, rule, self.why[f"rule.{rule}"].format(**values)))

    def allowed(self, items: list[str]) -> str:
        return ", ".join(items) or self.why["rule.none"]


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]


def _amount(text: str) -> float:
    return float(text.replace(",", ""))


def _check_money(sentence: str, approved: ApprovedTerms, found: _Found) -> None:
    for match in _MONEY.finditer(sentence):
        token = (match.group("pre") or match.group("suf") or "").lower()
        currency = _CURRENCY.get(token, token.upper())
        value = _amount(match.group("n1") or match.group("n2"))
        ok = any(c == currency and abs(a - value) < 0.005 for c, a in approved.amounts)
        if not ok:
            allowed = found.allowed([f"{c} {a:.2f}" for c, a in sorted(approved.amounts)])
            found.add(
                sentence,
                "unapproved_amount",
                currency=currency,
                value=f"{value:.2f}",
                allowed=allowed,
            )


def _check_dates(sentence: str, approved: ApprovedTerms, found: _Found) -> None:
    seen: set[tuple[int | None, int, int]] = set()
    for pattern in _DATES:
        for match in pattern.finditer(sentence):
            groups = match.groupdict()
            month = _MONTHS[groups["mon"].lower()] if groups.get("mon") else int(groups["m"])
            day = int(groups["d"])
            year = int(groups["y"]) if groups.get("y") else None
            if (year, month, day) in seen:
                continue
            seen.add((year, month, day))
            ok = any(
                d.month == month and d.day == day and (year is None or d.year == year)
                for d in approved.dates
            )
            if not ok:
                shown = f"{year}-{month:02d}-{day:02d}" if year else f"--{month:02d}-{day:02d}"
                allowed = found.allowed([d.isoformat() for d in sorted(approved.dates)])
                found.add(sentence, "unapproved_date", date=shown, allowed=allowed)


def _check_days(sentence: str, approved: ApprovedTerms, found: _Found) -> None:
    for match in _DAYS.finditer(sentence):
        n = int(match.group("n1") or match.group("n2"))
        if n not in approved.days:
            allowed = found.allowed([str(d) for d in sorted(approved.days)])
            found.add(sentence, "unapproved_deadline", days=str(n), allowed=allowed)


def check_text(text: str, approved: ApprovedTerms, *, language: str = "en") -> list[ReplyIssue]:
    """Every forbidden phrase and unapproved promise, in the order of the sentences, each
    explained in ``language`` (the letter's: the one QA is reading and rewriting)."""
    found = _Found(explanations(language))
    for sentence in sentences(text):
        for rule in FORBIDDEN:
            if rule.pattern.search(sentence):
                found.add(sentence, rule.code)
        _check_money(sentence, approved, found)
        _check_dates(sentence, approved, found)
        _check_days(sentence, approved, found)
    return found.issues
