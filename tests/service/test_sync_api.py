"""``POST /api/sync/runs``: a bench's run arrives once, with its complaint and unit, identical,
and a run changed after recording is refused; a bench token reads only what it ran (403)."""

from __future__ import annotations

import base64
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from accounts_setup import make_users
from documents import complaint_payload, png_bytes, run_document
from fastapi.testclient import TestClient
from service_support import EMERGENCY_GROUP, Service
from sqlalchemy import func, select, update

from results.errors import NotFound
from results.integrity import sha256_hex
from results.models import Attachment, AuditEvent, Complaint, Measurement, ReturnedUnit, Run
from results.readback import load_run
from results.recorder import interrupt_run
from results.run_transfer import run_json, sync_document, sync_parts, sync_parts_of
from results.sync_blobs import LOCKS, STAGING
from results.verify import verify_store
from service import sync_document as sync_document_module
from service.app import create_app
from service.settings import Settings
from service.store import open_store


@pytest.fixture
def bench(tmp_path: Path, _sqlite_template: Path) -> Iterator[Service]:
    """A bench's own store (SQLite), filled through its own app: one complaint, unit and run."""
    path = tmp_path / "bench.sqlite3"
    shutil.copyfile(_sqlite_template, path)
    settings = Settings(str(path), tmp_path / "bench-evidence", emergency_group=EMERGENCY_GROUP)
    store = open_store(settings, migrate=False)
    tokens = make_users(store)
    with TestClient(create_app(settings, store=store), base_url="http://127.0.0.1") as client:
        yield Service(client, store, tokens, settings)


def _bench_run(bench: Service) -> int:
    wang = bench.auth("wang.wei")
    number = bench.client.post("/api/complaints", json=complaint_payload(), headers=wang).json()[
        "number"
    ]
    unit = bench.client.post(
        f"/api/complaints/{number}/units",
        json={"serial": "SN-0001", "received_at": "2026-03-02T01:30:00Z"},
        headers=wang,
    ).json()
    doc = run_document(unit["id"], unit["serial"], number)
    doc["steps"][0]["attachments"] = [
        {"name": "pack.png", "content_base64": __import__("base64").b64encode(png_bytes()).decode()}
    ]
    r = bench.client.post("/api/runs", json=doc, headers=bench.auth("bench-3"))
    assert r.status_code == 201, r.text
    run_id: int = r.json()["id"]
    return run_id


def _document(bench: Service, run_id: int) -> dict[str, Any]:
    with bench.store.sessions() as session:
        return sync_document(session, run_id, bench.store.evidence)


def _counts(svc: Service) -> dict[str, int]:
    with svc.store.sessions() as session:
        return {
            m.__name__: session.scalar(select(func.count()).select_from(m)) or 0
            for m in (Complaint, ReturnedUnit, Run, Measurement, Attachment, AuditEvent)
        }


def _recorded(svc: Service, run_id: int) -> dict[str, Any]:
    with svc.store.sessions() as session:
        return run_json(load_run(session, run_id, evidence=svc.store.evidence))


@pytest.mark.parametrize("interrupted", [False, True])
def test_a_synced_run_arrives_once_with_its_complaint_and_unit_and_identical_values(
    service: Service, bench: Service, interrupted: bool
) -> None:
    run_id = _bench_run(bench)
    if interrupted:  # as the bench's watchdog leaves a run whose process was killed
        with bench.store.sessions.begin() as session:
            interrupt_run(session, session.get_one(Run, run_id), "power cut", actor="system")
    doc = _document(bench, run_id)
    assert _counts(service)["Complaint"] == 0  # created at the bench only
    first = service.client.post("/api/sync/runs", json=doc, headers=service.auth("bench-3"))
    assert first.status_code == 201, first.text
    after_first = _counts(service)
    again = service.client.post("/api/sync/runs", json=doc, headers=service.auth("bench-3"))
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["created"] is False
    assert _counts(service) == after_first
    assert (after_first["Complaint"], after_first["ReturnedUnit"], after_first["Run"]) == (1, 1, 1)
    assert _recorded(service, first.json()["id"]) == _recorded(bench, run_id)
    with service.store.sessions() as session:
        arrived = session.get_one(Run, first.json()["id"])
        assert (arrived.interrupted, arrived.status) == (
            interrupted,
            "interrupted" if interrupted else "finished",
        )
    with service.store.sessions() as session:
        shas = set(session.scalars(select(Attachment.sha256)))
        report = verify_store(session, service.settings.evidence_dir)
    with bench.store.sessions() as session:
        assert shas == set(session.scalars(select(Attachment.sha256)))
    assert report.ok, report.problems


def test_runs_read_together_give_each_the_parts_it_gets_alone(bench: Service) -> None:
    """A bench reads its backlog a chunk at a time (``sync_parts_of``): each run's document,
    origin (its own steps, seal and audit events, attachments' included) and blobs must be
    exactly what reading it alone gives, whatever else shares the chunk."""
    runs = [_bench_run(bench) for _ in range(3)]
    with bench.store.sessions.begin() as session:  # one run of the chunk killed mid-way
        interrupt_run(session, session.get_one(Run, runs[1]), "power cut", actor="system")
    order = [runs[2], runs[0], runs[1]]
    with bench.store.sessions() as session:
        together = sync_parts_of(session, order, bench.store.evidence, from_bytes=64)
        alone = [sync_parts(session, r, bench.store.evidence, from_bytes=64) for r in order]
        with pytest.raises(NotFound, match="run 999"):
            sync_parts_of(session, [runs[0], 999], bench.store.evidence)
    assert together == alone
    origins = [parts.document["origin"] for parts in together]
    assert [o["run_id"] for o in origins] == order
    assert [o["interrupted"] for o in origins] == [False, False, True]
    assert len({o["run_uuid"] for o in origins}) == 3
    for origin in origins:  # each carries its own seal and events, its attachment's included
        assert origin["sealed_chain"] and origin["audit"]
        assert len({e["seq"] for e in origin["audit"]}) == len(origin["audit"])
    assert not {e["seq"] for e in origins[0]["audit"]} & {e["seq"] for e in origins[1]["audit"]}
    assert all(parts.blobs for parts in together)  # each run's photo travels as its blob


@pytest.mark.parametrize("change", ["measurement", "evidence_name", "step_ids"])
def test_a_run_changed_after_recording_is_refused_and_nothing_is_written(
    service: Service, bench: Service, change: str
) -> None:
    run_id = _bench_run(bench)
    if change == "measurement":  # edited in the bench's store behind the recorder's back
        with bench.store.sessions.begin() as session:
            session.execute(update(Measurement).values(value=3.7).where(Measurement.value == 0.12))
        doc = _document(bench, run_id)
    else:
        doc = _document(bench, run_id)
        if change == "evidence_name":
            doc["steps"][0]["attachments"][0]["name"] = "other.png"
        else:
            doc["origin"]["step_ids"] = list(reversed(doc["origin"]["step_ids"]))
    before = _counts(service)
    r = service.client.post("/api/sync/runs", json=doc, headers=service.auth("bench-3"))
    assert r.status_code == 422, r.text
    assert "changed after recording" in r.json()["detail"]
    assert _counts(service) == before


def test_a_bench_token_submits_runs_and_reads_only_the_complaint_and_unit_it_ran(
    service: Service, bench: Service
) -> None:
    doc = _document(bench, _bench_run(bench))
    H = service.auth("bench-3")
    number = doc["complaint"]["number"]
    assert service.client.get(f"/api/complaints/{number}", headers=H).status_code == 404
    r = service.client.post("/api/sync/runs", json=doc, headers=H)
    assert r.status_code == 201, r.text
    run = service.client.get(r.json()["url"], headers=service.auth("viewer")).json()
    other = service.client.post(
        "/api/complaints", json=complaint_payload(), headers=service.auth("wang.wei")
    ).json()["number"]
    assert other != number  # the service never draws a number a bench already used
    other_unit = service.client.post(
        f"/api/complaints/{other}/units",
        json={"serial": "SN-9", "received_at": "2026-03-02T01:30:00Z"},
        headers=service.auth("wang.wei"),
    ).json()["id"]
    assert service.client.get(f"/api/complaints/{number}", headers=H).status_code == 200
    assert service.client.get(f"/api/units/{run['unit_id']}", headers=H).status_code == 200
    forbidden = [
        service.client.get(f"/api/complaints/{other}", headers=H),
        service.client.get(f"/api/units/{other_unit}", headers=H),
        service.client.get("/api/complaints", headers=H),
        service.client.get(r.json()["url"], headers=H),
        service.client.get(f"/api/units/{run['unit_id']}/path", headers=H),
        service.client.post("/api/complaints", json=complaint_payload(), headers=H),
        service.client.post(
            f"/api/complaints/{number}/transition", json={"target": "analysing"}, headers=H
        ),
        service.client.post(
            f"/api/runs/{r.json()['id']}/invalidate", json={"reason": "x"}, headers=H
        ),
        service.client.post("/api/reports/1/approve", json={}, headers=H),
        service.client.post("/api/reports/1/sign", json={}, headers=H),
        service.client.post("/api/claims/1/approve", json={}, headers=H),
    ]
    assert [f.status_code for f in forbidden] == [403] * len(forbidden)
    for person in ("wang.wei", "zhao.min", "viewer", "admin"):
        refused = service.client.post("/api/sync/runs", json=doc, headers=service.auth(person))
        assert refused.status_code == 403, person


def test_blobs_upload_in_chunks_resume_at_the_offset_and_the_run_names_them(
    service: Service, bench: Service
) -> None:
    run_id = _bench_run(bench)
    with bench.store.sessions() as session:
        parts = sync_parts(session, run_id, bench.store.evidence, from_bytes=64)
    inline = _document(bench, run_id)
    assert parts.blobs, "the photo travels as a blob"
    assert "content_base64" not in str(parts.document["steps"])
    H = service.auth("bench-3")
    # the run first: it names blobs the service lacks, 409, nothing written
    before = _counts(service)
    r = service.client.post("/api/sync/runs", json=parts.document, headers=H)
    assert r.status_code == 409 and "not uploaded" in r.json()["detail"], r.text
    assert _counts(service) == before
    names = {"sha256": sorted(parts.blobs)}
    state = service.client.post("/api/sync/blobs/state", json=names, headers=H)
    assert state.status_code == 200, state.text
    assert state.json()["blobs"] == {sha: {"complete": False, "received": 0} for sha in parts.blobs}
    viewer = service.auth("viewer")
    assert (
        service.client.post("/api/sync/blobs/state", json=names, headers=viewer).status_code == 403
    )
    for sha, data in parts.blobs.items():
        path = f"/api/sync/blobs/{sha}"
        head = service.client.head(path, headers=H)
        assert (head.status_code, head.headers["Upload-Offset"]) == (404, "0")
        half = len(data) // 2
        sizes = {"Upload-Length": str(len(data))}
        r = service.client.put(path, content=data[:half], headers=H | sizes)
        assert (r.status_code, r.headers["Upload-Offset"]) == (202, str(half)), r.text
        # the link drops here; a stale resume from 0 is told where the blob ends
        r = service.client.put(path, content=data, headers=H | sizes | {"Upload-Offset": "0"})
        assert r.status_code == 409 and f"Upload-Offset {half}" in r.json()["detail"]
        head = service.client.head(path, headers=H)
        assert (head.status_code, head.headers["Upload-Offset"]) == (404, str(half))
        offset = {"Upload-Offset": str(half)}
        r = service.client.put(path, content=data[half:], headers=H | sizes | offset)
        assert r.status_code == 201 and r.json()["complete"] is True, r.text
        assert service.client.head(path, headers=H).status_code == 200
        again = service.client.put(path, content=data[half:], headers=H | sizes | offset)
        assert again.status_code == 201  # a retry after a lost answer: acknowledged
    state = service.client.post("/api/sync/blobs/state", json=names, headers=H).json()["blobs"]
    assert all(s["complete"] and s["received"] == len(parts.blobs[k]) for k, s in state.items())
    first = service.client.post("/api/sync/runs", json=parts.document, headers=H)
    assert first.status_code == 201, first.text
    # the inline document of the same run is the same run: acknowledged, never a second one
    again = service.client.post("/api/sync/runs", json=inline, headers=H)
    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])
    assert _recorded(service, first.json()["id"]) == _recorded(bench, run_id)
    with service.store.sessions() as session:
        assert verify_store(session, service.settings.evidence_dir).ok


def test_a_blob_whose_bytes_do_not_match_its_name_is_dropped_and_only_benches_upload(
    service: Service,
) -> None:
    data = png_bytes()
    sha = sha256_hex(data)
    wrong = bytes(reversed(data))
    H = service.auth("bench-3")
    sizes = {"Upload-Length": str(len(data))}
    r = service.client.put(f"/api/sync/blobs/{sha}", content=wrong, headers=H | sizes)
    assert r.status_code == 422 and "hash to" in r.json()["detail"], r.text
    head = service.client.head(f"/api/sync/blobs/{sha}", headers=H)
    assert (head.status_code, head.headers["Upload-Offset"]) == (404, "0")  # nothing kept
    for person in ("wang.wei", "viewer", "admin"):
        headers = service.auth(person) | sizes
        assert (
            service.client.put(f"/api/sync/blobs/{sha}", content=data, headers=headers).status_code
            == 403
        )
        assert (
            service.client.head(f"/api/sync/blobs/{sha}", headers=service.auth(person)).status_code
            == 403
        )
    r = service.client.put(
        f"/api/sync/blobs/{sha}", content=data, headers=H | {"Upload-Length": "1"}
    )
    assert r.status_code == 422  # more bytes than the blob's declared length


def test_a_batch_carrying_its_blobs_is_recorded_with_nothing_uploaded_or_staged(
    service: Service, bench: Service
) -> None:
    """A batch may carry the blobs its runs name (base64 by SHA-256): its runs are recorded
    from them, identical to the bench's, and no blob is staged. A carried blob whose bytes are
    not the ones its name says, or that is not base64, refuses the batch by that name, with
    nothing written."""
    runs = [_bench_run(bench) for _ in range(2)]
    with bench.store.sessions() as session:
        parts = sync_parts_of(session, runs, bench.store.evidence, from_bytes=64)
    blobs = {sha: data for p in parts for sha, data in p.blobs.items()}
    assert blobs  # each run's photo travels as a blob
    carried = {sha: base64.b64encode(data).decode() for sha, data in blobs.items()}
    docs = [p.document for p in parts]
    H = service.auth("bench-3")
    before = _counts(service)
    some = next(iter(blobs))
    for wrong, says in ((base64.b64encode(b"not the photo").decode(), "hash to"),
                        ("not base64!", "not base64")):  # fmt: skip
        r = service.client.post(
            "/api/sync/runs/batch", json={"runs": docs, "blobs": carried | {some: wrong}}, headers=H
        )
        assert r.status_code == 422 and r.json()["field"] == f"blobs.{some}", r.text
        assert says in r.json()["detail"]
        assert _counts(service) == before
    r = service.client.post(
        "/api/sync/runs/batch", json={"runs": docs, "blobs": carried}, headers=H
    )
    assert r.status_code == 200, r.text
    answers = r.json()["runs"]
    assert [a["status"] for a in answers] == [201, 201]
    for run_id, answer in zip(runs, answers, strict=True):
        assert _recorded(service, answer["id"]) == _recorded(bench, run_id)
    staging = service.settings.evidence_dir / STAGING
    assert not staging.exists() or [p.name for p in staging.iterdir()] == [LOCKS]


def test_a_batch_answers_each_run_as_it_would_be_answered_alone(
    service: Service, bench: Service
) -> None:
    """One request with a new run, a run changed after recording, a second new run, the first
    again, and a run naming a blob never uploaded: each answered as ``POST /api/sync/runs``
    answers it alone (201, 422, 201, 200, 409), only the two new runs written, with their
    complaints and units, identical to the bench's; the same batch again writes nothing."""
    first, tampered, second, blobbed = (_bench_run(bench) for _ in range(4))
    docs = {run_id: _document(bench, run_id) for run_id in (first, tampered, second)}
    docs[tampered]["steps"][0]["attachments"][0]["name"] = "other.png"
    with bench.store.sessions() as session:
        parts = sync_parts(session, blobbed, bench.store.evidence, from_bytes=64)
    never_sent = "ab" * 32  # (the photo itself is evidence here already: the same bytes)
    parts.document["steps"][0]["attachments"][0]["blob"] = never_sent
    H = service.auth("bench-3")
    alone = service.client.post("/api/sync/runs", json=docs[tampered], headers=H)
    assert alone.status_code == 422, alone.text
    before = _counts(service)
    batch = {"runs": [docs[first], docs[tampered], docs[second], docs[first], parts.document]}
    r = service.client.post("/api/sync/runs/batch", json=batch, headers=H)
    assert r.status_code == 200, r.text
    answers = r.json()["runs"]
    assert [a["status"] for a in answers] == [201, 422, 201, 200, 409]
    assert [a["uuid"] for a in answers] == [d["origin"]["run_uuid"] for d in batch["runs"]]
    assert answers[1]["detail"] == alone.json()["detail"]
    assert answers[3]["id"] == answers[0]["id"] and answers[3]["created"] is False
    assert answers[4]["missing"] == [never_sent]
    after = _counts(service)
    assert (after["Complaint"], after["ReturnedUnit"], after["Run"]) == (
        before["Complaint"] + 2,
        before["ReturnedUnit"] + 2,
        before["Run"] + 2,
    )
    for answer, run_id in ((answers[0], first), (answers[2], second)):
        assert answer["url"] == f"/api/runs/{answer['id']}"
        assert _recorded(service, answer["id"]) == _recorded(bench, run_id)
    again = service.client.post("/api/sync/runs/batch", json=batch, headers=H)
    assert [a["status"] for a in again.json()["runs"]] == [200, 422, 200, 200, 409]
    assert [a.get("id") for a in again.json()["runs"]][::2] == [
        answers[0]["id"],
        answers[2]["id"],
        None,
    ]
    assert _counts(service) == after
    with service.store.sessions() as session:
        report = verify_store(session, service.settings.evidence_dir)
    assert report.ok, report.problems
    viewer = service.client.post("/api/sync/runs/batch", json=batch, headers=service.auth("viewer"))
    assert viewer.status_code == 403


def test_a_batch_of_good_runs_is_recorded_together_each_as_alone(
    service: Service, bench: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New runs only (one interrupted, one sent twice): recorded in one transaction (the
    run-by-run path is made to fail, so only that transaction can have written them), answered
    201, 201, 200, identical to the bench's, the interrupted one interrupted; verify passes."""

    def one_by_one(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("recorded run by run, not together")

    monkeypatch.setattr(sync_document_module, "store_synced", one_by_one)
    plain, cut = _bench_run(bench), _bench_run(bench)
    with bench.store.sessions.begin() as session:
        interrupt_run(session, session.get_one(Run, cut), "power cut", actor="system")
    docs = [_document(bench, plain), _document(bench, cut)]
    before = _counts(service)
    r = service.client.post(
        "/api/sync/runs/batch", json={"runs": [*docs, docs[0]]}, headers=service.auth("bench-3")
    )
    assert r.status_code == 200, r.text
    answers = r.json()["runs"]
    assert [a["status"] for a in answers] == [201, 201, 200]
    assert answers[2]["id"] == answers[0]["id"]
    assert _counts(service)["Run"] == before["Run"] + 2
    for answer, run_id in zip(answers, (plain, cut), strict=False):
        assert _recorded(service, answer["id"]) == _recorded(bench, run_id)
    with service.store.sessions() as session:
        arrived = session.get_one(Run, answers[1]["id"])
        assert (arrived.interrupted, arrived.status) == (True, "interrupted")
        report = verify_store(session, service.settings.evidence_dir)
    assert report.ok, report.problems
