"""Text a person typed or wrote in a file, made safe to store before anything runs.

Two rules for every string that reaches the store, a report or a letter: it is normalised to
Unicode NFKC (a full-width ``ＳＮ－０１`` is the serial ``SN-01``; a no-break space is a space), and
it carries no control or invisible characters (NUL, escape sequences, zero-width spaces,
bidirectional overrides, line separators): those can hide a different serial behind the same
look, break a CSV export or reorder a sentence in a customer's letter. A refusal names the field,
the character (as ``U+200B``) and its position, so the person can find and delete it.
"""

from __future__ import annotations

import unicodedata

REFUSED_CATEGORIES = {
    "Cc": "a control character",
    "Cf": "an invisible formatting character",
    "Co": "a private-use character",
    "Cs": "a lone surrogate",
    "Cn": "an unassigned code point",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
}
MAX_TEXT = 2000
"""Longest free text accepted from one field (a device name, a demand, a document number)."""


class TextProblem(ValueError):
    """What is wrong with a text and how to fix it (the caller adds the field's name)."""

    def __init__(self, problem: str, fix: str) -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem}. Fix: {fix}")


def hidden_character(text: str) -> tuple[int, str, str] | None:
    """(position from 1, ``U+XXXX``, what it is) of the first refused character, or ``None``."""
    for index, char in enumerate(text, 1):
        kind = REFUSED_CATEGORIES.get(unicodedata.category(char))
        if kind is not None:
            return index, f"U+{ord(char):04X}", kind
    return None


def clean_text(text: str, *, max_length: int = MAX_TEXT) -> str:
    """``text`` in NFKC with its outer blanks removed; ``TextProblem`` for what cannot be kept."""
    found = hidden_character(text)
    if found is not None:
        position, code, kind = found
        raise TextProblem(
            f"contains {kind} ({code}) at character {position}",
            "retype the text without it (copying from a web page or a spreadsheet brings such "
            "characters along)",
        )
    normal = unicodedata.normalize("NFKC", text).strip()
    found = hidden_character(normal)
    if found is not None:  # NFKC can compose into something refused only in odd cases; be safe
        raise TextProblem(f"contains {found[2]} ({found[1]})", "retype the text without it")
    if len(normal) > max_length:
        raise TextProblem(
            f"is {len(normal)} characters long", f"shorten it to at most {max_length} characters"
        )
    return normal
