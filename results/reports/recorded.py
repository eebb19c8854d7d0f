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


def labelled_codes(text: str, t: Catalogue, every_name: bool, with_codes: bool = True) -> str:
    """``text`` with each known code as ``label [code]`` (``with_codes=False``: the label
    alone); ``every_name``: also a code that could be an English word (the text is a list of
    record names)."""

    def write(m: re.Match[str]) -> str:
        code = m[1]
        if not every_name and "_" not in code and "/" not in code:
            return code
        label = _label(t, code)
        if label is None:
            return code
        return t.format(WITH_CODE, label=label, code=code) if with_codes else label

    return _TOKEN.sub(write, text)


@dataclass(frozen=True)
class RecordedValues:
    """``procedures.phrases.ValueWriter`` for a report catalogue's language (hashable, so
    ``localise`` caches its results)."""

    locale: str
    with_codes: bool = True
    """``False``: a record's label alone, for a text a person edits (the 8D draft), which
    cites the records as evidence instead (``quoted_records``)."""

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
        text = labelled_codes(text, t, every_name=name in CODE_ARGS, with_codes=self.with_codes)
        for number, shown in enumerate(answers):
            record, _, said = shown.partition(" = ")
            record = labelled_codes(record, t, every_name=True, with_codes=self.with_codes)
            text = text.replace(f"\0{number}\0", f"{record} = {said}")
        if name in CODE_ARGS:  # a list of records, joined as the report joins one
            text = text.replace(LIST_JOINER, t["summary.separator"])
        return text


@cache
def recorded_values(locale: str, with_codes: bool = True) -> RecordedValues:
    return RecordedValues(locale, with_codes)


def said(text: str, locale: str, *, with_codes: bool = True) -> str:
    """A sentence a procedure recorded, in ``locale`` with the codes it quotes labelled
    (``with_codes=False``: by their labels alone)."""
    return localise(text, locale, recorded_values(locale, with_codes))


def quoted_records(text: str) -> list[str]:
    """The step and measurement codes (``step``, ``name`` or ``step/name``) a recorded sentence
    quotes that a reader sees by their labels, in order, once each: what a words-only text
    (``said(..., with_codes=False)``) cites as evidence instead of showing the codes. Only a
    token that cannot be an English word (it has ``_`` or ``/``) counts, as in free text."""
    t = catalogue("en")
    found = (
        m[1]
        for m in _TOKEN.finditer(text)
        if ("_" in m[1] or "/" in m[1]) and _label(t, m[1]) is not None
    )
    return list(dict.fromkeys(found))
