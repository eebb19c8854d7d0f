"""Content-addressed uploads a bench makes before submitting a run: resumable, checked by SHA-256.

A synced run's big parts (trace arrays, photos) travel apart from its JSON document, each as a
blob named by the SHA-256 of its bytes. A blob arrives in chunks appended at the offset the
service reports, so a link cut in the middle of a 5 MB photo costs only the chunk in flight:
the bench asks how much arrived (``state``) and sends the rest. When the last byte arrives the
digest is checked and the blob becomes whole (renamed atomically); a blob whose bytes do not hash
to its name is thrown away, never kept under a name it does not match.

The staging folder sits inside the evidence folder (``.sync-uploads``, which the evidence store's
``??/*`` layout never lists), so it lives on the same volume and needs no setting of its own.

Blobs are named by their content, so one blob can belong to runs of several benches: a time axis
sampled at a fixed step is the same bytes in every run of that length. Two benches may therefore
upload one blob at once, and one bench may count on a blob that another bench's run has just
used. So every change to a blob happens under a lock of its name (``fcntl.flock``, which the
service's worker processes share and a killed process releases), and a blob stays after a run
used it: a whole blob is removed once nothing asked about it or sent it for ``KEEP_WHOLE_S``, a
partial one after ``KEEP_PART_S`` (``sweep``, run by the service at most every
``SWEEP_EVERY_S``). Removing a blob as soon as a run had used it let four benches draining a
backlog of realistic runs at once have 2-4 % of their runs refused (the blob "not uploaded"),
and two uploads of one blob at once wrote it twice into one partial file.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from results.errors import ValidationError
from results.integrity import sha256_hex

STAGING = ".sync-uploads"
LOCKS = ".locks"
"""Under the staging folder: one lock file for each first two hex digits of a name (256)."""
KEEP_WHOLE_S = 3600.0
"""A whole blob stays an hour after its upload or a bench's last question about it: far longer
than a bench takes from asking which blobs the service holds to posting the run that names them."""
KEEP_PART_S = 7 * 24 * 3600.0
"""A partial upload stays a week after its last chunk: a bench cut off over a long weekend
resumes where it stopped."""
SWEEP_EVERY_S = 600.0
_last_sweep: dict[Path, float] = {}
"""When this process last swept each staging folder (``time.monotonic``)."""
MAX_BLOB_BYTES = 64 * 1024 * 1024
"""Larger than any evidence file or trace channel a run may hold (200,000 float64 = 1.6 MB)."""


class OffsetMismatch(ValidationError):
    """A chunk sent for an offset other than where the partial blob ends (a stale resume)."""

    def __init__(self, sha256: str, expected: int, got: int) -> None:
        super().__init__(
            "Upload-Offset",
            f"blob {sha256} has {expected} bytes here, the chunk starts at {got}",
            "ask how much arrived (HEAD) and send from there",
        )
        self.expected = expected


class DigestMismatch(ValidationError):
    """The whole blob's bytes do not hash to the name it was uploaded under."""


@dataclass(frozen=True)
class BlobState:
    complete: bool
    received: int
    """Bytes received: the whole size when complete, else where the next chunk starts."""


def _is_name(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def _check_name(sha256: str) -> str:
    if not _is_name(sha256):
        raise ValidationError("sha256", f"{sha256!r} is not a SHA-256 hex digest", "give 64 hex")
    return sha256


class BlobStage:
    """``<root>/<sha>`` for whole blobs, ``<root>/<sha>.part`` for one still arriving."""

    def __init__(self, evidence_root: Path | str) -> None:
        self.root = Path(evidence_root) / STAGING

    @contextmanager
    def _locked(self, sha256: str) -> Iterator[None]:
        """Hold the lock of ``sha256``'s stripe (shared with every worker process)."""
        locks = self.root / LOCKS
        locks.mkdir(parents=True, exist_ok=True)
        fd = os.open(locks / _check_name(sha256)[:2], os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the flock

    def _whole(self, sha256: str) -> Path:
        return self.root / _check_name(sha256)

    def _part(self, sha256: str) -> Path:
        return self.root / f"{_check_name(sha256)}.part"

    def state(self, sha256: str) -> BlobState:
        """How much of the blob is here. A bench asks before it names the blob in a run, so a
        whole blob's clock restarts (``KEEP_WHOLE_S``). Every bench asks before it uploads, so
        this is where the service sweeps (``sweep_now_and_then``), after answering."""
        with self._locked(sha256):
            now = self._state(sha256)
            if now.complete:
                os.utime(self._whole(sha256))
        self.sweep_now_and_then()
        return now

    def _state(self, sha256: str) -> BlobState:
        whole = self._whole(sha256)
        if whole.exists():
            return BlobState(True, whole.stat().st_size)
        part = self._part(sha256)
        return BlobState(False, part.stat().st_size if part.exists() else 0)

    def append(self, sha256: str, *, offset: int, total: int, data: bytes) -> BlobState:
        """Append one chunk at ``offset`` of a ``total``-byte blob; whole once all arrived.

        A chunk for a blob already whole is acknowledged without writing (a retry after a lost
        answer, or another bench that sent the same bytes first). Two uploads of one blob at once
        take turns on its lock; a chunk for an offset other than where the blob ends is refused
        with that offset (``OffsetMismatch``), from which the same bytes can go on.
        """
        if not 0 < total <= MAX_BLOB_BYTES:
            raise ValidationError(
                "Upload-Length",
                f"{total} bytes is not a blob size accepted here",
                f"send blobs of 1 to {MAX_BLOB_BYTES} bytes",
            )
        if offset + len(data) > total:
            raise ValidationError(
                "Upload-Offset",
                f"the chunk ends at {offset + len(data)}, past the blob's {total} bytes",
                "send the blob's own bytes only",
            )
        with self._locked(sha256):
            return self._append(sha256, offset=offset, total=total, data=data)

    def _append(self, sha256: str, *, offset: int, total: int, data: bytes) -> BlobState:
        now = self._state(sha256)
        if now.complete:
            os.utime(self._whole(sha256))
            return now
        if offset != now.received:
            raise OffsetMismatch(sha256, now.received, offset)
        part = self._part(sha256)
        # No fsync: a staged blob lost in a power cut is only sent again (the run's POST says
        # which are missing); it becomes evidence through ``EvidenceStore.put``, which syncs.
        with part.open("ab") as handle:
            handle.write(data)
        received = offset + len(data)
        if received < total:
            return BlobState(False, received)
        if offset == 0:
            actual = sha256_hex(data)
        else:
            digest = hashlib.sha256()
            with part.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            actual = digest.hexdigest()
        if actual != sha256:
            part.unlink(missing_ok=True)
            raise DigestMismatch(
                "body",
                f"the {total} bytes received hash to {actual}, not {sha256}",
                "send the blob again from offset 0",
            )
        os.replace(part, self._whole(sha256))
        return BlobState(True, total)

    def read(self, sha256: str) -> bytes | None:
        """A whole blob's bytes (checked again: the disk is not trusted), or ``None``."""
        path = self._whole(sha256)
        try:
            data = path.read_bytes()
        except FileNotFoundError:  # never sent, or swept: the bench is told to send it
            return None
        if sha256_hex(data) != sha256:
            path.unlink(missing_ok=True)  # damaged at rest: the bench sends it again
            return None
        return data

    def sweep(self, now: float | None = None) -> int:
        """Remove the whole blobs left alone for ``KEEP_WHOLE_S`` and the partial ones for
        ``KEEP_PART_S`` (``now``: a ``time.time()``); how many were removed. Each is looked at
        again under its lock, so one a bench has just asked about stays."""
        now = time.time() if now is None else now
        removed = 0
        for path in self.root.glob("*"):
            sha256 = path.name.removesuffix(".part")
            keep = KEEP_PART_S if path.name.endswith(".part") else KEEP_WHOLE_S
            if not _is_name(sha256) or not _is_older(path, now - keep):
                continue
            with self._locked(sha256):
                if _is_older(path, now - keep):
                    path.unlink(missing_ok=True)
                    removed += 1
        return removed

    def sweep_now_and_then(self) -> None:
        """``sweep`` if this process has not swept this folder for ``SWEEP_EVERY_S``."""
        last = _last_sweep.get(self.root)
        if last is not None and time.monotonic() - last < SWEEP_EVERY_S:
            return
        _last_sweep[self.root] = time.monotonic()
        self.sweep()


def _is_older(path: Path, than: float) -> bool:
    """``path`` exists and was last changed before ``than`` (a ``time.time()``)."""
    try:
        return path.stat().st_mtime < than
    except FileNotFoundError:
        return False
