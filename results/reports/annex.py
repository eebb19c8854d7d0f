"""The evidence annex: every file of the complaint, listed and (photos) shown in the report.

Shared by both renderers so the listing reads the same in HTML and PDF. The photo bytes are not
part of ``ReportData`` (a signed report binds them by SHA-256); a renderer gets them through
``photos`` and embeds only bytes whose hash matches the listed one, so a swapped file on disk can
never appear under a signed hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Protocol

from results.reports.errors import EvidenceError
from results.reports.labels import Catalogue
from results.reports.model import EvidenceFile, ReportData


class EvidenceReader(Protocol):
    """What the annex needs of ``results.attachments.EvidenceStore``."""

    def read(self, sha256: str) -> bytes: ...


def is_developer_log(name: str, media_type: str) -> bool:
    """A traceback or debug log a step attached for developers: not evidence about the pack.

    The engine names a software error's traceback ``traceback.txt``; a report that shows it to a
    customer leaks our internals and proves nothing about the returned unit.
    """
    stem = name.rsplit("/", 1)[-1].lower()
    return stem.startswith(("traceback", "stacktrace", "debug")) and (
        media_type.startswith("text/") or stem.endswith((".txt", ".log"))
    )


def annex_headers(t: Catalogue) -> list[str]:
    keys = ("id", "name", "media_type", "size", "sha256", "unit", "run", "step")
    return [t[f"evidence.{k}"] for k in keys]


def annex_cells(f: EvidenceFile, t: Catalogue) -> list[str]:
    owner = "" if f.run_id else t["evidence.complaint_level"]
    return [
        f.attachment_id,
        f.name,
        f.media_type,
        str(f.size),
        f.sha256,
        f.unit_serial or owner,
        f.run_id,
        f.step,
    ]


def photos(data: ReportData, store: EvidenceReader) -> dict[str, bytes]:
    """The report's photos read from the evidence store, keyed by SHA-256."""
    return {f.sha256: store.read(f.sha256) for f in data.evidence if f.is_photo}


def photo_bytes(f: EvidenceFile, images: Mapping[str, bytes] | None) -> bytes | None:
    """The photo to embed for ``f``, ``None`` when the caller gave no images for it."""
    if not f.is_photo or images is None or f.sha256 not in images:
        return None
    content = images[f.sha256]
    if hashlib.sha256(content).hexdigest() != f.sha256:
        raise EvidenceError(
            f"evidence file {f.attachment_id} ({f.name}) does not match its SHA-256 "
            f"{f.sha256[:16]}...; run `packbench verify` and restore the file before rendering"
        )
    return content
