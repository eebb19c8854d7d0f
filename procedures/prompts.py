"""Questions a procedure asks the operator, and scripted answers for CI.

Each question has a stable ``question_id`` so a scripted run (or a replay of a real one) can answer
it, and a typed answer so a procedure never parses text: a yes/no is a ``bool``, a number comes
back as a pint quantity in a compatible unit. The terminal and web implementations live in
``bench``; they share ``parse_number`` so "3.7 V" means the same everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pint

from instruments.quantity_field import Problem, QuantityProblem, QuantityRule
from instruments.units import Quantity
from procedures.errors import AbortRequested, AnswerTypeError, MissingAnswer
from procedures.phrases import ENGLISH
from procedures.prompt_catalogue import prompt_messages


@dataclass(frozen=True, slots=True)
class Photo:
    """A picture the operator took: its file name and content (kept as evidence)."""

    name: str
    data: bytes
    path: Path | None = None


class Prompts(Protocol):
    """Every method may raise ``AbortRequested`` when the operator chooses to abort."""

    def confirm(self, question_id: str, text: str) -> None:
        """Show an instruction ("connect the pack to the fixture") and wait until it is done."""
        ...

    def yes_no(self, question_id: str, text: str) -> bool: ...

    def choice(self, question_id: str, text: str, options: Sequence[str]) -> str: ...

    def number(self, question_id: str, text: str, unit: str) -> Quantity:
        """A number with a unit compatible with ``unit`` (a bare number is taken in ``unit``)."""
        ...

    def text(self, question_id: str, text: str) -> str: ...

    def photo(self, question_id: str, text: str) -> Photo: ...


def parse_number(answer: str, unit: str) -> Quantity:
    """Parse an operator's typed number; a bare number is taken in ``unit``.

    Raises ``AnswerTypeError`` with a message fit to show the operator, who is then asked again.
    """
    try:
        return QuantityRule(unit, bare_unit=True).parse(answer)
    except QuantityProblem as problem:
        key = "not_in_unit" if problem.kind is Problem.WRONG_DIMENSION else "not_a_number"
        values = {"answer": repr(answer), "unit": unit}
        message = prompt_messages(ENGLISH)[f"answer.{key}"].format(**values)
        raise AnswerTypeError(message, f"answer.{key}", **values) from None


class _Abort:
    def __repr__(self) -> str:
        return "ScriptedPrompts.ABORT"


class Answers:
    """Several answers to one question id, given in turn (for a question asked in a loop)."""

    def __init__(self, *answers: object) -> None:
        self.remaining = list(answers)


class ScriptedPrompts:
    """Answers from a dict, for CI and for simulator demos.

    Every question must have an answer of the right type: a scripted run that silently made up an
    answer would pass a test for the wrong reason. ``ABORT`` as an answer plays an operator abort.
    ``asked`` lists the question ids in the order they were asked.
    """

    ABORT: object = _Abort()

    def __init__(self, answers: Mapping[str, object]) -> None:
        self._answers = dict(answers)
        self.asked: list[str] = []

    def _answer(self, question_id: str, text: str, kind: str, example: str) -> object:
        self.asked.append(question_id)
        if question_id not in self._answers:
            raise MissingAnswer(
                f"no scripted answer for {kind} question {question_id!r} ({text!r}); "
                f"add {question_id!r}: {example} to the answers"
            )
        answer = self._answers[question_id]
        if isinstance(answer, Answers):
            if not answer.remaining:
                raise MissingAnswer(
                    f"question {question_id!r} ({text!r}) was asked more often than the "
                    f"scripted Answers(...) provide; add another {example}"
                )
            answer = answer.remaining.pop(0)
        if answer is self.ABORT:
            raise AbortRequested(f"operator aborted at question {question_id!r}")
        return answer

    def _wrong(self, question_id: str, kind: str, answer: object, expected: str) -> AnswerTypeError:
        return AnswerTypeError(
            f"scripted answer to {kind} question {question_id!r} is {answer!r}; expected {expected}"
        )

    def confirm(self, question_id: str, text: str) -> None:
        answer = self._answer(question_id, text, "confirm", "True")
        if answer is not True:
            raise self._wrong(question_id, "confirm", answer, "True (done)")

    def yes_no(self, question_id: str, text: str) -> bool:
        answer = self._answer(question_id, text, "yes/no", "True")
        if not isinstance(answer, bool):
            raise self._wrong(question_id, "yes/no", answer, "True or False")
        return answer

    def choice(self, question_id: str, text: str, options: Sequence[str]) -> str:
        answer = self._answer(question_id, text, "choice", repr(options[0]) if options else "''")
        if not isinstance(answer, str) or answer not in options:
            raise self._wrong(question_id, "choice", answer, f"one of {list(options)}")
        return answer

    def number(self, question_id: str, text: str, unit: str) -> Quantity:
        answer = self._answer(question_id, text, "number", f"Q_(1.0, {unit!r})")
        if isinstance(answer, str):
            try:
                return parse_number(answer, unit)
            except AnswerTypeError as exc:
                raise self._wrong(question_id, "number", answer, f"a value in {unit}") from exc
        if not isinstance(answer, pint.Quantity) or not answer.is_compatible_with(unit):
            raise self._wrong(question_id, "number", answer, f"a quantity compatible with {unit}")
        return answer

    def text(self, question_id: str, text: str) -> str:
        answer = self._answer(question_id, text, "text", "'...'")
        if not isinstance(answer, str):
            raise self._wrong(question_id, "text", answer, "a string")
        return answer

    def photo(self, question_id: str, text: str) -> Photo:
        answer = self._answer(question_id, text, "photo", "Path('photo.jpg') or b'...'")
        if isinstance(answer, Photo):
            return answer
        if isinstance(answer, bytes):
            return Photo(f"{question_id}.jpg", answer)
        if isinstance(answer, Path):
            try:
                return Photo(answer.name, answer.read_bytes(), answer)
            except OSError as exc:
                raise self._wrong(question_id, "photo", answer, f"a readable file ({exc})") from exc
        raise self._wrong(question_id, "photo", answer, "a Path, bytes or Photo")
