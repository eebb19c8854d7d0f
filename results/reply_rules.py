"""What a customer reply must not say: the manual's forbidden phrases and unapproved promises.

Checks run sentence by sentence so each hit names the sentence to rewrite and the rule:

* forbidden phrases: the manual's ten (records-and-reports.md 0.2), in Chinese and English, as
  data in ``results.phrase_rules`` with one matcher that is tolerant of punctuation, full-width
  forms, spacing and small wording changes; one related phrase (blaming the customer) is added
  and says so in its explanation;
* promises (0.2: "any promise to a customer must be one the company can keep and must protect
  its interests"): every money amount, calendar date and "within N days" must match what was
  approved for the complaint (``ApprovedTerms``); an offer of compensation (refund, credit, free
  replacement, ...) needs an approved amount or offer; a guarantee that a fault will never
  recur is a promise nobody can keep and is always refused.

Explanations live in the replies catalogues beside the letter templates, so a Chinese letter is
checked with Chinese explanations (``check_text(..., language="zh_CN")``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

from results.errors import ValidationError
from results.phrase_rules import PHRASE_RULES, find_phrases

_FLAGS = re.IGNORECASE
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'"})


LOCALE_DIR = Path(__file__).with_name("replies_locale")
LANGUAGES = ("en", "zh_CN")


@cache
def explanations(language: str) -> dict[str, str]:
    """The ``rule.*`` entries of the letter's catalogue: QA reads why in the letter's language."""
    if language not in LANGUAGES:
        raise ValidationError("language", f"{language!r} is not supported", f"use {LANGUAGES}")
    data: dict[str, str] = json.loads((LOCALE_DIR / f"{language}.json").read_text("utf-8"))
    found = {k: v for k, v in data.items() if k.startswith("rule.")}
    codes = [*FORBIDDEN_CODES, *PROMISE_RULES, "none"]
    missing = [c for c in codes if f"rule.{c}" not in found]
    if missing:
        raise ValidationError(
            "language",
            f"{language} catalogue lacks {', '.join('rule.' + c for c in missing)}",
            f"add them to results/replies_locale/{language}.json",
        )
    return found


FORBIDDEN_CODES: tuple[str, ...] = tuple(r.code for r in PHRASE_RULES)
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
_COMPENSATION = re.compile(
    r"\b(?:refund|reimburse|compensat|credit note|credit (?:you|your account)|free of charge"
    r"|free replacement|replace\w* (?:\w+ )*?(?:free|at no (?:cost|charge))|at no (?:cost|charge)"
    r"|(?:we|i)(?:'ll| will| shall| can| would)? pay\b|cover (?:the |all )?costs?"
    r"|rework fee|claim amount)"
    r"|退款|退钱|赔偿|补偿|报销|免费(?:更换|补货|提供|维修|换货)|承担(?:全部|所有)?(?:费用|损失)|返工费",
    _FLAGS,
)
_GUARANTEE = re.compile(
    r"\bguarantee|\bwill never (?:happen|occur|recur) again\b|\bnever (?:happen|occur) again\b"
    r"|\b100 ?%|保证|担保|(?:绝|再也)不会再|永远不会再",
    _FLAGS,
)
PROMISE_RULES = (
    "unapproved_amount",
    "unapproved_date",
    "unapproved_deadline",
    "unapproved_compensation",
    "unkeepable_guarantee",
)

_SENTENCE = re.compile(r"(?<=[。！？｡])|(?:(?<=[!?．])|(?<=(?<!\.)\.))\s+|\n+")
"""Sentence ends: Chinese full stops at once, Latin ones before a space (not an ellipsis "...")."""


@dataclass(frozen=True)
class ApprovedTerms:
    """What the company approved for one complaint: amounts by currency, dates, day windows."""

    amounts: frozenset[tuple[str, float]] = frozenset()
    dates: frozenset[date] = frozenset()
    days: frozenset[int] = frozenset()
    offers: frozenset[str] = frozenset()
    """Compensation in kind approved by QA (e.g. "free replacement of 7 packs"), as approved."""


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


def _check_money(sentence: str, plain: str, approved: ApprovedTerms, found: _Found) -> None:
    for match in _MONEY.finditer(plain):
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


def _check_dates(sentence: str, plain: str, approved: ApprovedTerms, found: _Found) -> None:
    seen: set[tuple[int | None, int, int]] = set()
    for pattern in _DATES:
        for match in pattern.finditer(plain):
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


def _check_days(sentence: str, plain: str, approved: ApprovedTerms, found: _Found) -> None:
    for match in _DAYS.finditer(plain):
        n = int(match.group("n1") or match.group("n2"))
        if n not in approved.days:
            allowed = found.allowed([str(d) for d in sorted(approved.days)])
            found.add(sentence, "unapproved_deadline", days=str(n), allowed=allowed)


def _check_commitments(sentence: str, plain: str, approved: ApprovedTerms, found: _Found) -> None:
    """Compensation needs an approved amount or offer; a no-recurrence guarantee is never kept."""
    if _COMPENSATION.search(plain) and not (approved.amounts or approved.offers):
        found.add(sentence, "unapproved_compensation")
    if _GUARANTEE.search(plain):
        found.add(sentence, "unkeepable_guarantee")


def check_text(text: str, approved: ApprovedTerms, *, language: str = "en") -> list[ReplyIssue]:
    """Every forbidden phrase and unapproved promise, in the order of the sentences, each
    explained in ``language`` (the letter's: the one QA is reading and rewriting)."""
    found = _Found(explanations(language))
    for sentence in sentences(text):
        plain = unicodedata.normalize("NFKC", sentence).translate(_APOSTROPHES)
        for code in find_phrases(sentence):
            found.add(sentence, code)
        _check_money(sentence, plain, approved, found)
        _check_dates(sentence, plain, approved, found)
        _check_days(sentence, plain, approved, found)
        _check_commitments(sentence, plain, approved, found)
    return found.issues
