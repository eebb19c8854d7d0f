"""Scripted answers (``--answers FILE``) checked against the procedure's questions before any run.

An answers file stands in for the operator, so a mistake in it is bad input, not a finding: a
``usage_device = [1, 2]`` or a ``dents = "dent"`` (not a listed choice) must stop the command with
exit 2 before a run row exists, naming the question and the fix, instead of surfacing mid-run as
an error run with a traceback. Each question's kind (text, choice and its options, confirm,
yes/no, number and unit, photo) is its definition in ``procedures.questions``, the one the
terminal and the panel ask by; a pydantic model built from those definitions validates the file
strictly (no ``1`` for ``true``, no number for text), every text
is normalised (NFKC) and refused if it hides control or invisible characters
(``bench.text_input``), and an id that no question has is refused too, since a typo would
otherwise leave the real question unanswered.

A new question or choice there is one here; only the examples a refusal shows are kept here.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    create_model,
)

from bench.errors import InputError
from bench.text_input import TextProblem, clean_text, hidden_character
from procedures import questions
from procedures.appearance import CHECKLIST
from procedures.errors import AnswerTypeError
from procedures.outgoing import NAME as OUTGOING_INSPECTION
from procedures.prompts import parse_number
from procedures.questions import Kind
from procedures.questions import Question as Definition
from procedures.specs import PackSpec

MAX_DIMENSION_MM = 10_000.0
"""A caliper reading beyond 10 m is a typo (a unit or a decimal point lost), not a pack."""
EXAMPLES = {
    "usage_device": "handheld scanner",
    "appearance.caliper_id": "CAL-0042",
    "appearance.shipment_record": "SH-2026-0113",
    "appearance.production_report": "PR-L2601-07",
    "appearance.dim": "69.0 mm",
}
"""What a refusal suggests writing, by question key (a choice suggests its first option, a photo
a path named after it)."""


@dataclass(frozen=True)
class Question:
    """A question as an answers file answers it: its id, the definition's kind, options and unit,
    and the example a refusal shows."""

    id: str
    kind: Kind
    options: tuple[str, ...] = ()
    unit: str = ""
    example: str = "..."


def _example(definition: Definition) -> str:
    if definition.key in EXAMPLES:
        return EXAMPLES[definition.key]
    if definition.kind == "choice":
        return definition.options[0]
    if definition.kind == "photo":
        return f"photos/{definition.key.rsplit('.', 1)[-1]}.jpg"
    return "..."


def _checked(definition: Definition, question_id: str | None = None) -> Question:
    return Question(
        question_id or definition.key,
        definition.kind,
        definition.options,
        definition.unit,
        _example(definition),
    )


def _fixed(definitions: tuple[Definition, ...]) -> tuple[Question, ...]:
    return tuple(_checked(d) for d in definitions if d.pattern is None)


def _looped(definitions: tuple[Definition, ...]) -> tuple[tuple[re.Pattern[str], Definition], ...]:
    """Questions asked in a loop (``fixture_board_2``, ``cell1_swelling``): checked by pattern."""
    return tuple((d.pattern, d) for d in definitions if d.pattern is not None)


OUTGOING_KEYS = frozenset(f"appearance.visual.{item.name}" for item in CHECKLIST)
"""The outgoing inspection asks the appearance checklist (``procedures.outgoing``) only."""
QUESTIONS: dict[str, tuple[Question, ...]] = {
    "diagnosis": _fixed(questions.DIAGNOSIS),
    "appearance": _fixed(questions.APPEARANCE),
    OUTGOING_INSPECTION: _fixed(tuple(d for d in questions.APPEARANCE if d.key in OUTGOING_KEYS)),
}
PATTERNS: dict[str, tuple[tuple[re.Pattern[str], Definition], ...]] = {
    "diagnosis": _looped(questions.DIAGNOSIS),
    "appearance": _looped(questions.APPEARANCE),
}


def _text(value: str) -> str:
    return clean_text(value, max_length=500)


def _path(value: str) -> str:
    """A picture's path: hidden characters refused, but kept as written (NFKC could turn a
    full-width file name into one that does not exist)."""
    found = hidden_character(value)
    if found is not None:
        raise TextProblem(
            f"contains {found[2]} ({found[1]}) at character {found[0]}",
            "rename the file and give its plain path",
        )
    return value


def _one_of(options: tuple[str, ...]) -> Callable[[str], str]:
    def check(value: str) -> str:
        if value not in options:
            raise ValueError("not a listed choice")
        return value

    return check


def _done(value: bool) -> bool:
    if value is not True:
        raise ValueError("not true")
    return value


def _number(unit: str) -> Callable[[object], object]:
    def check(value: object) -> object:
        text = _text(value) if isinstance(value, str) else value
        try:
            quantity = parse_number(str(text), unit)
        except AnswerTypeError as exc:
            raise ValueError(str(exc)) from None
        magnitude = float(quantity.m_as(unit))
        if not math.isfinite(magnitude) or not 0 < magnitude <= MAX_DIMENSION_MM:
            raise ValueError(f"outside 0 .. {MAX_DIMENSION_MM:g} {unit}")
        return text

    return check


def _annotation(question: Question) -> Any:
    """The pydantic type of one answer (strict: ``1`` is no ``true``, ``5`` no text)."""
    if question.kind == "text":
        return Annotated[StrictStr, AfterValidator(_text)]
    if question.kind == "photo":
        return Annotated[StrictStr, AfterValidator(_path)]
    if question.kind == "choice":
        return Annotated[
            StrictStr, AfterValidator(_text), AfterValidator(_one_of(question.options))
        ]
    if question.kind == "confirm":
        return Annotated[StrictBool, AfterValidator(_done)]
    if question.kind == "yes_no":
        return StrictBool
    return Annotated[StrictStr | StrictInt | StrictFloat, AfterValidator(_number(question.unit))]


def _model(questions: tuple[Question, ...]) -> type[BaseModel]:
    fields: dict[str, Any] = {
        f"q{index}": (_annotation(q) | None, Field(default=None, alias=q.id))
        for index, q in enumerate(questions)
    }
    return create_model(
        "Answers", __config__=ConfigDict(extra="forbid", populate_by_name=False), **fields
    )


_MODELS: dict[tuple[Question, ...], type[BaseModel]] = {}


def _model_for(questions: tuple[Question, ...]) -> type[BaseModel]:
    if questions not in _MODELS:
        _MODELS[questions] = _model(questions)
    return _MODELS[questions]


def _fix(question: Question, value: object, error: dict[str, Any]) -> str:
    """One line: the question id, what is wrong with the value, and the line to write instead."""
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, TextProblem):
        return f"{question.id}: {cause.problem}. Fix: {cause.fix}"
    shown = repr(value)
    if question.kind == "choice":
        return (
            f"{question.id}: {shown} is not one of the listed choices "
            f"({', '.join(question.options)}). Fix: write one of them, e.g. "
            f'{question.id} = "{question.example}"'
        )
    if question.kind in ("text", "photo"):
        what = "text" if question.kind == "text" else "a picture's path"
        return (
            f"{question.id}: {shown} is not {what}. Fix: write it in quotes, e.g. "
            f'{question.id} = "{question.example}"'
        )
    if question.kind == "confirm":
        return (
            f"{question.id}: {shown} is not true. Fix: write {question.id} = true once it is done"
        )
    if question.kind == "yes_no":
        return f"{question.id}: {shown} is not true or false. Fix: write true or false"
    detail = f" ({cause})" if isinstance(cause, ValueError) else ""
    return (
        f"{question.id}: {shown} is not a length in {question.unit}{detail}. Fix: give it like "
        f'"{question.example}" (a bare number is taken in {question.unit})'
    )


def _unknown(question_id: str, procedure: str, known: list[str]) -> str:
    close = difflib.get_close_matches(question_id, known, n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    return (
        f"{question_id}: the {procedure} procedure asks no such question. Fix: {hint}correct the "
        f"id or remove the line (its questions: {', '.join(known)})"
    )


def check_answers_file(
    procedure: str, answers: Mapping[str, object], source: Path | str
) -> dict[str, object]:
    """The answers, validated and normalised, or ``InputError`` listing every problem.

    Procedures without declared questions pass through unchanged.
    """
    questions = QUESTIONS.get(procedure)
    if questions is None:
        return dict(answers)
    patterns = PATTERNS.get(procedure, ())
    by_id = {q.id: q for q in questions}
    problems: list[str] = []
    static: dict[str, object] = {}
    clean: dict[str, object] = {}
    for key, value in answers.items():
        if value is None:
            problems.append(f"{key}: null is not an answer. Fix: give the answer or remove it")
        elif key in by_id:
            static[key] = value
        elif (pattern := next((q for p, q in patterns if p.fullmatch(key)), None)) is not None:
            problems += _validate((_checked(pattern, key),), {key: value}, clean)
        else:
            problems.append(_unknown(key, procedure, [q.id for q in questions]))
    problems += _validate(questions, static, clean)
    if problems:
        listing = "\n  ".join(problems)
        raise InputError(
            f"--answers {source}: {len(problems)} answer(s) refused before anything ran "
            f"(nothing was written):\n  {listing}"
        )
    return clean


def _validate(
    questions: tuple[Question, ...], values: Mapping[str, object], into: dict[str, object]
) -> list[str]:
    by_id = {q.id: q for q in questions}
    try:
        model = _model_for(questions).model_validate(dict(values))
    except ValidationError as exc:
        first: dict[str, dict[str, Any]] = {}  # one line per answer: a union reports each branch
        for error in exc.errors():
            key = str(error["loc"][0]) if error["loc"] else ""
            if key in by_id and error["type"] != "none_required":
                first.setdefault(key, dict(error))
        return [_fix(by_id[key], values.get(key), error) for key, error in first.items()]
    into.update(model.model_dump(by_alias=True, exclude_unset=True))
    return []


def check_dimensions(spec: PackSpec, answers: Mapping[str, object], source: Path | str) -> None:
    """Caliper answers name dimensions of the unit's spec (known only once the unit is)."""
    names = [d.name for d in spec.dimensions]
    for key in answers:
        if key.startswith("appearance.dim.") and key.removeprefix("appearance.dim.") not in names:
            raise InputError(
                f"--answers {source}: {key}: spec {spec.model} has no dimension of that name. "
                f"Fix: use its dimensions ({', '.join(names) or 'none'}) or remove the line"
            )
