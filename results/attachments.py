"""Content-addressed evidence files: stored under their SHA-256, typed by their content.

The file name a user gives is metadata only; the path on disk is built from the hash (never from
user input, so no path traversal) and the media type is read from the bytes, because a file used to
decide a disposition must be what it claims to be. Identical files are stored once.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePath
from typing import Any

from sqlalchemy import Select, column, inspect, select, table
from sqlalchemy.orm import Session

from results import audit
from results.errors import ValidationError
from results.integrity import sha256_hex, snapshot
from results.models import Attachment

PNG = "image/png"
JPEG = "image/jpeg"
PDF = "application/pdf"
JSON_TYPE = "application/json"
CSV = "text/csv"
TEXT = "text/plain"
NPY = "application/x-npy"
ACCEPTED = (PNG, JPEG, PDF, JSON_TYPE, CSV, TEXT, NPY)
DEFAULT_MAX_BYTES = 20 * 1024 * 1024

_EXTENSIONS = {
    ".png": PNG,
    ".jpg": JPEG,
    ".jpeg": JPEG,
    ".pdf": PDF,
    ".json": JSON_TYPE,
    ".csv": CSV,
    ".txt": TEXT,
    ".log": TEXT,
    ".npy": NPY,
}
_TEXT_FAMILY = {TEXT, CSV, JSON_TYPE}


def detect_media_type(data: bytes, name: str = "") -> str | None:
    """The media type the bytes themselves show, or ``None`` for anything not accepted."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x93NUMPY"):
        return NPY
    if b"\x00" in data:
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        try:
            json.loads(stripped)
        except ValueError:
            pass
        else:
            return JSON_TYPE
    if name.lower().endswith(".csv") or _looks_like_csv(text):
        return CSV
    return TEXT


_PROGRAMS = (
    (b"\x7fELF", "ELF"),
    (b"MZ", "Windows PE"),
    (b"\xcf\xfa\xed\xfe", "Mach-O"),
    (b"\xce\xfa\xed\xfe", "Mach-O"),
    (b"\xfe\xed\xfa\xcf", "Mach-O"),
    (b"\xfe\xed\xfa\xce", "Mach-O"),
    (b"\xca\xfe\xba\xbe", "Mach-O universal or Java class"),
    (b"#!", "script"),
)


def executable_kind(data: bytes) -> str | None:
    """The kind of program the bytes are (whatever the file is called), or ``None``.

    Checked before the type, so a program renamed ``.log`` is refused as what it is rather than
    as "no accepted type", and so a script (text that starts with ``#!``) is never filed as a log.
    """
    for magic, kind in _PROGRAMS:
        if data.startswith(magic):
            if magic == b"MZ" and b"\x00" not in data[:64]:
                continue  # a text line that happens to start with "MZ"; a PE header has NULs
            return kind
    return None


class FileRefused(ValidationError):
    """An evidence file refused, with a ``reason`` code and its ``values``, so that a page can
    say why in its reader's language (``upload.refused.<reason>`` in the service catalogue)."""

    def __init__(
        self, reason: str, name: str, field: str, problem: str, fix: str, **values: object
    ) -> None:
        super().__init__(field, problem, fix)
        self.reason = reason
        self.values: dict[str, object] = {"name": name, **values}


def _looks_like_csv(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()][:20]
    if len(lines) < 2:
        return False
    counts = {line.count(",") for line in lines}
    return len(counts) == 1 and counts.pop() > 0


def _compatible(claimed: str, detected: str) -> bool:
    # CSV and JSON are text; calling them text/plain (or a one-column CSV text) is not a lie.
    if claimed == detected:
        return True
    return claimed in (TEXT, CSV) and detected in _TEXT_FAMILY


@dataclass(frozen=True, slots=True)
class StoredFile:
    sha256: str
    size: int
    media_type: str


class EvidenceStore:
    """A directory of evidence files named ``<sha[:2]>/<sha>``."""

    def __init__(self, root: Path | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes

    def path_for(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValidationError(
                "sha256", f"{sha256!r} is not a SHA-256 hex digest", "give 64 hex"
            )
        return self.root / sha256[:2] / sha256

    def validate(
        self, data: bytes, *, name: str, declared_media_type: str | None = None
    ) -> StoredFile:
        """Check size, name and type without writing anything."""
        if not name or len(name) > 255 or any(ord(c) < 32 for c in name):
            raise FileRefused(
                "bad_name",
                name,
                "name",
                f"{name!r} is not a usable file name",
                "give 1-255 printable characters",
            )
        if not data:
            raise FileRefused(
                "empty", name, "content", f"{name} is empty", "attach a file with content"
            )
        if len(data) > self.max_bytes:
            raise FileRefused(
                "too_large",
                name,
                "content",
                f"{name} is {len(data)} bytes, over the {self.max_bytes}-byte limit",
                "attach a smaller file (compress or split it)",
                limit=self.max_bytes,
            )
        program = executable_kind(data)
        if program is not None:
            raise FileRefused(
                "executable",
                name,
                "content",
                f"{name} is an executable program ({program}), none of the accepted types",
                "attach the log, CSV, photo or document itself; programs are never stored",
                kind=program,
            )
        detected = detect_media_type(data, name)
        if detected is None:
            raise FileRefused(
                "unknown_type",
                name,
                "content",
                f"{name}: content is none of the accepted types",
                f"attach one of {', '.join(ACCEPTED)}",
            )
        if declared_media_type is not None and not _compatible(declared_media_type, detected):
            raise FileRefused(
                "declared_mismatch",
                name,
                "media_type",
                f"{name} is declared {declared_media_type} but its content is {detected}",
                "declare the real type or attach the right file",
                declared=declared_media_type,
                detected=detected,
            )
        by_extension = _EXTENSIONS.get(PurePath(name).suffix.lower())
        if by_extension is not None and not _compatible(by_extension, detected):
            raise FileRefused(
                "extension_mismatch",
                name,
                "name",
                f"{name}: the extension says {by_extension} but the content is {detected}",
                "rename the file to match its content or attach the right file",
                claimed=by_extension,
                detected=detected,
            )
        return StoredFile(sha256_hex(data), len(data), detected)

    def put(self, data: bytes, *, name: str, declared_media_type: str | None = None) -> StoredFile:
        """Validate and write (atomically, once per content) the file; return what was stored."""
        stored = self.validate(data, name=name, declared_media_type=declared_media_type)
        path = self.path_for(stored.sha256)
        if path.exists() and self.check(stored.sha256) is None:
            os.utime(path)  # restart the orphan grace period: a new row is about to point at it
            return stored
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return stored

    def sweep_orphans(
        self, session: Session, *, older_than: timedelta, now: datetime | None = None
    ) -> list[str]:
        """Delete evidence files no row refers to and untouched for ``older_than``; return them.

        Files land before their row commits (``attach``, the recorder), so a rolled-back
        transaction leaves an orphan; one still being committed looks like an orphan too, hence
        the grace period (``put`` refreshes the time of a file it reuses). Every column named
        ``sha256`` or ``*_sha256`` in the schema counts as a reference, also in tables added
        later; names that are not SHA-256 digests or temp files of ``put`` are never touched.
        """
        if older_than < timedelta(0):
            raise ValidationError("older_than", "is negative", "give a grace period of 0 or more")
        cutoff = (now or datetime.now(UTC)) - older_than
        referenced = _referenced_hashes(session)
        removed: list[str] = []
        for path in sorted(self.root.glob("??/*")):
            name = path.name
            ours = name.startswith(".incoming-") or (
                len(name) == 64 and all(c in "0123456789abcdef" for c in name)
            )
            if not ours or name in referenced or not path.is_file():
                continue
            if datetime.fromtimestamp(path.stat().st_mtime, UTC) > cutoff:
                continue
            path.unlink(missing_ok=True)
            removed.append(name)
        return removed

    def read(self, sha256: str) -> bytes:
        """The file's bytes, refused if they no longer match their hash."""
        data = self.path_for(sha256).read_bytes()
        if sha256_hex(data) != sha256:
            raise ValidationError(
                "evidence", f"file {sha256} no longer matches its SHA-256", "restore it from backup"
            )
        return data

    def check(self, sha256: str) -> str | None:
        """``None`` when the file is present and intact, else what is wrong with it."""
        path = self.path_for(sha256)
        if not path.is_file():
            return f"missing from {self.root}"
        if sha256_hex(path.read_bytes()) != sha256:
            return "content no longer matches its SHA-256: the file was changed"
        return None


def _referenced_hashes(session: Session) -> set[str]:
    """Every value of a ``sha256``/``*_sha256`` column in the live schema (reflected, so tables
    of modules not imported here count too)."""
    inspector = inspect(session.connection())
    found: set[str] = set()
    for table_name in inspector.get_table_names():
        for info in inspector.get_columns(table_name):
            name = info["name"]
            if name == "sha256" or name.endswith("_sha256"):
                query: Select[Any] = select(column(name)).select_from(table(table_name))
                hashes: list[Any] = list(session.scalars(query))
                found.update(str(h) for h in hashes if h)
    return found


def attach(
    session: Session,
    store: EvidenceStore,
    data: bytes,
    *,
    name: str,
    actor: str,
    declared_media_type: str | None = None,
    complaint_id: int | None = None,
    run_id: int | None = None,
    reason: str = "",
) -> Attachment:
    """Store ``data`` and link it to a complaint or run, audited, in the caller's transaction.

    Validation runs before anything is written; the file itself lands before the row, so a rolled
    back transaction leaves at most an unreferenced (harmless, deduplicated) file behind.
    """
    if complaint_id is None and run_id is None:
        raise ValidationError(
            "owner", "attachment belongs to nothing", "give complaint_id or run_id"
        )
    stored = store.put(data, name=name, declared_media_type=declared_media_type)
    row = Attachment(
        sha256=stored.sha256,
        size=stored.size,
        media_type=stored.media_type,
        original_name=name,
        complaint_id=complaint_id,
        run_id=run_id,
        created_at=datetime.now(UTC),
        created_by=actor,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="attachment.added",
        entity_type="attachment",
        entity_id=row.id,
        after=snapshot(row),
        reason=reason,
    )
    return row
