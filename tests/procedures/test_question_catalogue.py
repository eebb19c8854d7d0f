"""Every question of every shipped procedure: defined, worded from the catalogue in en and zh_CN.

The shipped procedures are run (the diagnosis on the simulated bench with an operator moving the
unit between fixtures, so the fixture questions are asked too, on faults that open the pack;
the appearance inspection on every shipped spec with a defect found, so the close-up is asked;
the outgoing inspection) with prompts that record each question as it is asked. Each one must
have a definition whose kind, options and unit are the ones asked, whose catalogue English is
the text the procedure asked, and whose every key (text, help, options, unit, picture) is in
both catalogues with the same placeholders. A key missing in either language fails here.
"""

from __future__ import annotations

import json
import xml.dom.minidom
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import pytest
import test_appearance
import test_outgoing
from test_appearance import answers as appearance_answers
from test_appearance import run as run_appearance
from test_diagnosis_matrix import ANSWERS, SimRun, operator_looks, simulated_bench
from test_outgoing import inspect

from instruments.units import Quantity
from procedures.appearance import CHECKLIST
from procedures.diagnosis.fixtures import ControlFixtures, FixtureName, OperatorFixtures
from procedures.diagnosis.sequence import build_diagnosis
from procedures.engine import run_procedure
from procedures.memory_recorder import MemoryRecorder
from procedures.phrases import placeholders, read_with
from procedures.prompt_catalogue import ANSWER_KEYS
from procedures.prompts import Photo, ScriptedPrompts
from procedures.questions import (
    DEFINITIONS,
    LOCALES,
    TERMINAL_KEYS,
    Question,
    catalogue_keys,
    definition,
    images,
    prompt_messages,
    shown,
)
from procedures.specs import load_builtin_specs


@dataclass(frozen=True)
class Asked:
    question_id: str
    kind: str
    text: str
    options: tuple[str, ...] = ()
    unit: str = ""


class Walker:
    """Scripted answers, and every question as it was asked (id, kind, text, options, unit)."""

    def __init__(self, answers: dict[str, object]) -> None:
        self.scripted = ScriptedPrompts(answers)
        self.asked: list[Asked] = []

    def confirm(self, question_id: str, text: str) -> None:
        self.asked.append(Asked(question_id, "confirm", text))
        if question_id.startswith("fixture_"):
            return  # the operator moved the unit (the simulator's fixture moves it too)
        self.scripted.confirm(question_id, text)

    def yes_no(self, question_id: str, text: str) -> bool:
        self.asked.append(Asked(question_id, "yes_no", text))
        return self.scripted.yes_no(question_id, text)

    def choice(self, question_id: str, text: str, options: Sequence[str]) -> str:
        self.asked.append(Asked(question_id, "choice", text, tuple(options)))
        return self.scripted.choice(question_id, text, options)

    def number(self, question_id: str, text: str, unit: str) -> Quantity:
        self.asked.append(Asked(question_id, "number", text, unit=unit))
        return self.scripted.number(question_id, text, unit)

    def text(self, question_id: str, text: str) -> str:
        self.asked.append(Asked(question_id, "text", text))
        return self.scripted.text(question_id, text)

    def photo(self, question_id: str, text: str) -> Photo:
        self.asked.append(Asked(question_id, "photo", text))
        return self.scripted.photo(question_id, text)


class OperatorAndControl:
    """A real bench's operator asked to move the unit, and the simulator's fixture moved too."""

    def __init__(self, run: SimRun, prompts: Walker) -> None:
        self.control = ControlFixtures(run.clock)
        self.operator = OperatorFixtures(prompts)

    def move_to(self, name: FixtureName, cell_index: int = 0) -> None:
        self.operator.move_to(name, cell_index)
        self.control.move_to(name, cell_index)


def diagnosis_questions(fault: str) -> list[Asked]:
    with simulated_bench(fault) as run:
        walker = Walker({**ANSWERS, **operator_looks(run)})  # a swollen pack: what is seen
        procedure = build_diagnosis(OperatorAndControl(run, walker))
        run_procedure(
            procedure,
            instruments=run.instruments,
            recorder=MemoryRecorder(),
            prompts=walker,
            clock=run.clock,
            spec=run.spec,
            run_info=procedure.run_info(
                station="sim", operator="ci", spec=run.spec.model, unit_serial="S"
            ),
            handle_signals=False,
        )
    return walker.asked


def appearance_questions() -> list[Asked]:
    """The appearance inspection on every shipped spec (its own drawing), a defect found."""
    asked: list[Asked] = []
    for spec in load_builtin_specs().values():
        answers = appearance_answers(appearance__visual__dents="minor")
        answers["appearance.photo.defect_closeup"] = Photo("close.jpg", b"\xff\xd8\xff\xe0")
        for dim in spec.dimensions:
            answers[f"appearance.dim.{dim.name}"] = dim.nominal
        walker = Walker(answers)
        with pytest.MonkeyPatch.context() as patch:  # its scripted prompts, walking
            patch.setattr(test_appearance, "ScriptedPrompts", lambda _answers, w=walker: w)
            run_appearance({}, spec)
        asked += walker.asked
    return asked


def outgoing_questions() -> list[Asked]:
    walker = Walker({f"appearance.visual.{item.name}": item.passing[0] for item in CHECKLIST})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(test_outgoing, "ScriptedPrompts", lambda _answers: walker)
        for spec in load_builtin_specs().values():
            if spec.outgoing is not None:
                inspect(spec)
    return walker.asked


def check(asked: Asked) -> list[str]:
    """What is wrong with ``asked`` against its definition and the catalogues (empty: nothing)."""
    found = definition(asked.question_id)
    if found is None:
        return [f"{asked.question_id}: no definition in procedures/questions.py"]
    problems: list[str] = []
    if (found.kind, found.options, found.unit) != (asked.kind, asked.options, asked.unit):
        problems.append(
            f"{asked.question_id}: defined as {(found.kind, found.options, found.unit)}, "
            f"asked as {(asked.kind, asked.options, asked.unit)}"
        )
    english = prompt_messages("en")[f"prompt.{found.key}"]
    if read_with(english, asked.text) is None:
        problems.append(f"{asked.question_id}: asked {asked.text!r}, catalogue says {english!r}")
    for locale in LOCALES:
        view = shown(asked.question_id, asked.text, asked.options, asked.unit, locale)
        if locale != "en" and view.text == asked.text:
            problems.append(f"{asked.question_id}: shown untranslated in {locale}")
        if found.help and not view.help:
            problems.append(f"{asked.question_id}: no help in {locale}")
    return problems


@pytest.fixture(scope="module")
def every_question() -> list[Asked]:
    asked = diagnosis_questions("aged_cell") + diagnosis_questions("healthy")
    asked += diagnosis_questions("swollen_cell")  # the looks at a bulging pack and its cells
    return asked + appearance_questions() + outgoing_questions()


def test_every_question_asked_is_defined_and_worded_from_both_catalogues(
    every_question: list[Asked],
) -> None:
    problems = [p for asked in every_question for p in check(asked)]
    assert problems == []


def test_the_walk_reaches_every_definition(every_question: list[Asked]) -> None:
    """No definition is left unexercised (a definition no procedure asks is a stale one)."""
    reached = {definition(a.question_id) for a in every_question}
    assert [q.key for q in DEFINITIONS if q not in reached] == []
    kinds = {a.kind for a in every_question}
    assert {"confirm", "choice", "text", "number", "photo"} <= kinds
    assert any(a.question_id.startswith("fixture_cell_") for a in every_question)


@pytest.mark.parametrize("question", DEFINITIONS, ids=lambda q: q.key)
@pytest.mark.parametrize("locale", LOCALES)
def test_every_key_of_every_question_is_in_each_catalogue(question: Question, locale: str) -> None:
    words = prompt_messages(locale)
    missing = [key for key in catalogue_keys(question) if key not in words]
    assert missing == [], f"procedures/locale/prompts/{locale}.json lacks {missing}"
    for key in catalogue_keys(question):
        assert sorted(placeholders(words[key])) == sorted(
            placeholders(prompt_messages("en")[key])
        ), key
        if locale != "en" and not key.startswith("unit."):
            assert words[key] != prompt_messages("en")[key], f"{key} is not translated"


@pytest.mark.parametrize("locale", LOCALES)
def test_no_key_is_written_twice(locale: str) -> None:
    """A key written twice in a JSON file silently keeps the last text."""
    path = resources.files("procedures") / "locale" / "prompts" / f"{locale}.json"
    pairs: list[tuple[str, object]] = []
    json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=pairs.extend)
    keys = [key for key, _ in pairs]
    assert sorted({k for k in keys if keys.count(k) > 1}) == []


def test_both_catalogues_hold_the_same_keys_and_no_orphans() -> None:
    en, zh = prompt_messages("en"), prompt_messages("zh_CN")
    assert sorted(set(en) ^ set(zh)) == []
    for key in (*TERMINAL_KEYS, *ANSWER_KEYS):
        assert sorted(placeholders(en[key])) == sorted(placeholders(zh[key])), key
        assert en[key] != zh[key], key
    needed = {key for question in DEFINITIONS for key in catalogue_keys(question)}
    needed |= {*TERMINAL_KEYS, *ANSWER_KEYS}
    needed |= {f"dimension.{d.name}" for s in load_builtin_specs().values() for d in s.dimensions}
    assert sorted(set(en) - needed) == []


@pytest.mark.parametrize("name", sorted(images()))
def test_every_picture_is_shipped_well_formed_and_described(name: str) -> None:
    image = images()[name]
    data = image.data()
    assert image.path().is_file()
    if name.endswith(".svg"):
        document = xml.dom.minidom.parseString(data)
        root = document.documentElement
        assert root is not None
        assert root.tagName == "svg" and root.getAttribute("viewBox")
        assert not document.getElementsByTagName("script"), "a shipped picture runs no script"
        assert b"http://" not in data.replace(b"http://www.w3.org/2000/svg", b"")
    else:
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
    for locale in LOCALES:
        assert prompt_messages(locale)[image.key]


def test_the_prompt_catalogue_is_separate_from_the_record_catalogue() -> None:
    """An option such as "none" must never become a record template (``phrases.parse``)."""
    records = json.loads(
        (resources.files("procedures") / "locale" / "en.json").read_text(encoding="utf-8")
    )
    assert not set(records) & set(prompt_messages("en"))


def test_a_value_in_a_question_is_carried_into_the_other_language() -> None:
    view = shown(
        "fixture_cell_2",
        "Place the unit on the cell fixture, cell 3 (parallel strip lifted).",
        (),
        "",
        "zh_CN",
    )
    assert view.text == "将样品放到电芯夹具上，第 3 节电芯（并联镍片已挑起）。"
    assert view.image is not None and view.image.name == "cell_fixture.svg"
    choice = shown(
        "usage_charger", "Which charger was used?", ("original", "third_party"), "", "zh_CN"
    )
    assert choice.options == (("original", "原装"), ("third_party", "第三方"))


@pytest.mark.parametrize("locale", LOCALES)
def test_every_shipped_dimension_is_named_in_each_language(locale: str) -> None:
    for spec in load_builtin_specs().values():
        for dim in spec.dimensions:
            assert f"dimension.{dim.name}" in prompt_messages(locale), (spec.model, dim.name)
    view = shown(
        "appearance.dim.lead_length",
        "Measure the lead length (drawing lead length: 60 mm -5 mm/+5 mm)",
        (),
        "mm",
        "zh_CN",
    )
    if locale == "zh_CN":
        assert view.text == "测量引线长度（图纸：lead length: 60 mm -5 mm/+5 mm）"


def test_a_question_outside_the_catalogue_is_shown_as_asked() -> None:
    view = shown("custom.check", "Is the fan running?", ("on_hold",), "rpm", "zh_CN")
    assert (view.text, view.options, view.unit, view.image) == (
        "Is the fan running?",
        (("on_hold", "on hold"),),
        "rpm",
        None,
    )
