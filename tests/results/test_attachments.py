from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from store_builders import PNG_BYTES, register

from results.attachments import EvidenceStore, attach, detect_media_type
from results.errors import ValidationError
from results.integrity import sha256_hex
from results.models import Attachment
from results.verify import verify_store

JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(32)
PDF_BYTES = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (PNG_BYTES, "a.png", "image/png"),
        (JPEG_BYTES, "a.jpg", "image/jpeg"),
        (PDF_BYTES, "a.pdf", "application/pdf"),
        (b'{"v": 3.7}', "a.json", "application/json"),
        (b"t,v\n0,3.7\n1,3.8\n", "data", "text/csv"),
        (b"single column\n", "a.csv", "text/csv"),
        (b"pack at 0 V on arrival\n", "notes.txt", "text/plain"),
        (b"\x93NUMPY\x01\x00", "a.npy", "application/x-npy"),
        (b"MZ\x90\x00\x03\x00\x00\x00", "setup.exe", None),
        (b"\xff\xfe\x00bad", "x.txt", None),
    ],
)
def test_media_type_comes_from_content(data: bytes, name: str, expected: str | None) -> None:
    assert detect_media_type(data, name) == expected


def test_files_are_content_addressed_and_deduplicated(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    first = store.put(PNG_BYTES, name="../../etc/passwd.png")
    second = store.put(PNG_BYTES, name="copy.png")
    assert first == second and first.sha256 == sha256_hex(PNG_BYTES)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files == [tmp_path / first.sha256[:2] / first.sha256]  # the name never reaches a path
    assert store.read(first.sha256) == PNG_BYTES
    files[0].write_bytes(b"changed")
    with pytest.raises(ValidationError, match="no longer matches"):
        store.read(first.sha256)
    store.put(PNG_BYTES, name="again.png")  # a damaged copy is replaced by a good upload
    assert store.check(first.sha256) is None


@pytest.mark.parametrize(
    ("data", "name", "declared", "field", "problem"),
    [
        (PNG_BYTES, "photo.png", "image/jpeg", "media_type", "declared image/jpeg"),
        (PNG_BYTES, "photo.jpg", None, "name", "extension says image/jpeg"),
        (PDF_BYTES, "report.png", "application/pdf", "name", "content is application/pdf"),
        (b"MZ\x90\x00", "tool.bin", None, "content", "none of the accepted"),
        (b"", "empty.txt", None, "content", "empty"),
        (bytes(2048), "big.png", None, "content", "over the 1024-byte limit"),
        (PNG_BYTES, "", None, "name", "not a usable file name"),
    ],
)
def test_bad_attachments_are_refused_and_write_nothing(
    sessions: sessionmaker[Session],
    evidence_dir: Path,
    data: bytes,
    name: str,
    declared: str | None,
    field: str,
    problem: str,
) -> None:
    complaint_id, _number, _unit = register(sessions)
    store = EvidenceStore(evidence_dir, max_bytes=1024)
    with pytest.raises(ValidationError) as caught, sessions.begin() as session:
        attach(
            session,
            store,
            data,
            name=name,
            declared_media_type=declared,
            actor="li.na",
            complaint_id=complaint_id,
        )
    assert caught.value.field == field and problem in str(caught.value)
    assert list(evidence_dir.iterdir()) == []
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_complaint_attachment_is_audited_and_verified(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    complaint_id, _number, _unit = register(sessions)
    store = EvidenceStore(evidence_dir)
    with sessions.begin() as session:
        row = attach(
            session,
            store,
            b"t,v\n0,3.7\n",
            name="log.csv",
            declared_media_type="text/plain",
            actor="li.na",
            complaint_id=complaint_id,
        )
    assert (row.media_type, row.size, row.original_name) == ("text/csv", 10, "log.csv")
    with sessions() as session:
        assert verify_store(session, evidence_dir).ok
    store.path_for(row.sha256).unlink()
    with sessions() as session:
        problems = verify_store(session, evidence_dir).problems
    assert [(p.kind, p.detail.split()[0]) for p in problems] == [("evidence", "missing")]


def test_sweep_removes_only_old_unreferenced_files(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    import os
    from datetime import UTC, datetime, timedelta

    store = EvidenceStore(evidence_dir)
    complaint_id, _number, _unit_id = register(sessions)
    with sessions.begin() as session:
        kept = attach(
            session, store, PNG_BYTES, name="kept.png", actor="li", complaint_id=complaint_id
        )
    with pytest.raises(RuntimeError), sessions.begin() as session:  # file lands, row rolls back
        attach(session, store, JPEG_BYTES, name="lost.jpg", actor="li", complaint_id=complaint_id)
        raise RuntimeError("operator cancelled")
    fresh = store.put(PDF_BYTES, name="fresh.pdf")  # a transaction still in flight
    foreign = evidence_dir / "ab" / "notes.txt"
    foreign.parent.mkdir(exist_ok=True)
    foreign.write_text("not ours")
    now = datetime.now(UTC)
    old = (now - timedelta(days=2)).timestamp()
    for path in (store.path_for(kept.sha256), store.path_for(sha256_hex(JPEG_BYTES)), foreign):
        os.utime(path, (old, old))

    with sessions() as session:
        removed = store.sweep_orphans(session, older_than=timedelta(days=1), now=now)
    assert removed == [sha256_hex(JPEG_BYTES)]
    assert store.check(kept.sha256) is None and store.check(fresh.sha256) is None
    assert foreign.exists() and not store.path_for(sha256_hex(JPEG_BYTES)).exists()
    with sessions() as session:
        assert store.sweep_orphans(session, older_than=timedelta(days=1), now=now) == []
        with pytest.raises(ValidationError, match="older_than"):
            store.sweep_orphans(session, older_than=timedelta(days=-1))


def test_reusing_an_old_orphan_restarts_its_grace_period(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    import os
    from datetime import UTC, datetime, timedelta

    store = EvidenceStore(evidence_dir)
    orphan = store.put(PDF_BYTES, name="a.pdf")
    old = (datetime.now(UTC) - timedelta(days=2)).timestamp()
    os.utime(store.path_for(orphan.sha256), (old, old))
    store.put(PDF_BYTES, name="again.pdf")  # about to be referenced by a new row
    with sessions() as session:
        assert store.sweep_orphans(session, older_than=timedelta(days=1)) == []
