from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from unit_text import assert_unit_texts_round_trip

from instruments.units import Q_
from procedures.appearance import CHECKLIST, REQUIRED_PHOTOS, appearance_procedure
from procedures.clock import RealClock
from procedures.context import BenchInstruments
from procedures.engine import RunResult, run_procedure
from procedures.errors import SpecError
from procedures.memory_recorder import MemoryRecorder
from procedures.prompts import Photo, ScriptedPrompts
from procedures.records import Verdict
from procedures.specs import PackSpec, builtin_spec, load_spec

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(200))
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(100))
SPEC = builtin_spec("PB-1S2P-18650-5200")


def answers(**overrides: object) -> dict[str, object]:
    good: dict[str, object] = {
        "appearance.prepare": True,
        "appearance.caliper_id": "CAL-0042",
        "appearance.shipment_record": "SH-2026-0113",
        "appearance.production_report": "PR-L2601-07",
        "appearance.dim.length": "69.2 mm",
        "appearance.dim.width": Q_(3.76, "cm"),
        "appearance.dim.thickness": "18.9",  # bare number: millimetres
        "appearance.dim.lead_length": Q_(61.0, "mm"),
    }
    for item in CHECKLIST:
        good[f"appearance.visual.{item.name}"] = item.passing[0]
    for name, _ in REQUIRED_PHOTOS:
        good[f"appearance.photo.{name}"] = Photo(f"{name}.jpg", JPEG)
    good.update({k.replace("__", "."): v for k, v in overrides.items()})
    return good


def run(prompts: dict[str, object], spec: PackSpec = SPEC) -> tuple[RunResult, MemoryRecorder]:
    procedure = appearance_procedure()
    recorder = MemoryRecorder()
    result = run_procedure(
        procedure,
        instruments=BenchInstruments(),
        recorder=recorder,
        prompts=ScriptedPrompts(prompts),
        clock=RealClock(),
        spec=spec,
        run_info=procedure.run_info(
            station="qa-desk", operator="li", spec=spec.model, unit_serial="SN1"
        ),
        handle_signals=False,
    )
    return result, recorder


def conclusions(result: RunResult) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for c in result.outcome.conclusions:
        found.setdefault(c.kind, []).append(c)
    return found


def test_a_clean_pack_passes_with_every_reading_photo_and_lot_record():
    result, recorder = run(answers())
    assert result.verdict is Verdict.PASS
    length = result.measurement("length")
    assert (length.value, length.unit, length.limits.low, length.limits.high) == (
        pytest.approx(69.2),
        "mm",
        pytest.approx(68.0),
        pytest.approx(70.0),
    )
    assert result.measurement("width").value == pytest.approx(37.6)  # 3.76 cm in mm
    assert length.instrument == "caliper CAL-0042"
    assert result.measurement("shipment_record_ref").text_value == "SH-2026-0113"
    photos = result.step("photographs").attachments
    assert [name for name, _ in photos] == [f"{n}.jpg" for n, _ in REQUIRED_PHOTOS]
    assert all(data == JPEG for _, data in photos)
    assert [c.value for c in conclusions(result)["symptom"]] == ["no_fault_found"]
    assert_unit_texts_round_trip(result)
    assert recorder.last.outcome is not None  # recorded like any run
    assert len(recorder.last.steps) == 5


def test_a_dimension_out_of_tolerance_fails_with_value_limit_and_unit():
    result, _ = run(answers(appearance__dim__length="70.8 mm"))
    assert result.verdict is Verdict.FAIL
    record = result.measurement("length")
    assert record.verdict is Verdict.FAIL
    assert record.comparison == "70.8 > 70 mm (above high limit)"
    symptom = conclusions(result)["symptom"]
    assert [c.value for c in symptom] == ["dimensions"]
    assert "70.8 > 70 mm" in symptom[0].explanation
    assert symptom[0].evidence == ("dimensions/length",)


def test_a_reading_in_the_wrong_unit_is_refused_not_judged():
    result, _ = run(answers(appearance__dim__length=Q_(4.2, "V")))
    assert result.verdict is Verdict.ERROR
    assert "length" in result.step("dimensions").message


def test_leakage_marks_fail_as_appearance_with_safety_advice_and_a_defect_photo():
    prompts = answers(appearance__visual__leakage_marks="present")
    prompts["appearance.photo.defect_closeup"] = PNG
    result, _ = run(prompts)
    assert result.verdict is Verdict.FAIL
    found = conclusions(result)
    assert [c.value for c in found["symptom"]] == ["appearance"]
    assert "leakage_marks = present" in found["symptom"][0].explanation
    assert "major complaint" in found["advice"][0].explanation
    names = [name for name, _ in result.step("photographs").attachments]
    assert names[-1] == "defect_closeup.png"


@pytest.mark.parametrize("item", ["scratches", "dents"])
def test_a_minor_defect_is_reported_as_marginal_with_its_closeup(item: str):
    prompts = answers(**{f"appearance__visual__{item}": "minor"})
    prompts["appearance.photo.defect_closeup"] = JPEG
    result, _ = run(prompts)
    assert result.verdict is Verdict.MARGINAL
    found = conclusions(result)
    (symptom,) = found["symptom"]  # never "no_fault_found ... free of defects" beside it
    assert symptom.value == "appearance"
    assert symptom.explanation.startswith("marginal visual findings")
    assert f"{item} = minor" in symptom.explanation and "defect_closeup" in symptom.explanation
    assert symptom.evidence == (f"visual_check/{item}", "photographs/photo_defect_closeup")
    assert "free of defects" not in " ".join(c.explanation for c in result.outcome.conclusions)


def test_a_missing_lot_record_is_marginal_and_noted():
    result, _ = run(answers(appearance__production_report="  "))
    assert result.verdict is Verdict.MARGINAL
    assert result.measurement("production_report_status").text_value == "not_found"
    found = conclusions(result)
    (note,) = found["advice"]
    assert "production_report_status = not_found" in note.explanation
    assert note.evidence == ("lot_records/production_report_status",)


def test_no_fault_found_counts_what_was_judged():
    result, _ = run(answers())
    (symptom,) = conclusions(result)["symptom"]
    assert symptom.explanation == (
        f"all {len(CHECKLIST)} checklist items free of defects; all 4 dimensions within the drawing"
    )


def test_a_photo_that_is_not_an_image_is_an_entry_error():
    result, _ = run(answers(appearance__photo__label=b"not an image"))
    assert result.verdict is Verdict.ERROR
    assert "take the photo again" in result.step("photographs").message


def test_a_missing_photo_answer_stops_the_run_as_an_error():
    prompts = answers()
    del prompts["appearance.photo.terminals"]
    result, _ = run(prompts)
    assert result.verdict is Verdict.ERROR


def test_a_spec_without_dimensions_skips_the_step_and_says_why():
    result, _ = run(answers(), spec=replace(SPEC, dimensions=()))
    step = result.step("dimensions")
    assert step.verdict is Verdict.SKIPPED
    assert "[dimensions]" in step.message
    assert result.verdict is Verdict.PASS
    (symptom,) = conclusions(result)["symptom"]
    assert "within the drawing" not in symptom.explanation
    assert "dimensions not checked" in symptom.explanation and "[dimensions]" in symptom.explanation


def test_dimensions_section_is_optional_and_validated(tmp_path):
    text = SPEC.source.read_text(encoding="utf-8")
    head = text.split("[dimensions]")[0]
    plain = tmp_path / "plain.toml"
    plain.write_text(head, encoding="utf-8")
    assert load_spec(plain).dimensions == ()
    asym = tmp_path / "asym.toml"
    asym.write_text(
        head + '[dimensions]\nlength = { nominal = "69 mm", plus = "0.5 mm", minus = "0 mm" }\n',
        encoding="utf-8",
    )
    dim = load_spec(asym).dimension("length")
    assert (dim.low, dim.high) == (Q_(69, "mm"), Q_(69.5, "mm"))
    for bad, message in (
        ('length = { nominal = "69 V", tolerance = "1 mm" }', "not a length"),
        ('length = { nominal = "69 mm" }', "either tolerance"),
        ('length = { nominal = "69 mm", tolerance = "1 mm", plus = "1 mm" }', "either"),
        ('length = { nominal = "69 mm", tol = "1 mm" }', "unknown key"),
        ('length = { nominal = "2 mm", tolerance = "3 mm" }', "not smaller"),
        ('length = "69 mm"', "nominal"),
    ):
        path = tmp_path / "bad.toml"
        path.write_text(head + "[dimensions]\n" + bad + "\n", encoding="utf-8")
        with pytest.raises(SpecError, match=message):
            load_spec(path)


def test_every_shipped_spec_has_a_drawing_the_simulator_also_reads():
    from simulators.spec_file import load_pack_parameters

    for path in sorted(SPEC.source.parent.glob("*.toml")):
        spec = load_spec(path)
        assert {d.name for d in spec.dimensions} >= {"length", "width", "thickness"}
        assert load_pack_parameters(path).model == spec.model
