"""Operator questions at the terminal, with scripted answers and ``--yes`` for unattended runs.

Answer order for each question: a scripted answer for its id (``--answers FILE``, the demo's
script), then ``--yes`` defaults, then the keyboard. Scripted and default answers are echoed,
so a CI log shows what was answered on the operator's behalf. Typing ``abort`` at any question
aborts the run (the engine records it as *aborted* and makes the bench safe).

A photo answer in a file is the path of the picture, relative to the answers file, so a CI
fixture folder (answers plus pictures) works wherever it is checked out. TOML answers may be
written as nested tables (``[appearance.dim] length = "69.1 mm"``); they are flattened to the
dotted question ids.

Questions are worded in the station's language (``[station] language``): text, choices, unit and
help from the procedures' prompt catalogue (``procedures.questions``), as on the operator panel.
A question that has a picture names its file when it is asked, so the operator can open it.
"""

from __future__ import annotations

import json
import sys
import tomllib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from bench.errors import InputError
from bench.live import LiveView
from bench.text_input import TextProblem, clean_text
from instruments.units import Quantity
from procedures.errors import AbortRequested, AnswerTypeError, MissingAnswer
from procedures.phrases import ENGLISH
from procedures.prompt_catalogue import answer_problem
from procedures.prompts import Photo, ScriptedPrompts, parse_number
from procedures.questions import Shown, shown, terminal_words

DEFAULT_CHOICES = ("unknown", "not_tried")
"""``--yes`` picks the first of these a choice offers (else its first option): the honest answer
of an unattended run is "not known", not a guess that would steer the diagnosis."""
SCRIPTED = "scripted"
"""An answer from the answers file (``--answers``, the demo's), said ``terminal.scripted``."""
ABORT_WORDS = ("abort", "a!")
YES_WORDS = ("y", "yes", "是")
NO_WORDS = ("n", "no", "否")


def load_answers(path: Path | str) -> dict[str, object]:
    """Question id -> answer from a JSON or TOML file (numbers as ``"3.7 V"`` strings)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
        data = json.loads(text) if file.suffix == ".json" else tomllib.loads(text)
    except (OSError, ValueError) as exc:
        raise InputError(
            f"--answers {file}: cannot read it ({exc}); give a JSON or TOML file "
            'of question_id = answer, e.g. usage_charger = "original"'
        ) from exc
    if not isinstance(data, dict):
        raise InputError(f"--answers {file}: expected a table of question_id = answer")
    return _flatten(data)


def _flatten(table: Mapping[str, object], prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def photo_path(answer: str, base_dir: Path | None) -> Path:
    """Where a photo named in an answers file lies: relative paths start at that file's folder."""
    path = Path(answer).expanduser()
    return path if path.is_absolute() or base_dir is None else base_dir / path


class TerminalPrompts:
    """A ``procedures.prompts.Prompts`` for a person at a terminal (or a script standing in)."""

    def __init__(
        self,
        *,
        answers: Mapping[str, object] | None = None,
        yes: bool = False,
        view: LiveView | None = None,
        read_line: Callable[[], str] | None = None,
        out: TextIO | None = None,
        base_dir: Path | None = None,
        locale: str = ENGLISH,
    ) -> None:
        self.answers = dict(answers or {})
        self.locale = locale
        """The station's language: every question's words are taken in it."""
        self.base_dir = base_dir
        """Folder of the answers file: relative photo paths in it start there."""
        self.scripted = ScriptedPrompts(answers or {})
        self.script_ids = set(answers or {})
        self.yes = yes
        self.view = view
        self.out = out or (view.out if view is not None else sys.stdout)
        self._read_line = read_line or sys.stdin.readline

    # plumbing
    def _say(self, text: str) -> None:
        if self.view is not None:
            self.view.clear()
        self.out.write(text)
        self.out.flush()

    def _echo(self, text: str, answer: object, how: str) -> None:
        """The question and the answer given for the operator (``how``: ``scripted`` or
        ``--yes``, the option as typed); the answer as given (a number, a path, free text)."""
        if how == SCRIPTED:
            how = self._hint("terminal.scripted")
        self._say(f"  ? {text}\n    -> {answer} ({how})\n")

    def _word(self, answer: str) -> str:
        """``yes``, ``no``, ``done``, ``not recorded``: an answer the terminal words itself."""
        return self._hint(f"terminal.{answer.replace(' ', '_')}")

    def _option(self, words: Shown, answer: str) -> str:
        """A choice's answer: its value in English (what an answers file holds), else its label
        (as the choice is listed)."""
        return answer if self.locale == ENGLISH else dict(words.options).get(answer, answer)

    def _words(
        self, question_id: str, text: str, options: Sequence[str] = (), unit: str = ""
    ) -> Shown:
        return shown(question_id, text, tuple(options), unit, self.locale)

    def _hint(self, key: str, **args: object) -> str:
        return terminal_words(key, self.locale, **args)

    def _ask(self, question_id: str, words: Shown, hint: str) -> str:
        extra = ""
        if words.help:
            extra += "\n    " + self._hint("terminal.help", help=words.help)
        if words.image is not None:
            picture = self._hint(
                "terminal.picture", path=words.image.path(), description=words.image_text
            )
            extra += f"\n    {picture}"
        self._say(f"  ? {words.text} {hint}{extra}\n    > ")
        line = self._read_line()
        if line == "":
            raise AbortRequested(
                f"no answer to {question_id!r}: standard input is closed; run with --yes or "
                "--answers FILE when nobody is at the terminal"
            )
        answer = line.strip()
        if answer.lower() in ABORT_WORDS:
            raise AbortRequested(f"operator aborted at question {question_id!r}")
        return answer

    def _from_script(self, question_id: str) -> bool:
        return question_id in self.script_ids

    # Prompts
    def confirm(self, question_id: str, text: str) -> None:
        words = self._words(question_id, text)
        if self._from_script(question_id):
            self.scripted.confirm(question_id, text)
            self._echo(words.text, self._word("done"), SCRIPTED)
        elif self.yes:
            self._echo(words.text, self._word("done"), "--yes")
        else:
            self._ask(question_id, words, self._hint("terminal.confirm_hint"))

    def yes_no(self, question_id: str, text: str) -> bool:
        words = self._words(question_id, text)
        if self._from_script(question_id):
            answer = self.scripted.yes_no(question_id, text)
            self._echo(words.text, self._word("yes" if answer else "no"), SCRIPTED)
            return answer
        if self.yes:
            self._echo(words.text, self._word("yes"), "--yes")
            return True
        while True:
            reply = self._ask(question_id, words, self._hint("terminal.yes_no_hint")).lower()
            if reply in YES_WORDS:
                return True
            if reply in NO_WORDS:
                return False
            self._say(f"    {self._hint('terminal.yes_no_again')}\n")

    def choice(self, question_id: str, text: str, options: Sequence[str]) -> str:
        words = self._words(question_id, text, options)
        if self._from_script(question_id):
            answer = self.scripted.choice(question_id, text, options)
            self._echo(words.text, self._option(words, answer), SCRIPTED)
            return answer
        if self.yes:
            answer = next((o for o in DEFAULT_CHOICES if o in options), options[0])
            self._echo(words.text, self._option(words, answer), "--yes")
            return answer
        # in English the value itself is listed (it is what an answers file holds); in another
        # language its label; either, or the number, is taken
        shown_as = {
            value: value if self.locale == ENGLISH else label for value, label in words.options
        }
        by_label = {label: value for value, label in words.options}
        listing = "  ".join(f"{i}) {shown_as[o]}" for i, o in enumerate(options, 1))
        while True:
            reply = self._ask(question_id, words, f"\n    {listing}")
            if reply.isdigit() and 1 <= int(reply) <= len(options):
                return options[int(reply) - 1]
            if reply in options:
                return reply
            if reply in by_label:
                return by_label[reply]
            again = self._hint(
                "terminal.choice_again",
                count=len(options),
                options=", ".join(shown_as[o] for o in options),
            )
            self._say(f"    {again}\n")

    def number(self, question_id: str, text: str, unit: str) -> Quantity:
        if self._from_script(question_id):
            answer = self.scripted.number(question_id, text, unit)
            self._echo(self._words(question_id, text, unit=unit).text, answer, SCRIPTED)
            return answer
        if self.yes:
            raise MissingAnswer(
                f"--yes cannot invent a number for {question_id!r} ({text!r}); give it in "
                f'--answers, e.g. {question_id} = "1.0 {unit}"'
            )
        words = self._words(question_id, text, unit=unit)
        while True:
            try:
                return parse_number(self._ask(question_id, words, f"[{words.unit}]"), unit)
            except AnswerTypeError as exc:
                self._say(f"    {answer_problem(exc, self.locale)}\n")

    def text(self, question_id: str, text: str) -> str:
        if self._from_script(question_id):
            answer = self.scripted.text(question_id, text)
            self._echo(self._words(question_id, text).text, answer, SCRIPTED)
            return answer
        if self.yes:
            self._echo(self._words(question_id, text).text, self._word("not recorded"), "--yes")
            return "not recorded"
        while True:  # typed text is kept as NFKC, and asked again if it hides a character
            try:
                reply = self._ask(question_id, self._words(question_id, text), "")
                return clean_text(reply, max_length=500)
            except TextProblem as exc:
                self._say(f"    {exc}\n")

    def photo(self, question_id: str, text: str) -> Photo:
        if self._from_script(question_id):
            answer = self.answers[question_id]
            if not isinstance(answer, str):
                return self.scripted.photo(question_id, text)
            path = photo_path(answer, self.base_dir)
            try:
                photo = Photo(path.name, path.read_bytes(), path)
            except OSError as exc:
                raise MissingAnswer(
                    f"photo {question_id!r}: cannot read {path} ({exc.strerror}); give the path "
                    "of the picture, relative to the answers file"
                ) from exc
            self._echo(self._words(question_id, text).text, path, SCRIPTED)
            return photo
        if self.yes:
            raise MissingAnswer(
                f"--yes cannot take a photo for {question_id!r}; give a file in --answers"
            )
        while True:
            words = self._words(question_id, text)
            hint = self._hint("terminal.photo_hint")
            path = Path(self._ask(question_id, words, hint)).expanduser()
            try:
                return Photo(path.name, path.read_bytes(), path)
            except OSError as exc:
                self._say(f"    cannot read {path}: {exc.strerror}\n")
