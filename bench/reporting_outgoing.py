"""Writing a unit's outgoing inspection report to a file, for ``packbench report --kind outgoing``.

Like the analysis report written by ``bench.reporting``, a draft straight from the store (not
versioned, not signed). The file name is the report number, ``<complaint-no>-<product-no>-OQC-
<serial>``, beside the complaint's analysis report in the same folder.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from bench import paths
from bench.errors import InputError
from results.complaints import get_complaint
from results.errors import NotFound
from results.reports.model import report_file_name
from results.reports.outgoing import (
    assemble_outgoing,
    render_outgoing_html,
    render_outgoing_pdf,
)

FORMATS = ("html", "pdf")


def render_outgoing(
    session: Session, complaint_number: str, serial: str, *, fmt: str, lang: str
) -> tuple[str, bytes]:
    """(suggested file name, content) of the unit's outgoing inspection report in ``fmt``."""
    if fmt not in FORMATS:
        raise InputError(
            f"--format {fmt!r}: the outgoing inspection report is written as "
            f"{' or '.join(FORMATS)}; its measurements are in `packbench report "
            f"{complaint_number} --format {fmt}`"
        )
    try:
        complaint = get_complaint(session, complaint_number)
    except NotFound:
        raise InputError(
            f"complaint {complaint_number} does not exist; see `packbench complaint list`"
        ) from None
    try:
        data = assemble_outgoing(
            session, complaint.id, serial, locale=lang, issued_at=datetime.now(UTC)
        )
    except NotFound as exc:
        raise InputError(f"--unit {serial}: {exc}") from None
    if fmt == "html":
        html = render_outgoing_html(data, lang).encode("utf-8")
        return report_file_name(data.report_no, lang, "html"), html
    return report_file_name(data.report_no, lang, "pdf"), render_outgoing_pdf(data, lang)


def write_outgoing_report(
    sessions: sessionmaker[Session],
    complaint_number: str,
    serial: str,
    *,
    fmt: str = "html",
    lang: str = "en",
    out: Path | None = None,
) -> Path:
    """Render and write; default place: ``<data dir>/reports/<report no>.<ext>``."""
    with sessions() as session:
        name, content = render_outgoing(session, complaint_number, serial, fmt=fmt, lang=lang)
    path = out if out is not None else paths.default_reports_dir() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path.resolve()
