"""Writing a complaint's report or measurement log to a file, for ``packbench report`` and the demo.

The report state has one truth, the store's report versions (``results.reports.approval``, the
service's approval workflow): once a version in the asked language is approved, that frozen
version is what is written and the command says who approved it; before that the file is a draft
from the store as it is now, marked "DRAFT - not approved". The file name follows the manual's
``<complaint-no>-<product-no>`` rule plus the language (and the version when approved), so the
English and the Chinese report never overwrite each other.

The measurement log (``--format json|csv``) is no report: JSON and the English CSV are the machine
export (recorded codes, ``<name>-measurements.<ext>`` as always); a CSV in another language is the
reader's table of ``results.reports.exports.labelled_csv`` (header and coded cells in words, the
code columns kept), in its own ``<name>-measurements-<lang>.csv``.

The evidence store is passed in because the annex photos (appearance runs) live there, not in
the database: without it a report lists the photos by hash but shows none of them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, NamedTuple

from sqlalchemy.orm import Session, sessionmaker

from bench import paths
from bench.cli_words import ENGLISH_WORDS, Words
from bench.errors import InputError
from results.complaints import get_complaint
from results.errors import NotFound
from results.models import Report
from results.reports.annex import EvidenceReader, photos
from results.reports.approval import latest_version
from results.reports.approval import render as render_version
from results.reports.assemble import assemble_report
from results.reports.exports import labelled_csv, measurement_log, to_csv, to_json
from results.reports.html import render_html
from results.reports.model import report_file_name, report_number
from results.reports.pdf import render_pdf

FORMATS = ("html", "pdf", "json", "csv")


class Rendered(NamedTuple):
    name: str
    """Suggested file name; carries the language (and the version of an approved report)."""
    content: bytes
    state: str
    """What a reader must know about the file: approved (by whom, when) or a draft; empty for
    the measurement log, which is no report."""


class Written(NamedTuple):
    path: Path
    state: str


def render(
    session: Session,
    complaint_number: str,
    *,
    fmt: str,
    lang: str,
    evidence: EvidenceReader | None = None,
    say: Words = ENGLISH_WORDS,
) -> Rendered:
    """The complaint's report in ``fmt``: its approved version when the service (or anyone) has
    approved one in ``lang``, else a draft from the store as it is now; ``evidence`` (the
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
        if fmt == "csv" and lang != "en":  # a reader's table (``exports``), its own file
            text = labelled_csv(rows, lang)
            return Rendered(f"{name}-measurements-{lang}.csv", text.encode("utf-8"), "")
        text = to_json(rows) if fmt == "json" else to_csv(rows)
        return Rendered(f"{name}-measurements.{fmt}", text.encode("utf-8"), "")
    kind: Literal["html", "pdf"] = "pdf" if fmt == "pdf" else "html"
    approved = latest_version(session, complaint.id, lang, approved_only=True)
    newest = latest_version(session, complaint.id, lang)
    try:
        if approved is not None:
            content = render_version(session, approved.id, kind, evidence=evidence)
            file_name = report_file_name(name, lang, fmt, approved.version)
            return Rendered(file_name, content, _approved_state(approved, newest, say))
        data = assemble_report(session, complaint.id, locale=lang, issued_at=datetime.now(UTC))
        images = None if evidence is None else photos(data, evidence)
        if kind == "html":
            content = render_html(data, lang, images=images).encode("utf-8")
        else:
            content = render_pdf(data, lang, images=images)
        return Rendered(report_file_name(name, lang, fmt), content, _draft_state(newest, say))
    except FileNotFoundError as exc:
        raise InputError(
            f"evidence file {exc.filename} of complaint {complaint_number} is missing; restore "
            "it from backup or check station.evidence_dir, then run `packbench verify`"
        ) from None


def _approved_state(approved: Report, newest: Report | None, say: Words) -> str:
    assert approved.approved_at is not None
    state = say(
        "report.approved",
        version=approved.version,
        approver=approved.approved_by,
        when=f"{approved.approved_at:%Y-%m-%d %H:%M}",
    )
    if newest is not None and newest.version > approved.version:
        state += say("report.amendment_waits", version=newest.version)
    return state


def _draft_state(newest: Report | None, say: Words) -> str:
    if newest is None:
        return say("report.draft_none")
    return say("report.draft_waits", version=newest.version)


def write_report(
    sessions: sessionmaker[Session],
    complaint_number: str,
    *,
    fmt: str = "html",
    lang: str = "en",
    out: Path | None = None,
    evidence: EvidenceReader | None = None,
    say: Words = ENGLISH_WORDS,
) -> Written:
    """Render and write; default place: ``<data dir>/reports/`` under ``Rendered.name``;
    ``say``: the language of the state line (the station's, ``bench.cli_words``)."""
    with sessions() as session:
        rendered = render(session, complaint_number, fmt=fmt, lang=lang, evidence=evidence, say=say)
    path = out if out is not None else paths.default_reports_dir() / rendered.name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(rendered.content)
    return Written(path.resolve(), rendered.state)
