"""Writing a complaint's report or measurement log to a file, for ``packbench report`` and the demo.

Reports rendered here are drafts straight from the store (not versioned, not signed): the
approval workflow (``results.reports.approval``) is the place for the report that goes to the
customer. The file name follows the manual's ``<complaint-no>-<product-no>`` rule.

The evidence store is passed in because the annex photos (appearance runs) live there, not in
the database: without it a report lists the photos by hash but shows none of them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from bench import paths
from bench.errors import InputError
from results.complaints import get_complaint
from results.errors import NotFound
from results.reports.annex import EvidenceReader, photos
from results.reports.assemble import assemble_report
from results.reports.exports import measurement_log, to_csv, to_json
from results.reports.model import report_number

FORMATS = ("html", "pdf", "json", "csv")


def render(
    session: Session,
    complaint_number: str,
    *,
    fmt: str,
    lang: str,
    evidence: EvidenceReader | None = None,
) -> tuple[str, bytes]:
    """(suggested file name, content) of the complaint's report in ``fmt``; ``evidence`` (the
    station's evidence store) embeds the annex photos."""
    if fmt not in FORMATS:
        raise InputError(f"--format {fmt!r}: use one of {', '.join(FORMATS)}")
    try:
        complaint = get_complaint(session, complaint_number)
    except NotFound:
        raise InputError(
            f"complaint {complaint_number} does not exist; see `packbench complaint list`"
        ) from None
    name = report_number(complaint.number, complaint.product_model)
    if fmt in ("json", "csv"):
        rows = measurement_log(session, complaint_id=complaint.id)
        text = to_json(rows) if fmt == "json" else to_csv(rows)
        return f"{name}-measurements.{fmt}", text.encode("utf-8")
    data = assemble_report(session, complaint.id, locale=lang, issued_at=datetime.now(UTC))
    try:
        images = None if evidence is None else photos(data, evidence)
        if fmt == "html":
            # Renderers imported per format: the PDF one loads reportlab, which HTML never needs.
            from results.reports.html import render_html

            return f"{name}.html", render_html(data, lang, images=images).encode("utf-8")
        from results.reports.pdf import render_pdf

        return f"{name}.pdf", render_pdf(data, lang, images=images)
    except FileNotFoundError as exc:
        raise InputError(
            f"evidence file {exc.filename} of complaint {complaint_number} is missing; restore "
            "it from backup or check station.evidence_dir, then run `packbench verify`"
        ) from None


def write_report(
    sessions: sessionmaker[Session],
    complaint_number: str,
    *,
    fmt: str = "html",
    lang: str = "en",
    out: Path | None = None,
    evidence: EvidenceReader | None = None,
) -> Path:
    """Render and write; default place: ``<data dir>/reports/<complaint>-<product>.<ext>``."""
    with sessions() as session:
        name, content = render(session, complaint_number, fmt=fmt, lang=lang, evidence=evidence)
    path = out if out is not None else paths.default_reports_dir() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path.resolve()
