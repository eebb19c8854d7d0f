"""A stored report version rendered as the file a reader downloads, photos included.

Both the API and the pages hand out the same file, so they share this one path: it passes the
service's evidence store (where the annex photos live; the database holds only their hashes)
and turns a photo file lost from that store into a 409 that names the file and the repair,
rather than a bare server error.
"""

from __future__ import annotations

from typing import Literal

from fastapi.responses import Response
from sqlalchemy.orm import Session

from results.reports.approval import render
from service.errors import Conflict
from service.security_headers import REPORT_CSP
from service.store import Store


def render_report(
    store: Store, session: Session, report_id: int, kind: Literal["html", "pdf"]
) -> bytes:
    try:
        return render(session, report_id, kind, evidence=store.evidence)
    except FileNotFoundError as exc:
        raise Conflict(
            f"report {report_id}: evidence file {exc.filename} is missing from the evidence "
            "store; restore it from backup (see `packbench verify`) before rendering"
        ) from None


def report_response(body: bytes, kind: Literal["html", "pdf"], stem: str) -> Response:
    """A rendered report (analysis or outgoing) as the browser shows it, named ``stem.kind``."""
    media = "application/pdf" if kind == "pdf" else "text/html; charset=utf-8"
    # A report is served inline, so its HTML runs under the strict no-script report policy.
    headers = {
        "Content-Disposition": f'inline; filename="{stem}.{kind}"',
        "Content-Security-Policy": REPORT_CSP,
    }
    return Response(body, media_type=media, headers=headers)
