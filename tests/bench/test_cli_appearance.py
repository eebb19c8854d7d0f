"""``packbench run appearance``: scripted answers with photo files, refusals under ``--yes``."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from bench_helpers import cli, dump, register

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(64))
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
ANSWERS = """
"appearance.prepare" = true
"appearance.caliper_id" = "CAL-0042"
"appearance.shipment_record" = "SH-2026-0113"
"appearance.production_report" = "PR-L2601-07"

[appearance.dim]
length = "{length}"
width = "37.5 mm"
thickness = "18.8"
{lead}

[appearance.visual]
dents = "none"
swelling = "none"
scratches = "none"
label = "ok"
leakage_marks = "none"
corrosion = "none"

[appearance.photo]
overall_front = "photos/front.jpg"
overall_back = "photos/back.jpg"
label = "photos/label.jpg"
{terminals}
"""


def answers_file(
    tmp_path: Path,
    *,
    length: str = "69.2 mm",
    lead: str = 'lead_length = "61 mm"',
    terminals: str = 'terminals = "photos/terminals.png"',
) -> Path:
    folder = tmp_path / "inspection"
    (folder / "photos").mkdir(parents=True, exist_ok=True)
    for name in ("front.jpg", "back.jpg", "label.jpg"):
        (folder / "photos" / name).write_bytes(JPEG + name.encode())
    (folder / "photos" / "terminals.png").write_bytes(PNG)
    path = folder / "answers.toml"
    path.write_text(ANSWERS.format(length=length, lead=lead, terminals=terminals))
    return path


def query(database: Path, sql: str) -> list[tuple[object, ...]]:
    connection = sqlite3.connect(database)
    try:
        return list(connection.execute(sql))
    finally:
        connection.close()


def run_appearance(
    capsys: pytest.CaptureFixture[str], station: Path, number: str, answers: Path, *extra: str
) -> tuple[int, str, str]:
    return cli(
        capsys,
        "run",
        "appearance",
        "-c",
        number,
        "-u",
        "U-1",
        "--station",
        str(station),
        "--answers",
        str(answers),
        *extra,
    )


def test_inspection_records_readings_and_photo_files_as_evidence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    number = register(capsys, sim_station, "U-1")
    code, out, err = run_appearance(
        capsys, sim_station, number, answers_file(tmp_path), "--yes", "--json"
    )
    assert code == 0, err
    document = json.loads(out)
    unit = document["units"][0]
    assert unit["verdict"] == "pass"
    assert [s["name"] for s in unit["steps"]] == [
        "prepare_tools",
        "lot_records",
        "visual_check",
        "dimensions",
        "photographs",
    ]
    assert unit["diagnosis"]["symptom"] == "no_fault_found"
    store = tmp_path / "store.sqlite3"
    photos = query(store, "SELECT original_name, size FROM attachment ORDER BY original_name")
    assert [name for name, _ in photos] == [
        "label.jpg",
        "overall_back.jpg",
        "overall_front.jpg",
        "terminals.png",
    ]
    assert dict(photos)["terminals.png"] == len(PNG)  # the file's bytes, not its path
    assert query(store, "SELECT value, unit FROM measurement WHERE name = 'width'") == [
        (37.5, "mm")
    ]


def test_a_dimension_out_of_tolerance_fails_with_value_limit_and_unit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    number = register(capsys, sim_station, "U-1")
    code, out, err = run_appearance(
        capsys, sim_station, number, answers_file(tmp_path, length="71.3 mm"), "--json"
    )
    assert code == 1, err
    assert json.loads(out)["units"][0]["diagnosis"]["symptom"] == "dimensions"
    rows = query(
        tmp_path / "store.sqlite3",
        "SELECT value, unit, low, high, verdict FROM measurement WHERE name = 'length'",
    )
    assert rows == [(71.3, "mm", 68.0, 70.0, "FAIL")]
    assert "length: 71.3 > 70 mm (above high limit)" in err  # the live view names it


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"lead": ""}, ["--yes cannot invent", "caliper reading", "'appearance.dim.lead_length'"]),
        ({"terminals": ""}, ["--yes cannot invent", "photo", "'appearance.photo.terminals'"]),
    ],
    ids=["caliper-reading", "photo"],
)
def test_yes_refuses_to_invent_readings_or_photos(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    sim_station: Path,
    fields: dict[str, str],
    words: list[str],
) -> None:
    number = register(capsys, sim_station, "U-1")
    before = dump(tmp_path / "store.sqlite3")
    answers = answers_file(tmp_path, **fields)
    code, _out, err = run_appearance(capsys, sim_station, number, answers, "--yes")
    assert code == 2
    for word in words:
        assert word in err
    assert dump(tmp_path / "store.sqlite3") == before


def test_a_photo_file_that_is_not_there_is_refused_before_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    number = register(capsys, sim_station, "U-1")
    answers = answers_file(tmp_path, terminals='terminals = "photos/missing.png"')
    before = dump(tmp_path / "store.sqlite3")
    code, _out, err = run_appearance(capsys, sim_station, number, answers)
    assert code == 2
    assert "'appearance.photo.terminals'" in err and "missing.png" in err
    assert dump(tmp_path / "store.sqlite3") == before
