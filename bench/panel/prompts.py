"""The procedure's questions asked on the operator panel, answered from the page.

A question is published on the hub with everything the page needs to draw it from the
procedure's own definition: its kind (confirm, yes/no, choice, number, text, photo), the
options, the unit a number is taken in. The run waits until a page answers; the answer is
checked here, on the server, as the terminal checks a typed one (``parse_number``,
``clean_text``), so a wrong answer is refused with the reason and the question stays open.
While it waits the run can be aborted: by the panel's button (the abort switch) or by Ctrl-C at
the terminal that started the panel (the engine's signal guard interrupts the wait).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pint

from bench.abort_switch import AbortSwitch
from bench.cli_words import read_back
from bench.panel.hub import EventHub
from bench.panel.i18n import panel_messages
from bench.text_input import TextProblem, clean_text
from instruments.units import Quantity
from procedures.appearance import PHOTO_MAGIC
from procedures.errors import AnswerTypeError
from procedures.prompt_catalogue import answer_problem
from procedures.prompts import Photo, parse_number
from procedures.questions import LOCALES, option_label, shown

TEXT_LENGTH = 500
"""As at the terminal: typed text is kept to 500 characters."""
PHOTO_BYTES = 25 * 1024 * 1024
WAIT_SLICE_S = 0.1
"""How often a waiting question looks at the abort switch."""
YES, NO = "yes", "no"
IMAGE_PATH = "/prompt-images"
"""Where the panel serves the questions' pictures (``bench.panel.app``)."""


class AnswerRefused(ValueError):
    """The answer does not fit the question; the message says why, the question stays open.

    ``words`` says it in every language a page may show (the request that answered is told in
    its page's language: ``bench.panel.app``); the message is the English one."""

    def __init__(self, words: dict[str, str]) -> None:
        super().__init__(words[LOCALES[0]])
        self.words = words

    @classmethod
    def said(cls, key: str, **values: object) -> AnswerRefused:
        """A refusal worded by the panel catalogue's ``key``."""
        return cls({loc: panel_messages(loc)[key].format(**values) for loc in LOCALES})

    def shown(self, locale: str) -> str:
        return self.words.get(locale, str(self))


class PromptGone(LookupError):
    """The question was answered already, or the run moved on (another tab answered it)."""


@dataclass
class OpenPrompt:
    """One question the run waits on."""

    question_id: str
    kind: str
    text: str
    options: tuple[str, ...] = ()
    unit: str = ""
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    answered: threading.Event = field(default_factory=threading.Event)
    value: object = None

    def public(self) -> dict[str, Any]:
        """The question as published: as asked, and in every language the page may show.

        Pages in English and in Chinese may watch the same run, so each language's words
        travel with the event (``procedures.questions.shown``, every word from the prompt
        catalogue) and each page draws its own; the picture is named by its file, which the
        panel serves from the procedure's package (``/prompt-images/<name>``).
        """
        words = {
            locale: shown(self.question_id, self.text, self.options, self.unit, locale)
            for locale in LOCALES
        }
        image = words[LOCALES[0]].image
        return {
            "id": self.id,
            "question_id": self.question_id,
            "kind": self.kind,
            "text": self.text,
            "options": list(self.options),
            "unit": self.unit,
            "image": None if image is None else f"{IMAGE_PATH}/{image.name}",
            "shown": {
                locale: {
                    "text": view.text,
                    "options": [{"value": v, "label": label} for v, label in view.options],
                    "unit": view.unit,
                    "help": view.help,
                    "image_text": view.image_text,
                }
                for locale, view in words.items()
            },
        }


def convert(prompt: OpenPrompt, answer: str | None, photo: Photo | None) -> object:
    """The typed answer the procedure expects, or ``AnswerRefused`` with the reason."""
    kind = prompt.kind
    if kind == "photo":
        if photo is None or not photo.data:
            raise AnswerRefused.said("panel.refusal.no_picture")
        if len(photo.data) > PHOTO_BYTES:
            raise AnswerRefused.said("panel.refusal.too_big", mb=PHOTO_BYTES // 2**20)
        if not photo.data.startswith(PHOTO_MAGIC):
            raise AnswerRefused.said("panel.refusal.not_image", name=photo.name)
        return photo
    if kind == "confirm":
        return None
    text = (answer or "").strip()
    if kind == "yes_no":
        if text not in (YES, NO):
            raise AnswerRefused.said("panel.refusal.yes_no")
        return text == YES
    if kind == "choice":
        if text not in prompt.options:
            raise AnswerRefused(
                {
                    loc: panel_messages(loc)["panel.refusal.one_of"].format(
                        options=", ".join(
                            o if loc == LOCALES[0] else option_label(o, loc) for o in prompt.options
                        )
                    )
                    for loc in LOCALES
                }
            )
        return text
    if kind == "number":
        try:
            return parse_number(text, prompt.unit)
        except AnswerTypeError as exc:
            raise AnswerRefused({loc: answer_problem(exc, loc) for loc in LOCALES}) from None
    try:
        return clean_text(answer or "", max_length=TEXT_LENGTH)
    except TextProblem as exc:  # worded in English (bench.text_input): read back in each
        said = {loc: read_back(str(exc), loc, "text_problem.") for loc in LOCALES}
        raise AnswerRefused(said) from None


class WebPrompts:
    """A ``procedures.prompts.Prompts`` whose operator is at the panel."""

    def __init__(self, hub: EventHub, switch: AbortSwitch) -> None:
        self.hub = hub
        self.switch = switch
        self._lock = threading.Lock()
        self._open: OpenPrompt | None = None

    @property
    def current(self) -> OpenPrompt | None:
        with self._lock:
            return self._open

    def answer(self, prompt_id: str, answer: str | None, photo: Photo | None = None) -> None:
        """Give the open question its answer (from the page's request thread)."""
        with self._lock:
            prompt = self._open
            if prompt is None or prompt.id != prompt_id or prompt.answered.is_set():
                raise PromptGone(prompt_id)
            prompt.value = convert(prompt, answer, photo)
            prompt.answered.set()

    def _ask(self, prompt: OpenPrompt) -> object:
        self.switch.check()
        with self._lock:
            self._open = prompt
        self.hub.publish("prompt", **prompt.public())
        try:
            while not prompt.answered.wait(WAIT_SLICE_S):
                self.switch.check()
        finally:
            with self._lock:
                self._open = None
            self.hub.publish("prompt_closed", id=prompt.id, answered=prompt.answered.is_set())
        return prompt.value

    # Prompts
    def confirm(self, question_id: str, text: str) -> None:
        self._ask(OpenPrompt(question_id, "confirm", text))

    def yes_no(self, question_id: str, text: str) -> bool:
        return bool(self._ask(OpenPrompt(question_id, "yes_no", text, (YES, NO))))

    def choice(self, question_id: str, text: str, options: Sequence[str]) -> str:
        return str(self._ask(OpenPrompt(question_id, "choice", text, tuple(options))))

    def number(self, question_id: str, text: str, unit: str) -> Quantity:
        value = self._ask(OpenPrompt(question_id, "number", text, unit=unit))
        assert isinstance(value, pint.Quantity)
        return value

    def text(self, question_id: str, text: str) -> str:
        return str(self._ask(OpenPrompt(question_id, "text", text)))

    def photo(self, question_id: str, text: str) -> Photo:
        value = self._ask(OpenPrompt(question_id, "photo", text))
        assert isinstance(value, Photo)
        return value
