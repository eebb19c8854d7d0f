"""What each operator question of the shipped procedures is, and how it is shown in a language.

A procedure asks through ``procedures.prompts.Prompts`` with a question id and its English
text, as it always has (the id and the English are what a scripted answers file, a recorded
session and the records know). Here each question id gets its *definition*: its kind, its
options and unit, whether it has a help text, and an optional picture (a shipped SVG or PNG
beside the procedure: where the probes go, how the board fixture is wired, which view to
photograph). The words come from the prompt catalogue ``procedures/locale/prompts/<locale>.json``
(``prompt.<key>`` text, ``prompt.<key>.help``, ``option.<value>``, ``unit.<unit>``,
``image.<name>`` for the picture's description), kept apart from the record catalogue of
``procedures.phrases`` because that one is parsed back from stored text, and an answer option
such as "none" must not become a template every stored "none" matches.

A question's English text may carry values (the cell number, a drawing's dimension): the
catalogue's English template reads them back from the text asked (``phrases.read_with``) and the
other language's template writes them. ``tests/procedures/test_question_catalogue.py`` runs every
shipped procedure, checks every question it asks against its definition (kind, options, unit,
English text = the catalogue's English) and every key in both languages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from procedures.appearance import CHECKLIST, DEFECT_PHOTO, DIMENSION_UNIT, REQUIRED_PHOTOS
from procedures.diagnosis import intake
from procedures.diagnosis.disassembly import CONFIRM_ID, SWELLING_ID, SWELLING_OPTIONS
from procedures.phrases import ENGLISH, read_with
from procedures.prompt_catalogue import prompt_messages as prompt_messages

Kind = Literal["confirm", "yes_no", "choice", "number", "text", "photo"]
LOCALES = (ENGLISH, "zh_CN")
IMAGE_TYPES = {".svg": "image/svg+xml", ".png": "image/png"}
"""The picture formats a question may carry, with the content type the panel serves them as."""
IMAGE_NAME = re.compile(r"[a-z0-9][a-z0-9_]*\.(svg|png)")
NAMED_VALUES = {"dimension": "dimension."}
"""Values in a question's text that are names with words of their own (a drawing's dimension:
``dimension.<name>``); any other value (a number, a tolerance) is carried as asked."""


@dataclass(frozen=True, slots=True)
class Image:
    """A picture shipped in ``<package>/images/<name>``; ``name`` is unique across procedures."""

    package: str
    name: str

    def __post_init__(self) -> None:
        if not IMAGE_NAME.fullmatch(self.name):
            raise ValueError(
                f"image {self.name!r}: use lower-case letters, digits, _ and .svg/.png"
            )

    @property
    def key(self) -> str:
        """The catalogue key of its description (``image.<stem>``)."""
        return f"image.{self.name.rsplit('.', 1)[0]}"

    @property
    def media_type(self) -> str:
        return IMAGE_TYPES[Path(self.name).suffix]

    def data(self) -> bytes:
        return (resources.files(self.package) / "images" / self.name).read_bytes()

    def path(self) -> Path:
        """Where the file lies (the terminal names it so the operator can open it)."""
        return Path(str(resources.files(self.package) / "images" / self.name))


DIAGNOSIS_IMAGES = "procedures.diagnosis"
APPEARANCE_IMAGES = "procedures"
FIXTURE_PICTURES = (
    ("pack", "pack_probes.svg"),
    ("board", "board_fixture.svg"),
    ("cell", "cell_fixture.svg"),
)
"""Each fixture the bench asks the operator to use (``fixture_<name>_<n>``) and its picture."""


@dataclass(frozen=True, slots=True)
class Question:
    """One question as the procedure asks it; ``pattern`` matches ids asked in a loop."""

    key: str
    """Catalogue stem: ``prompt.<key>`` is the text; also the question id unless ``pattern``."""
    kind: Kind
    options: tuple[str, ...] = ()
    unit: str = ""
    image: Image | None = None
    help: bool = False
    """Whether ``prompt.<key>.help`` gives the operator more than the question says."""
    pattern: re.Pattern[str] | None = field(default=None, compare=False)

    def matches(self, question_id: str) -> bool:
        if self.pattern is not None:
            return self.pattern.fullmatch(question_id) is not None
        return question_id == self.key


def _choice(key: str, options: tuple[str, ...], **more: object) -> Question:
    return Question(key, "choice", options, **more)  # type: ignore[arg-type]


DIAGNOSIS: tuple[Question, ...] = (
    Question("usage_device", "text"),
    _choice("usage_charger", intake.CHARGERS),
    _choice("usage_temperature", intake.TEMPERATURES),
    _choice("usage_time_in_use", intake.TIME_IN_USE),
    _choice("usage_location", intake.LOCATIONS),
    _choice("known_good_pack_works", intake.KNOWN_GOOD),
    _choice("pack_swelling", intake.SWELLING, help=True),
    *(
        Question(
            f"fixture_{fixture}",
            "confirm",
            image=Image(DIAGNOSIS_IMAGES, picture),
            help=True,
            pattern=re.compile(rf"fixture_{fixture}_\d{{1,2}}"),
        )
        for fixture, picture in FIXTURE_PICTURES
    ),
    Question(CONFIRM_ID, "confirm", image=Image(DIAGNOSIS_IMAGES, "open_pack.svg"), help=True),
    _choice(SWELLING_ID, SWELLING_OPTIONS, help=True),
    _choice("cell_swelling_each", SWELLING_OPTIONS, pattern=re.compile(r"cell\d{1,2}_swelling")),
)
APPEARANCE: tuple[Question, ...] = (
    Question("appearance.prepare", "confirm"),
    Question("appearance.caliper_id", "text"),
    Question("appearance.shipment_record", "text"),
    Question("appearance.production_report", "text"),
    *(_choice(f"appearance.visual.{item.name}", item.options) for item in CHECKLIST),
    Question(
        "appearance.dim",
        "number",
        unit=DIMENSION_UNIT,
        image=Image(APPEARANCE_IMAGES, "caliper_dimensions.svg"),
        help=True,
        pattern=re.compile(r"appearance\.dim\.[A-Za-z0-9_]+"),
    ),
    *(
        Question(
            f"appearance.photo.{name}",
            "photo",
            image=Image(APPEARANCE_IMAGES, f"view_{name}.svg"),
        )
        for name, _ in (*REQUIRED_PHOTOS, DEFECT_PHOTO)
    ),
)
DEFINITIONS: tuple[Question, ...] = DIAGNOSIS + APPEARANCE
"""Every question of the shipped procedures (the outgoing inspection asks the checklist of the
appearance inspection, under the same ids)."""


def definition(question_id: str) -> Question | None:
    """The definition of ``question_id``, or ``None`` (a procedure outside this catalogue)."""
    return next((q for q in DEFINITIONS if q.matches(question_id)), None)


@cache
def images() -> dict[str, Image]:
    """Every question's picture by its file name: what the panel may serve, and nothing else."""
    found: dict[str, Image] = {}
    for question in DEFINITIONS:
        image = question.image
        if image is None:
            continue
        if found.get(image.name, image) != image:
            raise ValueError(f"two procedures ship a picture named {image.name!r}; rename one")
        found[image.name] = image
    return found


@dataclass(frozen=True, slots=True)
class Shown:
    """A question in one language, ready to draw: every word from the catalogue."""

    text: str
    options: tuple[tuple[str, str], ...]
    """(value, label): the value is what the answer carries; the label what the operator reads."""
    unit: str
    help: str = ""
    image: Image | None = None
    image_text: str = ""


def _named(name: str, value: str, words: dict[str, str]) -> str:
    prefix = NAMED_VALUES.get(name)
    if prefix is None:
        return value
    return words.get(prefix + value.replace(" ", "_"), value)


def option_label(value: str, locale: str) -> str:
    return prompt_messages(locale).get(f"option.{value}", value.replace("_", " "))


def unit_label(unit: str, locale: str) -> str:
    return prompt_messages(locale).get(f"unit.{unit}", unit) if unit else ""


def shown(question_id: str, text: str, options: tuple[str, ...], unit: str, locale: str) -> Shown:
    """The question ``question_id`` (asked with English ``text``) as shown in ``locale``.

    A question without a definition, or whose text is not its catalogue's English (a
    procedure edited without its catalogue; the catalogue test fails on it), is shown as asked.
    """
    found = definition(question_id)
    words = prompt_messages(locale)
    shown_text = text
    if found is not None:
        args = read_with(prompt_messages(ENGLISH)[f"prompt.{found.key}"], text)
        if args is not None:
            named = {name: _named(name, value, words) for name, value in args.items()}
            shown_text = words[f"prompt.{found.key}"].format(**named)
    image = found.image if found is not None else None
    return Shown(
        text=shown_text,
        options=tuple((value, option_label(value, locale)) for value in options),
        unit=unit_label(unit, locale),
        help=words.get(f"prompt.{found.key}.help", "") if found is not None and found.help else "",
        image=image,
        image_text=words.get(image.key, "") if image is not None else "",
    )


TERMINAL_KEYS = (
    "terminal.confirm_hint",
    "terminal.yes_no_hint",
    "terminal.yes_no_again",
    "terminal.choice_again",
    "terminal.photo_hint",
    "terminal.picture",
    "terminal.help",
    "terminal.scripted",
    "terminal.yes",
    "terminal.no",
    "terminal.done",
    "terminal.not_recorded",
)
"""How the terminal asks (``bench.terminal_prompts``): its hints, in the question's language."""


def terminal_words(key: str, locale: str, **args: object) -> str:
    """One of ``TERMINAL_KEYS`` in ``locale``, with ``args``."""
    return prompt_messages(locale)[key].format(**args)


def catalogue_keys(question: Question) -> list[str]:
    """Every key ``question`` needs in each language's catalogue."""
    keys = [f"prompt.{question.key}"]
    keys += [f"prompt.{question.key}.help"] if question.help else []
    keys += [f"option.{value}" for value in question.options]
    keys += [f"unit.{question.unit}"] if question.unit else []
    keys += [question.image.key] if question.image is not None else []
    return keys
