"""Content-addressed uploads a bench makes before submitting a run: resumable, checked by SHA-256.

A synced run's big parts (trace arrays, photos) travel apart from its JSON document, each as a
blob named by the SHA-256 of its bytes. A blob arrives in chunks appended at the offset the
service reports, so a link cut in the middle of a 5 MB photo costs only the chunk in flight:
the bench asks how much arrived (``state``) and sends the rest. When the last byte arrives the
digest is checked and the blob becomes whole (renamed atomically); a blob whose bytes do not hash
to its name is thrown away, never kept under a name it does not match.

The staging folder sits inside the evidence folder (``.sync-uploads``, which the evidence store's
``??/*`` layout never lists), so it lives on the same volume and needs no setting of its own.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from results.errors import ValidationError
from results.integrity import sha256_hex

STAGING = ".sync-uploads"
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


def _check_name(sha256: str) -> str:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValidationError("sha256", f"{sha256!r} is not a SHA-256 hex digest", "give 64 hex")
    return sha256


class BlobStage:
    """``<root>/<sha>`` for whole blobs, ``<root>/<sha>.part`` for one still arriving."""

    def __init__(self, evidence_root: Path | str) -> None:
        self.root = Path(evidence_root) / STAGING

    def _whole(self, sha256: str) -> Path:
        return self.root / _check_name(sha256)

    def _part(self, sha256: str) -> Path:
        return self.root / f"{_check_name(sha256)}.part"

    def state(self, sha256: str) -> BlobState:
        whole = self._whole(sha256)
        if whole.exists():
            return BlobState(True, whole.stat().st_size)
        part = self._part(sha256)
        return BlobState(False, part.stat().st_size if part.exists() else 0)

    def append(self, sha256: str, *, offset: int, total: int, data: bytes) -> BlobState:
        """Append one chunk at ``offset`` of a ``total``-byte blob; whole once all arrived.

        A chunk for a blob already whole is acknowledged without writing (a retry after a lost
        answer). Two uploads of one blob at once are not expected (one bench sends one run at a
        time); the offset check turns a collision into a refusal, never a corrupt blob.
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
        now = self.state(sha256)
        if now.complete:
            return now
        if offset != now.received:
            raise OffsetMismatch(sha256, now.received, offset)
        self.root.mkdir(parents=True, exist_ok=True)
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
        if not path.exists():
            return None
        data = path.read_bytes()
        if sha256_hex(data) != sha256:
            path.unlink(missing_ok=True)  # damaged at rest: the bench sends it again
            return None
        return data

    def discard(self, sha256: str) -> None:
        self._whole(sha256).unlink(missing_ok=True)
        self._part(sha256).unlink(missing_ok=True)
