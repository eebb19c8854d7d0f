"""``packbench sync`` against a real service process: the service stops in the middle of a sync,
comes back, and every run arrives exactly once, identical; a run changed after recording is
refused with the reason; ``packbench verify`` passes on both sides."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from bench_helpers import REPO, cli, register, write_sim_station

from bench.cli_common import station
from bench.config import StationConfig
from bench.runner import open_store_for
from bench.sync import (
    BATCH_BYTES,
    BATCH_RUNS,
    READ_RUNS,
    Backoff,
    Link,
    Reply,
    ServiceUnreachable,
    Target,
    _read_chunk,
    status,
    sync_now,
)
from results.attachments import EvidenceStore
from results.integrity import sha256_hex
from results.readback import load_run
from results.run_transfer import run_json, sync_parts, sync_parts_of
from results.sync_blobs import KEEP_WHOLE_S, LOCKS, STAGING, BlobStage


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def _service(database: Path, evidence: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """``uvicorn`` serving the QA service on ``port`` until the block ends (or it is stopped)."""
    env = os.environ | {
        "PACKBENCH_DATABASE_URL": str(database),
        "PACKBENCH_EVIDENCE_DIR": str(evidence),
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "service.app:app_from_env"]
    command += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(command, cwd=REPO, env=env, start_new_session=True)
    deadline = time.monotonic() + 30
    while True:
        assert proc.poll() is None, f"uvicorn exited with {proc.returncode}"
        assert time.monotonic() < deadline, "uvicorn did not start in 30 s"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2):
                break
        except OSError:
            time.sleep(0.1)
    try:
        yield proc
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)  # the link dies as in a power cut, mid-whatever
        proc.wait(timeout=10)


def _runs(database: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(database) as connection:
        return list(connection.execute("SELECT station, started_at FROM run ORDER BY id"))


def _values(station_file: Path, run_id: int) -> dict[str, object]:
    config = station(station_file)
    with open_store_for(config)() as session:
        return run_json(load_run(session, run_id, evidence=EvidenceStore(config.evidence_dir)))


def test_a_sync_cut_by_the_service_stopping_resumes_and_every_run_arrives_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench_file = write_sim_station(tmp_path / "bench.toml", tmp_path / "bench")
    service_dir = tmp_path / "service"
    service_file = write_sim_station(tmp_path / "service.toml", service_dir)  # for 'verify'
    service_db, service_evidence = service_dir / "store.sqlite3", service_dir / "evidence"
    service_dir.mkdir()
    code, out, err = cli(capsys, "token", "bench", "bench-7", "--database", str(service_db))
    assert code == 0, err
    token = out.strip()
    number = register(capsys, bench_file, "U-1", "U-2", "U-3")
    code, _, err = cli(
        capsys, "run", "diagnosis", "-c", number, "-u", "U-1", "-u", "U-2", "-u", "U-3",
        "--station", str(bench_file), "--yes", "--operator", "li.wei",
    )  # fmt: skip
    assert code in (0, 1), err
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    config = station(bench_file)
    sessions = open_store_for(config)
    waits: list[float] = []

    with _service(service_db, service_evidence, port) as proc:

        def stop_after_first(line: str) -> None:
            _stop(proc)  # the service dies right after answering the first run

        with pytest.raises(ServiceUnreachable, match="stays pending"):
            sync_now(
                config,
                sessions,
                Target(url, token),
                backoff=Backoff(attempts=3, first=0.01),
                sleep=waits.append,
                echo=stop_after_first,
                batch_runs=1,  # a request per run, so the service dies between two runs
            )
    assert waits == [0.01, 0.02]  # backed off, then gave up: the rest stays pending
    assert [i.state for i in status(config, sessions)] == ["sent", "pending", "pending"]
    assert len(_runs(service_db)) == 1

    # the bench lost its record of the first answer (state file from before): a repeat
    state = next((tmp_path / "bench").glob("*.sync.json"))
    state.unlink()
    with _service(service_db, service_evidence, port):
        code, out, err = cli(capsys, "sync", "--service", url, "--token", token, "--station",
                             str(bench_file), "--json")  # fmt: skip
        assert code == 0, err
        assert '"sent": 2' in out and '"already_there": 1' in out
        code, out, err = cli(capsys, "sync", "--service", url, "--token", token, "--station",
                             str(bench_file), "--json")  # fmt: skip
        assert code == 0 and '"sent": 0' in out and '"already_there": 0' in out

        assert cli(capsys, "verify", "--station", str(bench_file))[0] == 0
        assert cli(capsys, "verify", "--station", str(service_file))[0] == 0

        # a fourth run, then one of its values edited in the bench's store: refused
        code, _, err = cli(capsys, "run", "diagnosis", "-c", number, "-u", "U-1", "--station",
                           str(bench_file), "--yes")  # fmt: skip
        assert code in (0, 1), err
        with sqlite3.connect(tmp_path / "bench" / "store.sqlite3") as connection:
            connection.execute(
                "UPDATE measurement SET value = value + 0.5 WHERE id = (SELECT MAX(m.id) FROM "
                "measurement m JOIN step s ON m.step_id = s.id WHERE s.run_id = 4 AND m.value "
                "IS NOT NULL)"
            )
        code, out, err = cli(capsys, "sync", "--service", url, "--token", token, "--station",
                             str(bench_file))  # fmt: skip
        assert code == 1, err
        assert "0 run(s) sent, 0 already on the service, 1 refused" in out

    code, out, _ = cli(capsys, "sync", "status", "--station", str(bench_file))
    assert out.startswith("0 pending, 3 sent, 1 refused")
    assert "refused  run 4" in out and "changed after recording" in out
    # exactly once, identical: the service holds runs 1-3 with the bench's values and hashes
    assert _runs(service_db) == _runs(tmp_path / "bench" / "store.sqlite3")[:3]
    sent = {i.run_id: i.entry.service_id for i in status(config, sessions) if i.entry}
    for bench_run in (1, 2, 3):
        service_run = sent[bench_run]
        assert service_run is not None
        assert _values(service_file, service_run) == _values(bench_file, bench_run)
    assert cli(capsys, "verify", "--station", str(service_file))[0] == 0
    code, out, _ = cli(capsys, "verify", "--station", str(bench_file))
    assert code == 1 and "step id=" in out  # the bench's own check catches the edit too


def test_an_upload_cut_half_way_resumes_at_the_byte_the_service_has(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bench_file = write_sim_station(tmp_path / "bench.toml", tmp_path / "bench")
    service_dir = tmp_path / "service"
    service_dir.mkdir()
    service_db, service_evidence = service_dir / "store.sqlite3", service_dir / "evidence"
    token = cli(capsys, "token", "bench", "bench-7", "--database", str(service_db))[1].strip()
    number = register(capsys, bench_file, "U-1")
    answers = REPO / "examples" / "appearance" / "answers.toml"
    code, _, err = cli(capsys, "run", "appearance", "-c", number, "-u", "U-1", "--answers",
                       str(answers), "--station", str(bench_file), "--yes")  # fmt: skip
    assert code == 0, err
    config = station(bench_file)
    sessions = open_store_for(config)
    with sessions() as session:
        parts = sync_parts(session, 1, EvidenceStore(config.evidence_dir), from_bytes=512)
    sha, data = max(parts.blobs.items(), key=lambda item: len(item[1]))
    half = len(data) // 2
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with _service(service_db, service_evidence, port):
        link = Link(Target(url, token), Backoff(attempts=1))
        sizes = {"Upload-Length": str(len(data))}
        first = link.call("PUT", f"/api/sync/blobs/{sha}", data=data[:half], headers=sizes)
        assert first.status == 202  # then the link dropped
        lines: list[str] = []
        summary = sync_now(
            config, sessions, Target(url, token), inline_below=512, chunk_bytes=256,
            echo=lines.append,
        )  # fmt: skip
    assert len(summary.sent) == 1
    assert f"blob {sha}: resuming at byte {half} of {len(data)}" in lines
    # the staged copies stay for other benches' runs, and go once left alone for an hour
    assert BlobStage(service_evidence).sweep(now=time.time() + KEEP_WHOLE_S + 60) == len(
        parts.blobs
    )
    assert [p.name for p in (service_evidence / STAGING).iterdir()] == [LOCKS]
    service_file = write_sim_station(tmp_path / "service.toml", service_dir)
    assert cli(capsys, "verify", "--station", str(service_file))[0] == 0
    sent = status(config, sessions)[0].entry
    assert sent is not None and sent.service_id is not None
    assert _values(service_file, sent.service_id) == _values(bench_file, 1)


def test_runs_are_read_a_chunk_at_a_time_fewer_when_they_are_big() -> None:
    """One run first (its size is not known yet), then up to ``READ_RUNS`` at once, never more
    than a batch, and only as many as ``BATCH_BYTES`` holds at the size seen so far."""
    assert _read_chunk(0, 0, BATCH_RUNS) == 1
    assert _read_chunk(250_000, 1, BATCH_RUNS) == READ_RUNS  # a realistic run: 250 kB
    assert _read_chunk(250_000, 1, 4) == 4
    assert _read_chunk(250_000, 1, 0) == 1  # batches switched off: one at a time
    assert _read_chunk(2 * BATCH_BYTES // 5, 1, BATCH_RUNS) == 2
    assert _read_chunk(11_000_000, 1, BATCH_RUNS) == 1  # photos and a 100,000-sample trace


def _service_stand_in(
    calls: list[tuple[str, str, int]], *, knows_blobs: bool
) -> Callable[..., Reply]:
    """``bench.sync.request`` answered as a service would: it takes blobs uploaded apart and a
    batch whose blobs it holds or that carries them (each checked against its name); one older
    than a batch's ``blobs`` (``knows_blobs`` false) refuses the key (pydantic's
    ``extra_forbidden``, as ``service.app`` words it). ``calls``: (method, path, blobs
    carried)."""
    held: set[str] = set()

    def answer(
        target: Target,
        method: str,
        path: str,
        *,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float,
    ) -> Reply:
        body = json.loads(data or b"{}") if method == "POST" else {}
        carried = body.get("blobs", {})
        calls.append((method, path, len(carried)))
        if path == "/api/sync/blobs/state":
            return Reply(200, {"blobs": {sha: {"complete": sha in held, "received": 0}
                                         for sha in body["sha256"]}})  # fmt: skip
        if method == "PUT":
            held.add(path.rsplit("/", 1)[1])
            return Reply(
                201, {"complete": True}, {"Upload-Offset": (headers or {})["Upload-Length"]}
            )
        if "blobs" in body and not knows_blobs:
            loc = ["body", "blobs"]
            return Reply(422, {"status": 422, "detail": [{"loc": loc, "type": "extra_forbidden"}]})
        for sha, text in carried.items():
            assert sha256_hex(base64.b64decode(text)) == sha
            held.add(sha)
        named = {a["blob"] for run in body["runs"] for s in run["steps"] for a in s["attachments"]}
        assert named <= held, "a run posted before its blobs were uploaded"
        runs = [{"uuid": run["origin"]["run_uuid"], "status": 201, "id": i + 1}
                for i, run in enumerate(body["runs"])]  # fmt: skip
        return Reply(200, {"runs": runs})

    return answer


def _three_appearance_runs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> StationConfig:
    """A bench whose store holds three appearance runs (each with files of over 512 bytes)."""
    bench_file = write_sim_station(tmp_path / "bench.toml", tmp_path / "bench")
    units = ("U-1", "U-2", "U-3")
    number = register(capsys, bench_file, *units)
    answers = REPO / "examples" / "appearance" / "answers.toml"
    for unit in units:
        code, _, err = cli(capsys, "run", "appearance", "-c", number, "-u", unit, "--answers",
                           str(answers), "--station", str(bench_file), "--yes")  # fmt: skip
        assert code == 0, err
    return station(bench_file)


def test_a_service_older_than_carried_blobs_gets_them_uploaded_apart(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bench carries the small blobs a batch's runs name inside the batch request; a service
    that refuses them (older than ``SyncBatch.blobs``) gets the batch again with the blobs
    uploaded first, and so does every later batch of the sync: every run arrives, none is
    refused, and the blobs were offered inside a batch once."""
    config = _three_appearance_runs(capsys, tmp_path)
    calls: list[tuple[str, str, int]] = []
    monkeypatch.setattr("bench.sync.request", _service_stand_in(calls, knows_blobs=False))
    summary = sync_now(
        config, open_store_for(config), Target("http://127.0.0.1:9", "token"),
        inline_below=512, batch_runs=2,
    )  # fmt: skip
    assert (len(summary.sent), summary.refused) == (3, [])
    first_two, every = _blobs_of(config, [[1, 2], [1, 2, 3]])
    batches = [carried for _method, path, carried in calls if path.endswith("/batch")]
    assert batches == [len(first_two), 0, 0]  # the first batch's blobs offered, then none
    assert sum(method == "PUT" for method, _path, _carried in calls) == len(every)


def _blobs_of(config: StationConfig, runs: list[list[int]]) -> list[set[str]]:
    """The blobs (SHA-256) that the bench's runs of each list travel with (``sync_parts_of``)."""
    evidence = EvidenceStore(config.evidence_dir)
    with open_store_for(config)() as session:
        return [
            {
                sha
                for parts in sync_parts_of(session, ids, evidence, from_bytes=512)
                for sha in parts.blobs
            }
            for ids in runs
        ]


def test_a_batch_carries_at_most_max_carried_blobs_and_uploads_the_rest(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three runs' blobs in one batch, with room for two: two carried, the others uploaded
    apart before the batch is posted; every run arrives."""
    config = _three_appearance_runs(capsys, tmp_path)
    calls: list[tuple[str, str, int]] = []
    monkeypatch.setattr("bench.sync.request", _service_stand_in(calls, knows_blobs=True))
    monkeypatch.setattr("bench.sync.MAX_CARRIED_BLOBS", 2)
    summary = sync_now(
        config, open_store_for(config), Target("http://127.0.0.1:9", "token"),
        inline_below=512, batch_runs=3,
    )  # fmt: skip
    assert (len(summary.sent), summary.refused) == (3, [])
    (every,) = _blobs_of(config, [[1, 2, 3]])
    assert len(every) > 2
    sent = [(m, c) for m, path, c in calls if m == "PUT" or path.endswith("/batch")]
    assert sent == [("PUT", 0)] * (len(every) - 2) + [("POST", 2)]
