"""The prompt catalogue (``procedures/locale/prompts/<locale>.json``): every word an operator
reads while answering, at the terminal or on the panel: the questions, their options, the
terminal's hints, and why an answer was refused (``answer.*``).

Its own module so that ``procedures.prompts`` (which refuses an answer) and
``procedures.questions`` (which words a question) both read it without importing each other.
"""

from __future__ import annotations

from functools import cache

from procedures.errors import AnswerTypeError
from procedures.phrases import catalogue_file

ANSWER_KEYS = ("answer.not_in_unit", "answer.not_a_number")
"""Why a typed answer was refused (``procedures.prompts.parse_number``)."""


@cache
def prompt_messages(locale: str) -> dict[str, str]:
    """The prompt catalogue of ``locale``; English when the language has none."""
    return catalogue_file("procedures", "locale/prompts", locale)


def answer_problem(error: AnswerTypeError, locale: str) -> str:
    """Why an answer was refused, in ``locale`` (the English message when it names no key)."""
    if not error.key:
        return str(error)
    return prompt_messages(locale)[error.key].format(**error.values)
