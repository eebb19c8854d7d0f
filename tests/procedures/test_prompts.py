from __future__ import annotations

from pathlib import Path

import pytest

from instruments.units import Q_
from procedures.errors import AbortRequested, AnswerTypeError, MissingAnswer
from procedures.prompts import Answers, Photo, ScriptedPrompts, parse_number


def test_typed_answers_come_back_typed():
    prompts = ScriptedPrompts(
        {
            "connected": True,
            "works_in_device": False,
            "charger": "original",
            "temperature": Q_(25, "degC"),
            "voltage_typed": "3712 mV",
            "notes": "dropped once",
            "photo": b"\xff\xd8",
        }
    )
    prompts.confirm("connected", "Connect the pack")
    assert prompts.yes_no("works_in_device", "Does a good pack work?") is False
    assert prompts.choice("charger", "Charger?", ["original", "third party"]) == "original"
    assert prompts.number("temperature", "Ambient?", "degC") == Q_(25, "degC")
    assert prompts.number("voltage_typed", "Reading?", "V").to("V").magnitude == pytest.approx(
        3.712
    )
    assert prompts.text("notes", "Notes?") == "dropped once"
    assert prompts.photo("photo", "Photo of the label") == Photo("photo.jpg", b"\xff\xd8")
    assert prompts.asked == [
        "connected",
        "works_in_device",
        "charger",
        "temperature",
        "voltage_typed",
        "notes",
        "photo",
    ]


def test_missing_answer_names_the_question_and_the_fix():
    prompts = ScriptedPrompts({})
    with pytest.raises(MissingAnswer) as caught:
        prompts.yes_no("swollen", "Is the pack swollen?")
    text = str(caught.value)
    assert "'swollen'" in text and "Is the pack swollen?" in text
    assert "add 'swollen': True to the answers" in text


@pytest.mark.parametrize(
    ("method", "args", "answer", "expected"),
    [
        ("yes_no", (), "yes", "True or False"),
        ("confirm", (), False, "True"),
        ("choice", (["a", "b"],), "c", "one of ['a', 'b']"),
        ("number", ("V",), Q_(2, "A"), "compatible with V"),
        ("number", ("V",), 3.7, "compatible with V"),
        ("number", ("V",), "3.7 A", "a value in V"),
        ("text", (), 12, "a string"),
        ("photo", (), "photo.jpg", "a Path, bytes or Photo"),
    ],
)
def test_wrong_answer_type_raises(method, args, answer, expected):
    prompts = ScriptedPrompts({"q": answer})
    with pytest.raises(AnswerTypeError, match="question 'q'") as caught:
        getattr(prompts, method)("q", "?", *args)
    assert expected in str(caught.value)


def test_abort_answer_raises_abort_requested():
    prompts = ScriptedPrompts({"q": ScriptedPrompts.ABORT})
    with pytest.raises(AbortRequested, match="operator aborted at question 'q'"):
        prompts.number("q", "Voltage?", "V")


def test_repeated_question_takes_answers_in_turn():
    prompts = ScriptedPrompts({"retry": Answers(True, True, False)})
    assert [prompts.yes_no("retry", "Again?") for _ in range(3)] == [True, True, False]
    with pytest.raises(MissingAnswer, match="asked more often"):
        prompts.yes_no("retry", "Again?")


def test_photo_from_a_file(tmp_path: Path):
    picture = tmp_path / "label.jpg"
    picture.write_bytes(b"JPEG")
    prompts = ScriptedPrompts({"p": picture, "missing": tmp_path / "nope.jpg"})
    assert prompts.photo("p", "Label") == Photo("label.jpg", b"JPEG", picture)
    with pytest.raises(AnswerTypeError, match="a readable file"):
        prompts.photo("missing", "Label")


@pytest.mark.parametrize(
    ("typed", "unit", "expected"),
    [("3.7", "V", Q_(3.7, "V")), ("3700 mV", "V", Q_(3700, "mV")), (" 25 ", "degC", None)],
)
def test_parse_number_takes_bare_numbers_in_the_asked_unit(typed, unit, expected):
    value = parse_number(typed, unit)
    if expected is None:
        assert value.to("degC").magnitude == pytest.approx(25)
    else:
        assert value == expected


@pytest.mark.parametrize("typed", ["", "three volts", "3.7 A", "4 +"])
def test_parse_number_rejects_nonsense(typed):
    with pytest.raises(AnswerTypeError):
        parse_number(typed, "V")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("three volts", "'three volts' is not a number; type e.g. '3.7 V'"),
        ("3.7 A", "'3.7 A' is not in V (or a compatible unit such as mV)"),
    ],
)
def test_parse_number_tells_the_operator_what_to_type(typed, message):
    with pytest.raises(AnswerTypeError) as caught:
        parse_number(typed, "V")
    assert str(caught.value) == message


def test_parse_number_reads_a_temperature_typed_with_its_offset_unit():
    assert parse_number("20 degC", "degC") == Q_(20.0, "degC")
