"""Sentences the procedures recorded, read in a report's language with the codes they quote.

A recorded explanation or step message names records by their codes (``It also explains the
failed pack_tests/pack_path``, ``wake response under_voltage``) and quotes the engine's
comparisons; ``procedures.phrases.localise`` writes the sentence from the reader's catalogue and
asks ``RecordedValues`` for each value argument. Here a step or measurement code is shown by its
label with the code after it in brackets (``电池包放电回路 [pack_tests/pack_path]``: QA traces
the record by it), a reading's category by its words (``category.*``, no code: the category is
the reading, not a record's name), and a quoted comparison as the report writes comparisons
(``results.reports.comparison``).

Which values hold codes is decided by the placeholder's name: ``CODE_ARGS`` are lists of record
names, so every name in them is labelled; in any other value (a driver's refusal quoted as a
reason, a model) only a token that cannot be an English word (it has ``_`` or ``/``) and is a
known code is, so a word such as "label" in free text stays a word. The English report quotes
the recorded sentence as it is (``localise`` leaves English alone): it is the record itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from procedures.phrases import localise
from results.reports.comparison import localise_quoted
from results.reports.labels import Catalogue, catalogue
from results.reports.names import measurement_label, step_label, value_label

CODE_ARGS = frozenset(
    {
        "failed",
        "named",
        "name",
        "marginal_names",
        "optional",
        "missing",
        "steps",
        "cover",
        "readings",
        "answers",
        "items",
        "cells",
        "top",
    }
)
"""Value placeholders of ``procedures/locale`` that hold record names (or ``step/name`` refs)."""

CATEGORY_ARGS = {"wake": "wake_response", "end": "charge_end", "state": "board_output"}
"""Value placeholders that hold one reading's category, by the measurement they come from."""

LIST_JOINER = ", "
"""How the procedures join record names in a value (``", ".join(failed)``)."""
WITH_CODE = "name.with_code"
_TOKEN = re.compile(r"(?<![\w/.])([a-z][a-z0-9_]*(?:/[a-z][a-z0-9_]*)?)(?![\w/])")
_ANSWER = re.compile(r"(?<![\w/])([a-z][a-z0-9_]*) = ([a-z0-9_]+)(?![\w/])")
"""``dents = minor``: the appearance check's answers as its sentences list them."""


def _label(t: Catalogue, code: str) -> str | None:
    """The label of a step, a measurement or a ``step/measurement`` ref, or ``None``."""
    step, _, name = code.rpartition("/")
    if step and step_label(t, step) == step:
        return None
    if name and measurement_label(t, name) != name:
        return measurement_label(t, name)
    if not step and step_label(t, name) != name:
        return step_label(t, name)
    return None


def labelled_codes(text: str, t: Catalogue, every_name: bool) -> str:
    """``text`` with each known code as ``label [code]``; ``every_name``: also a code that
    could be an English word (the text is a list of record names)."""

    def write(m: re.Match[str]) -> str:
        code = m[1]
        if not every_name and "_" not in code and "/" not in code:
            return code
        label = _label(t, code)
        return code if label is None else t.format(WITH_CODE, label=label, code=code)

    return _TOKEN.sub(write, text)


@dataclass(frozen=True)
class RecordedValues:
    """``procedures.phrases.ValueWriter`` for a report catalogue's language (hashable, so
    ``localise`` caches its results)."""

    locale: str

    def __call__(self, name: str, value: str) -> str:
        t = catalogue(self.locale)
        if name in CATEGORY_ARGS:
            return value_label(t, CATEGORY_ARGS[name], value)
        answers: list[str] = []

        def answer(m: re.Match[str]) -> str:
            answers.append(f"{m[1]} = {value_label(t, m[1], m[2])}")
            return f"\0{len(answers) - 1}\0"

        text = _ANSWER.sub(answer, value) if name in CODE_ARGS else value
        text = localise_quoted(text, t, lambda category: value_label(t, "", category))
        text = labelled_codes(text, t, every_name=name in CODE_ARGS)
        for number, shown in enumerate(answers):
            record, _, said = shown.partition(" = ")
            text = text.replace(
                f"\0{number}\0", f"{labelled_codes(record, t, every_name=True)} = {said}"
            )
        if name in CODE_ARGS:  # a list of records, joined as the report joins one
            text = text.replace(LIST_JOINER, t["summary.separator"])
        return text


@cache
def recorded_values(locale: str) -> RecordedValues:
    return RecordedValues(locale)


def said(text: str, locale: str) -> str:
    """A sentence a procedure recorded, in ``locale`` with the codes it quotes labelled."""
    return localise(text, locale, recorded_values(locale))
