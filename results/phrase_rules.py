"""The manual's ten forbidden phrases (records-and-reports.md section 0.2) as data, and one matcher.

Each ``PhraseRule`` holds the manual's item number and a handful of patterns per language; the
matcher (``find_phrases``) normalises a sentence once and runs every pattern of every rule
against it. A new variant is a new pattern line in ``PHRASE_RULES``, never a new ``if``.

Why two normal forms: people do not type the manual's wording exactly. After NFKC (full-width
letters and punctuation become half-width, so ``ＣＡＮ’Ｔ`` and ``，`` compare like ``can't`` and
``,``) and case folding,

* English patterns run on the *word form*: every run of punctuation and spaces becomes one space,
  curly apostrophes become ``'``, so "Can't   you read?!" reads ``can't you read``;
* Chinese patterns run on the *compact form*: everything but letters and digits is removed, so
  "改 天，再通知您" and "改天再通知您!" both read ``改天再通知您``.

Every rule checks both languages whatever the letter's language: an English phrase pasted into a
Chinese letter is still caught. Patterns tolerate small wording changes with alternations
(``you|your``, ``我|我们``), not with wildcards that would flag innocent sentences.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'", "＇": "'"})
_NON_WORD = re.compile(r"[^\w']+|_+")
_NON_LETTER = re.compile(r"[\W_]+")

_MACROS = {
    "{dont}": r"(?:don't|dont|do not)",
    "{didnt}": r"(?:didn't|didnt|did not)",
    "{cant}": r"(?:can't|cant|cannot|can not|couldn't|could not)",
    "{im}": r"(?:i'm|im|i am|we're|we are)",
    "{iwe}": r"(?:i|we)",
    "{thatis}": r"(?:that's|thats|that is|this is|it's|it is)",
}
"""Short names for spellings that recur across the English patterns (kept readable)."""


@dataclass(frozen=True, slots=True)
class PhraseRule:
    """One forbidden phrase: its code, the manual's item number (``None``: a related phrase the
    manual does not list), and its patterns over the word form (en) and compact form (zh)."""

    code: str
    item: int | None
    en: tuple[str, ...]
    zh: tuple[str, ...]


PHRASE_RULES: tuple[PhraseRule, ...] = (
    PhraseRule(
        "child_knows",
        1,
        en=(
            r"\beven (?:a |an |any |my |your )?(?:little |small )?"
            r"(?:child|children|kid|kids|toddler|baby|(?:\d+|three|five) year olds?)\b",
            r"\b(?:a|any|every) (?:child|kid) (?:knows|would know|could tell|understands|can see)",
            r"\b(?:everybody|everyone) knows (?:that|this)\b",
        ),
        zh=(
            r"(?:小孩子|小孩|孩子|小朋友|三岁小孩)(?:都|也)(?:知道|懂|明白|会|清楚)",
            r"(?:人人|谁)都(?:知道|懂)",
        ),
    ),
    PhraseRule(
        "price_quality",
        2,
        en=(
            r"\bget what (?:you|u) (?:pay|paid) for\b",
            r"\bpay for what you get\b",
            r"\bwhat (?:do|did|else do|would) you expect (?:for|at|with)\b.{0,30}\bprice\b",
            r"\bcheap (?:things|goods|products|stuff|packs|batteries) (?:are|is) (?:never|not)",
        ),
        zh=(r"一分(?:价)?钱(?:就)?一分货", r"便宜(?:没|无)好货", r"(?:这个|这种)价(?:格|钱)?还想"),
    ),
    PhraseRule(
        "impossible",
        3,
        en=(
            r"\bimpossible\b",
            r"\b{cant} (?:possibly |ever )?(?:happen|have happened|be true|be the case)\b",
            r"\b(?:could|can|would) never (?:happen|have happened)\b",
            r"\bno way (?:this|that|it) (?:happened|could|can)\b",
        ),
        zh=(
            r"不可能",
            r"(?:绝对|根本|决)不会(?:有|发生|出现)",
            r"绝无可能",
            r"(?:这种|这样的)事(?:情)?(?:绝对|根本)?不会发生",
        ),
    ),
    PhraseRule(
        "not_sure",
        4,
        en=(
            r"\b{im} (?:really |quite |too |so |entirely |very )?(?:not|un) ?"
            r"(?:really |quite |too |so |entirely |very )?sure\b",
            r"\b{im} (?:not certain|uncertain)\b",
            r"\b{iwe} (?:really |just )?(?:{dont}|{didnt}) (?:really )?know\b"
            r"(?! how\b| what to do\b)",
            r"\b{iwe} (?:have|had) no (?:idea|clue)\b(?! how\b)",
            r"^hmm+\b",
        ),
        zh=(
            r"(?:我|我们)(?:也|真的|确实|实在)?(?:不太|不大|不是很|不是太|并不|不)(?:清楚|确定|了解)"
            r"(?!(?:该)?(?:怎么|如何|怎样))",
            r"(?:我|我们)(?:也|真的|确实|实在)?不(?:太|大)?知道(?!(?:该)?(?:怎么|如何|怎样))",
            r"^嗯+",
        ),
    ),
    PhraseRule(
        "never_said",
        5,
        en=(
            r"\b{iwe} (?:absolutely |certainly |definitely )?(?:never|{didnt}|have never|"
            r"never ever) (?:said|say|told you|promised|promise)\b",
            r"\b(?:that's|thats|that is) not what {iwe} said\b",
            r"\b{iwe} (?:have )?never made (?:that|such a|this|any such) (?:promise|statement)\b",
        ),
        zh=(
            r"(?:我|我们)(?:绝对|从来|根本|可|也|确实)?(?:没|没有|不曾|从未|从没)"
            r"(?:说过|讲过|答应过|承诺过|这么说|这样说)",
        ),
    ),
    PhraseRule(
        "dont_know_how",
        6,
        en=(
            r"\b{iwe} (?:really |just )?(?:{dont}|{didnt}) (?:really )?know how (?:to )?"
            r"(?:handle|deal with|process|solve|fix|proceed|resolve|treat)\b",
            r"\b{iwe} (?:{dont}|{didnt}) know what to do\b",
            r"\bno (?:idea|clue) how (?:to )?(?:handle|deal with|solve|fix|process|resolve)\b",
            r"\b{iwe} {cant} (?:handle|deal with) (?:this|that|it)\b",
        ),
        zh=(
            r"不(?:懂|知道|会|晓得|清楚)(?:该)?(?:怎么|如何|怎样)(?:去)?(?:处理|办|解决|弄|操作)",
            r"(?:处理|解决)不了",
        ),
    ),
    PhraseRule(
        "company_policy",
        7,
        en=(
            r"\bcompany(?:'s)? (?:polic(?:y|ies)|rules?|regulations?)\b",
            r"\b(?:nothing|not anything) {iwe} can do\b",
            r"\b{iwe} can do nothing\b",
            r"\b{iwe} {cant} do anything (?:about it|for you)\b",
            r"\bmy hands are tied\b",
            r"\brules are rules\b",
        ),
        zh=(
            r"公司(?:的)?(?:规定|制度|政策)",
            r"(?:我|我们)(?:也)?(?:没|没有)(?:有)?(?:办法|法子)",
            r"无能为力",
            r"爱莫能助",
            r"规定就是(?:这样|如此)",
        ),
    ),
    PhraseRule(
        "cant_read",
        8,
        en=(
            r"\b{cant} (?:you|u) (?:even )?read\b",
            r"\b(?:{dont}|do) (?:you|u) (?:even |not )?(?:read|understand) "
            r"(?:english|chinese|plain|simple)\b",
            r"\b(?:did you (?:even|not|ever)|didn't you) read\b",
            r"\bare you (?:unable|not able) to read\b",
            r"\b{cant} you understand (?:english|chinese|plain|simple)\b",
            r"\blearn (?:how )?to read\b",
        ),
        zh=(
            r"(?:你|您)(?:们)?(?:难道|是)?(?:看不懂|读不懂|不识字|不会看)",
            r"(?:你|您)(?:们)?(?:难道)?(?:不|没)(?:会|能)?(?:看|读)(?:懂)?(?:中文|说明书|说明)",
        ),
    ),
    PhraseRule(
        "some_other_day",
        9,
        en=(
            r"(?<!\bthe )(?<!\bany )\b(?:some ?)?other (?:day|time)\b",
            r"\banother (?:day|time)\b",
            r"\bone of these days\b",
            r"\b(?:let you know|get back to you|inform you|tell you|contact you|notify you|"
            r"come back to you|answer you) (?:later|sometime|some time|someday|some day|"
            r"eventually|in due course|when {iwe} (?:can|have time))\b",
            r"\bsometime later\b",
        ),
        zh=(
            r"(?<![修更涂篡批])改(?:天|日)",
            r"(?:过几天|过两天|以后|回头|下次|有空|有时间)再(?:说|通知|联系|告诉|回复|答复|处理)",
            r"再说吧",
        ),
    ),
    PhraseRule(
        "not_our_business",
        10,
        en=(
            r"\bnot (?:our|my) (?:business|problem|concern|responsibility|fault|job|issue)\b",
            r"\bnone of (?:our|my) (?:business|concern)\b",
            r"\b(?:nothing|not anything) to do with (?:us|me|our company)\b",
        ),
        zh=(
            r"不(?:是|关)(?:我们|我|本公司|我司)(?:公司)?(?:的)?(?:事|问题|责任)",
            r"与(?:我们|我|本公司|我司)(?:无关|没有关系|没关系)",
            r"(?:跟|和)(?:我们|我|本公司|我司)(?:没|没有|无)(?:关系|关)",
        ),
    ),
    PhraseRule(
        "your_fault",
        None,
        en=(
            r"\b(?:{thatis}|it was|that was) (?:all )?your (?:own )?fault\b",
            r"\byour own (?:problem|fault)\b",
        ),
        zh=(
            r"(?:你|您)(?:们)?自己的(?:问题|责任|错)",
            r"(?:是|都是)(?:你|您)(?:们)?的(?:错|责任)",
        ),
    ),
)
"""The manual's items 1-10 in its order, then related phrases (``item`` None) it does not list."""


def word_form(text: str) -> str:
    """NFKC, case-folded, one apostrophe, punctuation and spacing collapsed to single spaces."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    return _NON_WORD.sub(" ", folded).strip()


def compact_form(text: str) -> str:
    """NFKC, case-folded, letters and digits only: spacing and punctuation cannot hide a phrase."""
    return _NON_LETTER.sub("", unicodedata.normalize("NFKC", text).casefold())


def _expand(pattern: str) -> str:
    for name, spelled in _MACROS.items():
        pattern = pattern.replace(name, spelled)
    return pattern


@cache
def _compiled() -> tuple[tuple[str, re.Pattern[str] | None, re.Pattern[str] | None], ...]:
    """One alternation per rule and language, compiled once."""

    def join(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
        if not patterns:
            return None
        return re.compile("|".join(f"(?:{_expand(p)})" for p in patterns))

    return tuple((r.code, join(r.en), join(r.zh)) for r in PHRASE_RULES)


def find_phrases(sentence: str) -> list[str]:
    """The codes of every forbidden phrase in ``sentence``, in ``PHRASE_RULES`` order."""
    words, compact = word_form(sentence), compact_form(sentence)
    hits = []
    for code, en, zh in _compiled():
        if (en is not None and en.search(words)) or (zh is not None and zh.search(compact)):
            hits.append(code)
    return hits
