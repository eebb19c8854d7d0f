"""The catalogue leak checks shared by every "Chinese is complete" test (pages, reports, exports,
the operator panel, the command line): the catalogues in both languages, the English sentences
of their English side, and the category codes a Chinese text must not show raw."""

from __future__ import annotations

import html
import json
import re
from functools import cache
from importlib import resources

from declared_categories import category_codes

CATALOGUES = {
    "service": ("service", "locale"),
    "reports": ("results.reports", "locale"),
    "replies": ("results", "replies_locale"),
    "procedures": ("procedures", "locale"),
    "panel": ("bench.panel", "locale"),
    "prompts": ("procedures", "locale/prompts"),
    "cli": ("bench", "locale"),
    "store": ("results", "store_locale"),
}
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
WORDS = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")


def _unique(pairs: list[tuple[str, str]]) -> dict[str, str]:
    keys = [k for k, _ in pairs]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    assert twice == [], f"keys written twice (the last one silently wins): {twice}"
    return dict(pairs)


def load_catalogue(package: str, folder: str, locale: str) -> dict[str, str]:
    path = resources.files(package) / folder / f"{locale}.json"
    messages: dict[str, str] = json.loads(
        path.read_text(encoding="utf-8"), object_pairs_hook=_unique
    )
    return messages


@cache
def english_sentences() -> dict[str, str]:
    """Key -> the longest literal piece of its English text that is a sentence (three words or
    more, an identifier counting as one) and differs from the Chinese text; placeholders split
    the pieces."""
    out: dict[str, str] = {}
    for package, folder in CATALOGUES.values():
        en, zh = load_catalogue(package, folder, "en"), load_catalogue(package, folder, "zh_CN")
        for key, text in en.items():
            if zh.get(key) == text:
                continue
            pieces = [p.strip(" .,:;()") for p in PLACEHOLDER.split(text)]
            # an identifier (``time_in_use``: a field or role code) is one word, not a sentence
            pieces = [p for p in pieces if " " in p and len(WORDS.findall(p)) >= 3]
            if pieces:
                out[key] = max(pieces, key=len)
    return out


COMMAND = re.compile(r"`[^`]*`")
"""A command quoted in a sentence (``packbench unit add``): typed as it is in every language."""


@cache
def cli_english_pieces(prefixes: tuple[str, ...]) -> dict[str, list[str]]:
    """Key -> the English words and phrases of a command-line template (``bench/locale``) whose
    key starts with one of ``prefixes``: the literal pieces between its placeholders and the
    commands it quotes, those with a word of three letters or more (not "is", "s")."""
    pieces: dict[str, list[str]] = {}
    for key, text in load_catalogue("bench", "locale", "en").items():
        if not key.startswith(prefixes):
            continue
        literal = [
            p.strip(" .,:;()=") for p in re.split(f"{PLACEHOLDER.pattern}|{COMMAND.pattern}", text)
        ]
        kept = [p for p in literal if re.search(r"[A-Za-z]{3}", p)]
        if kept:
            pieces[key] = kept
    return pieces


def cli_english_left(
    text: str, prefixes: tuple[str, ...], quoted: re.Pattern[str] | None = None
) -> dict[str, str]:
    """Key -> an English piece of it (``cli_english_pieces``) that ``text`` shows as words of
    their own, outside the commands it quotes and what ``quoted`` matches (a recorded command,
    a path: shown as it was, in any language)."""
    text = COMMAND.sub(" ", text)
    if quoted is not None:
        text = quoted.sub(" ", text)
    found: dict[str, str] = {}
    for key, pieces in cli_english_pieces(prefixes).items():
        for piece in pieces:
            if re.search(rf"(?<![\w-]){re.escape(piece)}(?![\w-])", text):
                found[key] = piece
    return found


def visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", html.unescape(page))


def leaks(text: str) -> dict[str, str]:
    text = re.sub(r"\s+", " ", text)
    return {k: s for k, s in english_sentences().items() if s in text}


KEPT_CODE = re.compile(r"\[[^\]\[]*\]")
"""A step or measurement code kept in brackets after its label (QA traces the record by it)."""
TOKEN = re.compile(r"(?<![\w/.\-])[a-z][a-z0-9_]*(?![\w/\-])")


def raw_codes(text: str) -> set[str]:
    """The categorical values a procedure records (``tests/declared_categories.py``) that
    ``text`` shows as words of their own: each should read by its label in Chinese."""
    visible = KEPT_CODE.sub(" ", text)
    return set(TOKEN.findall(visible)) & category_codes()
