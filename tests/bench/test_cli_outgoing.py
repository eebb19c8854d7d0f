"""``packbench run outgoing_inspection`` on the simulated station and its report.

A healthy pack is released for every shipped spec over five simulator seeds; a pack with a
fault (flat after storage, an aged high-resistance cell) is held; the unit's status is left
alone; ``packbench report --kind outgoing`` writes HTML and PDF in both languages whose
summary sentence says what the recorded verdicts say.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pypdf
import pytest
from bench_helpers import cli, dump, write_sim_station
from bench_helpers import register as register_complaint
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bench.errors import EXIT_BAD_INPUT, EXIT_FAIL, EXIT_PASS
from procedures.appearance import CHECKLIST
from procedures.outgoing import DECISION_KIND, Decision
from procedures.records import Verdict
from procedures.specs import load_builtin_specs
from results.complaints import get_complaint
from results.models import ReturnedUnit, Run
from results.reports.consistency import html_text
from results.reports.labels import catalogue
from results.reports.outgoing import (
    OutgoingReportData,
    assemble_outgoing,
    decision_of,
    outgoing_sentence,
)
from results.store import open_store

SPECS = sorted(load_builtin_specs())
SEEDS = (0, 1, 2, 3, 4)


def station(tmp_path: Path, seed: int = 0) -> Path:
    """A simulated station file of seed ``seed``; every seed shares the one store."""
    return write_sim_station(
        tmp_path / f"station-{seed}.toml", tmp_path, operator="qa-li", max_voltage="20 V", seed=seed
    )


def answers_file(tmp_path: Path, **overrides: str) -> Path:
    lines = [
        f'"appearance.visual.{item.name}" = "{overrides.get(item.name, item.passing[0])}"'
        for item in CHECKLIST
    ]
    path = tmp_path / f"answers-{len(overrides)}-{'-'.join(overrides.values())}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def register(capsys: pytest.CaptureFixture[str], path: Path, model: str, serials: list[str]) -> str:
    return register_complaint(capsys, path, *serials, model=model)


def inspect(
    capsys: pytest.CaptureFixture[str],
    path: Path,
    number: str,
    serial: str,
    answers: Path,
    *extra: str,
) -> tuple[int, str, str]:
    return cli(
        capsys,
        "run",
        "outgoing_inspection",
        "--station",
        str(path),
        "-c",
        number,
        "-u",
        serial,
        "--answers",
        str(answers),
        "--yes",
        *extra,
    )


def store(tmp_path: Path) -> sessionmaker[Session]:
    return open_store(str(tmp_path / "store.sqlite3"))


def report_data(tmp_path: Path, number: str, serial: str) -> OutgoingReportData:
    with store(tmp_path)() as session:
        complaint = get_complaint(session, number)
        return assemble_outgoing(
            session, complaint.id, serial, locale="en", issued_at=datetime.now(UTC)
        )


def stored_decision(tmp_path: Path, number: str, serial: str) -> str:
    with store(tmp_path)() as session:
        complaint = get_complaint(session, number)
        unit = next(u for u in complaint.units if u.serial == serial)
        run = session.scalars(
            select(Run).where(Run.unit_id == unit.id).order_by(Run.id.desc())
        ).first()
        assert run is not None
        found = [c["value"] for c in run.conclusions or [] if c["kind"] == DECISION_KIND]
        assert len(found) == 1
        return str(found[0])


def unit_status(tmp_path: Path, number: str, serial: str) -> tuple[str, str | None]:
    with store(tmp_path)() as session:
        complaint = get_complaint(session, number)
        unit = session.scalars(
            select(ReturnedUnit).where(
                ReturnedUnit.complaint_id == complaint.id, ReturnedUnit.serial == serial
            )
        ).one()
        return unit.status, unit.disposition


@pytest.mark.parametrize("model", SPECS)
def test_a_healthy_pack_is_released_for_every_spec_and_seed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], model: str
) -> None:
    serials = [f"H{seed}" for seed in SEEDS]
    number = register(capsys, station(tmp_path), model, serials)
    answers = answers_file(tmp_path)
    before = {s: unit_status(tmp_path, number, s) for s in serials}
    for seed, serial in zip(SEEDS, serials, strict=True):
        code, out, err = inspect(capsys, station(tmp_path, seed), number, serial, answers)
        assert code == EXIT_PASS, (seed, out, err)
        data = report_data(tmp_path, number, serial)
        assert data.run.verdict is Verdict.PASS, seed
        assert decision_of(data.run) is Decision.RELEASE, seed
        assert stored_decision(tmp_path, number, serial) == Decision.RELEASE
        steps = [s.name for s in data.run.steps]
        assert steps == ["outgoing_ocv", "outgoing_resistance", "outgoing_appearance"]
    # the inspection is no analysis: the units' status and disposition are as they were
    assert {s: unit_status(tmp_path, number, s) for s in serials} == before


@pytest.mark.parametrize(
    ("model", "fault", "failed"),
    [
        *((m, "deep_discharge_uv", "pack_ocv") for m in SPECS),
        ("PB-1S1P-18650-2600", "aged_cell", "pack_ac_resistance"),
        ("PB-1S2P-18650-5200", "aged_cell", "pack_ac_resistance"),
        ("PB-2S1P-18650-2600", "aged_cell", "pack_ac_resistance"),
        ("PB-2S1P-18650-2600", "open_fuse", "pack_ocv"),
    ],
)
def test_a_faulty_pack_is_held(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], model: str, fault: str, failed: str
) -> None:
    path = station(tmp_path)
    number = register(capsys, path, model, ["F1"])
    code, out, err = inspect(
        capsys, path, number, "F1", answers_file(tmp_path), "--sim-fault", fault
    )
    assert code == EXIT_FAIL, (out, err)
    data = report_data(tmp_path, number, "F1")
    bad = [m for s in data.run.steps for m in s.measurements if m.verdict is Verdict.FAIL]
    assert failed in {m.name for m in bad}
    assert decision_of(data.run) is Decision.HOLD
    assert stored_decision(tmp_path, number, "F1") == Decision.HOLD


def test_a_marginal_appearance_answer_holds_a_healthy_pack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = station(tmp_path)
    number = register(capsys, path, "PB-1S2P-18650-5200", ["M1"])
    code, _, err = inspect(capsys, path, number, "M1", answers_file(tmp_path, dents="minor"))
    assert code == EXIT_PASS, err  # marginal is no failure of the run...
    assert stored_decision(tmp_path, number, "M1") == Decision.HOLD  # ...but nothing ships


def test_yes_without_the_checklist_answers_is_refused_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = station(tmp_path)
    number = register(capsys, path, "PB-1S1P-18650-2600", ["Y1"])
    partial = tmp_path / "partial.toml"
    partial.write_text('"appearance.visual.dents" = "none"\n', encoding="utf-8")
    before = dump(tmp_path / "store.sqlite3")
    code, _, err = inspect(capsys, path, number, "Y1", partial)
    assert code == EXIT_BAD_INPUT
    assert "appearance.visual.swelling" in err and "--answers" in err
    assert dump(tmp_path / "store.sqlite3") == before


def _rendered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], number: str, serial: str
) -> dict[tuple[str, str], str]:
    texts: dict[tuple[str, str], str] = {}
    for lang in ("en", "zh_CN"):
        for fmt in ("html", "pdf"):
            out = tmp_path / f"{serial}-{lang}.{fmt}"
            code, stdout, err = cli(
                capsys,
                "report",
                number,
                "--station",
                str(station(tmp_path)),
                "--kind",
                "outgoing",
                "--unit",
                serial,
                "--lang",
                lang,
                "--format",
                fmt,
                "--out",
                str(out),
            )
            assert code == EXIT_PASS, err
            assert Path(stdout.strip()) == out.resolve()
            if fmt == "html":
                texts[(lang, fmt)] = html_text(out.read_text(encoding="utf-8"))
            else:
                reader = pypdf.PdfReader(io.BytesIO(out.read_bytes()))
                texts[(lang, fmt)] = "\n".join(p.extract_text() for p in reader.pages)
    return texts


def _flat(text: str) -> str:
    return "".join(text.split())


def test_the_report_sentence_agrees_with_the_verdicts_in_both_languages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = station(tmp_path)
    number = register(capsys, path, "PB-2S1P-18650-2600", ["GOOD", "BAD"])
    answers = answers_file(tmp_path)
    assert inspect(capsys, path, number, "GOOD", answers)[0] == EXIT_PASS
    held = inspect(capsys, path, number, "BAD", answers, "--sim-fault", "deep_discharge_uv")
    assert held[0] == EXIT_FAIL
    for serial, expected in (("GOOD", Decision.RELEASE), ("BAD", Decision.HOLD)):
        data = report_data(tmp_path, number, serial)
        assert decision_of(data.run) is expected
        texts = _rendered(tmp_path, capsys, number, serial)
        for (lang, fmt), text in texts.items():
            t = catalogue(lang)
            shown = _flat(text)
            label = t[f"outgoing_decision.{expected}"]
            other = t[f"outgoing_decision.{'hold' if expected is Decision.RELEASE else 'release'}"]
            assert _flat(label) in shown, (serial, lang, fmt)
            assert _flat(other) not in shown, (serial, lang, fmt)
            localised = OutgoingReportData(
                data.report_no, lang, data.complaint, data.unit, data.unit_status, data.issued_at
            )
            assert _flat(outgoing_sentence(localised, t)) in shown, (serial, lang, fmt)
            assert _flat(t["outgoing.title"]) in shown
        if expected is Decision.HOLD:
            assert "pack_ocv" in texts[("en", "html")]
    # the complaint's analysis report is about the returned units as received: the outgoing
    # runs stay in their own report, so a held inspection never turns the analysis verdict
    analysis = tmp_path / "analysis.html"
    code, _, err = cli(capsys, "report", number, "--station", str(path), "--out", str(analysis))
    assert code == EXIT_PASS, err
    assert "outgoing_inspection" not in analysis.read_text(encoding="utf-8")


def test_report_refusals_name_the_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = station(tmp_path)
    number = register(capsys, path, "PB-1S1P-18650-2600", ["N1"])
    code, _, err = cli(capsys, "report", number, "--station", str(path), "--kind", "outgoing")
    assert code == EXIT_BAD_INPUT and "--unit" in err
    code, _, err = cli(
        capsys, "report", number, "--station", str(path), "--kind", "outgoing", "--unit", "N1"
    )
    assert code == EXIT_BAD_INPUT
    assert "no valid outgoing_inspection run" in err and "packbench run outgoing_inspection" in err
    code, _, err = cli(
        capsys, "report", number, "--station", str(path), "--kind", "outgoing", "--unit", "ZZ"
    )
    assert code == EXIT_BAD_INPUT and "ZZ" in err


def test_it_runs_where_the_source_could_not_serve_the_spec(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The E36312A's 6 V channel cannot charge a 3S pack: the diagnosis is refused, while the
    outgoing inspection, which never switches an output on, runs and releases the pack."""
    path = station(tmp_path)
    number = register(capsys, path, "PB-3S1P-18650-3000", ["S1"])
    code, _, err = cli(
        capsys, "run", "diagnosis", "--station", str(path), "-c", number, "-u", "S1", "--yes"
    )
    assert code == EXIT_BAD_INPUT and "source" in err
    code, _, err = inspect(capsys, path, number, "S1", answers_file(tmp_path))
    assert code == EXIT_PASS, err
    assert stored_decision(tmp_path, number, "S1") == Decision.RELEASE
