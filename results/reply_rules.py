"""What a customer reply must not say: the manual's forbidden phrases and unapproved promises.

Two checks, both sentence by sentence so each hit names the sentence to rewrite:

* forbidden phrases (English and their Chinese equivalents): the manual lists answers that shut
  the customer out ("this is company policy, I can do nothing", "that is impossible", "that is
  not our business", "I will let you know some other day"); a few close relatives are added
  (marked in ``why``) because a checker that only knows four exact strings is easily walked round;
* promises: every money amount, calendar date and "within N days" in the text must match what
  was approved for the complaint (``ApprovedTerms``). Nothing is promised that nobody approved.

Patterns are deliberately simple regular expressions: a reviewer must be able to read them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

_FLAGS = re.IGNORECASE


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    pattern: re.Pattern[str]
    why: str


def _rule(code: str, pattern: str, why: str) -> Rule:
    return Rule(code, re.compile(pattern, _FLAGS), why)


FORBIDDEN: tuple[Rule, ...] = (
    _rule(
        "company_policy",
        r"\bcompany(?:'s)? polic(?:y|ies)\b|\bI can do nothing\b|\bnothing (?:I|we) can do\b"
        r"|公司(?:的)?规定|(?:我|我们)(?:也)?没(?:有)?办法|无能为力",
        "forbidden: hides behind policy and refuses to help (manual: 'this is company policy, "
        "I can do nothing')",
    ),
    _rule(
        "impossible",
        r"\b(?:that|this|it)(?:'s| is) impossible\b|\bimpossible\b|不可能",
        "forbidden: dismisses the customer's report (manual: 'that is impossible')",
    ),
    _rule(
        "not_our_business",
        r"\bnot our (?:business|problem|concern|responsibility)\b|\bnone of our business\b"
        r"|不关(?:我们|我)的事|与(?:我们|我)无关|不是我们的(?:问题|责任)",
        "forbidden: refuses responsibility (manual: 'that is not our business')",
    ),
    _rule(
        "some_other_day",
        r"\b(?:some )?other day\b|\blet you know later\b|改天|过几天再(?:说|通知)",
        "forbidden: an open-ended put-off (manual: 'I will let you know some other day'); "
        "give a scheduled follow-up date instead",
    ),
    _rule(
        "dont_know",
        r"\bI (?:do not|don't) know\b|我不(?:知道|清楚)",
        "forbidden (related): admits ignorance instead of promising to find out",
    ),
    _rule(
        "your_fault",
        r"\b(?:it is|it's) your (?:own )?fault\b|\byour own problem\b"
        r"|(?:你|您)(?:们)?自己的(?:问题|责任|错)",
        "forbidden (related): blames the customer; state the finding and the advice instead",
    ),
)

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
    issues: list[ReplyIssue] = field(default_factory=list)

    def add(self, sentence: str, rule: str, why: str) -> None:
        self.issues.append(ReplyIssue(sentence, rule, why))


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
            allowed = ", ".join(f"{c} {a:.2f}" for c, a in sorted(approved.amounts)) or "none"
            found.add(
                sentence,
                "unapproved_amount",
                f"promises {currency} {value:.2f}, which is not approved for this complaint "
                f"(approved: {allowed}); remove it or have the amount approved first",
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
                allowed = ", ".join(d.isoformat() for d in sorted(approved.dates)) or "none"
                found.add(
                    sentence,
                    "unapproved_date",
                    f"promises the date {shown}, which is not approved for this complaint "
                    f"(approved: {allowed}); use an approved date",
                )


def _check_days(sentence: str, approved: ApprovedTerms, found: _Found) -> None:
    for match in _DAYS.finditer(sentence):
        n = int(match.group("n1") or match.group("n2"))
        if n not in approved.days:
            allowed = ", ".join(str(d) for d in sorted(approved.days)) or "none"
            found.add(
                sentence,
                "unapproved_deadline",
                f"promises action within {n} days, not approved (approved: {allowed})",
            )


def check_text(text: str, approved: ApprovedTerms) -> list[ReplyIssue]:
    """Every forbidden phrase and unapproved promise, in the order of the sentences."""
    found = _Found()
    for sentence in sentences(text):
        for rule in FORBIDDEN:
            if rule.pattern.search(sentence):
                found.add(sentence, rule.code, rule.why)
        _check_money(sentence, approved, found)
        _check_dates(sentence, approved, found)
        _check_days(sentence, approved, found)
    return found.issues
