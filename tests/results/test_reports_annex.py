"""The evidence annex and the appearance inspection in the report, recorded through the store.

The appearance run goes through the real procedure engine with scripted operator answers and the
``DatabaseRecorder`` (photos into a real evidence store), so what the report shows is what a QA
desk would record, not a hand-built ``ReportData``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
from pathlib import Path

import pypdf
import pytest
from PIL import Image as PILImage
from report_sample import T0
from reports_store import new_complaint, record_unit
from sqlalchemy.orm import Session, sessionmaker

from instruments.units import Q_
from procedures.appearance import CHECKLIST, REQUIRED_PHOTOS, appearance_procedure
from procedures.clock import RealClock
from procedures.context import BenchInstruments
from procedures.engine import run_procedure
from procedures.prompts import Photo, ScriptedPrompts
from procedures.specs import builtin_spec
from results.attachments import EvidenceStore, attach
from results.complaints import add_returned_unit
from results.recorder import DatabaseRecorder
from results.reports.annex import photos
from results.reports.assemble import assemble_report
from results.reports.errors import EvidenceError
from results.reports.html import render_html
from results.reports.labels import catalogue
from results.reports.model import canonical_json, report_from_json
from results.reports.names import measurement_label
from results.reports.pdf import render_pdf

SPEC = builtin_spec("PB-1S2P-18650-5200")


def _image(fmt: str, size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", size, colour).save(out, format=fmt)
    return out.getvalue()


# a photo far larger than the page: the PDF must scale it, not fail the layout
FRONT = _image("PNG", (3000, 2200), (200, 30, 30))
BACK = _image("JPEG", (640, 480), (30, 200, 30))
LABEL = _image("PNG", (120, 80), (30, 30, 200))
PHOTOS = {"overall_front": ("front.png", FRONT), "overall_back": ("back.jpg", BACK)}


def _answers() -> dict[str, object]:
    answers: dict[str, object] = {
        "appearance.prepare": True,
        "appearance.caliper_id": "CAL-0042",
        "appearance.shipment_record": "SH-2026-0113",
        "appearance.production_report": "PR-L2601-07",
        "appearance.dim.length": "69.2 mm",
        "appearance.dim.width": Q_(3.76, "cm"),
        "appearance.dim.thickness": "18.9",
        "appearance.dim.lead_length": Q_(61.0, "mm"),
    }
    for item in CHECKLIST:
        answers[f"appearance.visual.{item.name}"] = item.passing[0]
    for name, _ in REQUIRED_PHOTOS:
        file_name, data = PHOTOS.get(name, ("label.png", LABEL))
        answers[f"appearance.photo.{name}"] = Photo(file_name, data)
    return answers


def _record_appearance(sessions: sessionmaker[Session], store: EvidenceStore) -> tuple[int, str]:
    complaint_id, number = new_complaint(sessions, symptom="appearance")
    with sessions.begin() as session:
        unit_id = add_returned_unit(
            session, complaint_id, serial="SN-APP-1", received_at=T0, actor="张三", lot="L1"
        ).id
    procedure = appearance_procedure()
    result = run_procedure(
        procedure,
        instruments=BenchInstruments(),
        recorder=DatabaseRecorder(
            sessions, unit_id=unit_id, complaint_id=complaint_id, evidence=store
        ),
        prompts=ScriptedPrompts(_answers()),
        clock=RealClock(),
        spec=SPEC,
        run_info=procedure.run_info(
            station="qa-desk",
            operator="李工",
            spec=SPEC.model,
            unit_serial="SN-APP-1",
            complaint_number=number,
        ),
        handle_signals=False,
    )
    assert result.outcome.conclusions  # the run was judged, like any diagnosis
    return complaint_id, number


@pytest.fixture
def store(evidence_dir: Path) -> EvidenceStore:
    return EvidenceStore(evidence_dir)


def test_an_appearance_run_appears_with_dimensions_and_photos(
    sessions: sessionmaker[Session], store: EvidenceStore
) -> None:
    complaint_id, _ = _record_appearance(sessions, store)
    with sessions() as session:
        data = assemble_report(session, complaint_id, locale="en", issued_at=T0)
    [unit] = data.units
    [run] = unit.runs
    assert run.procedure == "appearance_inspection"
    rows = {m.name: m for step in run.steps for m in step.measurements}
    for name in ("length", "width", "thickness", "lead_length"):
        assert rows[name].unit == "mm" and rows[name].value is not None
    assert rows["width"].value == pytest.approx(37.6)
    assert rows["length"].instrument == "caliper CAL-0042"
    names = [f.name for f in data.evidence]
    assert names.count("overall_front.png") == 1 and "overall_back.jpg" in names
    assert all(f.unit_serial == "SN-APP-1" and f.step == "photographs" for f in data.evidence)

    assert report_from_json(canonical_json(data)) == data  # the annex survives freezing

    images = photos(data, store)
    html = render_html(data, images=images)
    for name in ("length", "width", "thickness", "lead_length"):
        assert re.search(
            rf"<td>dimensions</td><td>{re.escape(measurement_label(catalogue('en'), name))}"
            rf'(?:<br><small class="why">{name}</small>)?</td><td[^>]*>[0-9.]+</td><td>mm</td>',
            html,
        )
    annex = html[html.index('id="evidence"') :]
    for f in data.evidence:
        assert f.sha256 in annex and f"evidence-{f.attachment_id}" in annex
    uris = re.findall(r'<img src="data:(image/(?:png|jpeg));base64,([A-Za-z0-9+/=]+)"', annex)
    assert len(uris) == len(data.evidence)
    embedded = {hashlib.sha256(base64.b64decode(b64)).hexdigest() for _, b64 in uris}
    assert embedded == {f.sha256 for f in data.evidence}
    assert html == render_html(data, images=photos(data, store))  # byte-identical

    pdf = render_pdf(data, images=images)
    assert pdf == render_pdf(data, images=photos(data, store))
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Annex: evidence files" in text and "lead_length" in text
    shown = {image.name for page in reader.pages for image in page.images}
    assert len(shown) == len({f.sha256 for f in data.evidence})  # same bytes drawn once


def test_annex_lists_complaint_level_files_and_refuses_a_swapped_photo(
    sessions: sessionmaker[Session], store: EvidenceStore
) -> None:
    complaint_id, _ = new_complaint(sessions)
    record_unit(sessions, complaint_id, "SN-A")
    with sessions.begin() as session:
        attach(
            session,
            store,
            BACK,
            name="客户现场照片.jpg",
            complaint_id=complaint_id,
            actor="张三",
        )
    with sessions() as session:
        data = assemble_report(session, complaint_id, locale="zh_CN", issued_at=T0)
    [photo] = data.evidence
    assert (photo.name, photo.media_type, photo.size) == (
        "客户现场照片.jpg",
        "image/jpeg",
        len(BACK),
    )
    assert photo.run_id == "" and photo.sha256 == hashlib.sha256(BACK).hexdigest()
    html = render_html(data)
    assert "客户现场照片.jpg" in html and "本次生成的报告仅列出照片" in html and "<img" not in html
    assert "客户现场照片.jpg" in "".join(
        p.extract_text() for p in pypdf.PdfReader(io.BytesIO(render_pdf(data))).pages
    )
    with pytest.raises(EvidenceError, match="packbench verify"):
        render_html(data, images={photo.sha256: LABEL})


def test_reports_without_files_keep_their_content_hash_form(
    sessions: sessionmaker[Session],
) -> None:
    complaint_id, _ = new_complaint(sessions)
    record_unit(sessions, complaint_id, "SN-A")
    with sessions() as session:
        data = assemble_report(session, complaint_id, locale="en", issued_at=T0)
    assert data.evidence == () and "evidence" not in json.loads(canonical_json(data))
    assert report_from_json(canonical_json(data)) == data
