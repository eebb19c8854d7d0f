"""``packbench report`` embeds the appearance photos from the station's evidence store."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from bench_helpers import cli, register
from test_cli_appearance import JPEG, PNG, answers_file, run_appearance


def test_html_report_embeds_the_photos_of_an_appearance_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    number = register(capsys, sim_station, "U-1")
    code, _out, err = run_appearance(capsys, sim_station, number, answers_file(tmp_path), "--yes")
    assert code == 0, err
    out = tmp_path / "report.html"
    station = ("--station", str(sim_station))
    code, printed, err = cli(
        capsys, "report", number, "--format", "html", "--out", str(out), *station
    )
    assert code == 0, err
    assert printed.strip() == str(out.resolve())
    page = out.read_text(encoding="utf-8")
    assert f"data:image/png;base64,{base64.b64encode(PNG).decode()}" in page
    front = base64.b64encode(JPEG + b"front.jpg").decode()
    assert f"data:image/jpeg;base64,{front}" in page
    assert page.count('<figure class="photo">') == 4


def test_a_missing_photo_file_names_the_file_and_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    number = register(capsys, sim_station, "U-1")
    code, _out, err = run_appearance(capsys, sim_station, number, answers_file(tmp_path), "--yes")
    assert code == 0, err
    (next(p for p in (tmp_path / "evidence").rglob("*") if p.is_file())).unlink()
    code, _out, err = cli(
        capsys, "report", number, "--out", str(tmp_path / "r.html"), "--station", str(sim_station)
    )
    assert code == 2
    assert "evidence file" in err and "evidence_dir" in err
    assert not (tmp_path / "r.html").exists()
