"""Issue 16's sync under faults: a real QA service process on PostgreSQL, bench processes.

The service (uvicorn) runs on its own PostgreSQL schema; ``packbench run`` and ``packbench sync``
run as their own processes on the simulated station with a SQLite store. The service is killed
(the link cut) in the middle of a run and in the middle of a blob upload, a run's process is
SIGKILLed once its run is recorded, another in the middle of its run (it arrives interrupted), a
sync is SIGKILLed in the middle of an upload, and everything is started again in another order.
In the end every run is on the service exactly once, with the bench's values, traces and evidence
hashes (the two stores' read models are compared), ``packbench sync status`` says so and
``packbench verify`` passes on both sides.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from bench_helpers import PYTHON, REPO, SIM_STATION, child_env, cli, register, write_sim_station
from required_services import PG_SERVER
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session
from test_cli_appearance import ANSWERS
from test_sync import _free_port

from results.attachments import EvidenceStore
from results.migrations import upgrade
from results.models import Attachment, Run
from results.readback import load_run
from results.run_transfer import run_json, run_uuid
from results.sync_blobs import KEEP_WHOLE_S, LOCKS, STAGING, BlobStage

pytestmark = pytest.mark.postgres

PHOTO_BYTES = 96 * 1024


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A schema of its own in the test database, migrated, dropped afterwards."""
    schema = f"pbsync_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_SERVER)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    try:
        upgrade(url)
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


class ServiceProcess:
    """``uvicorn`` serving the QA service on one port; stopped with SIGKILL (a power cut)."""

    def __init__(self, url: str, evidence: Path, port: int, home: Path) -> None:
        self.env = child_env(home) | {
            "PACKBENCH_DATABASE_URL": url,
            "PACKBENCH_EVIDENCE_DIR": str(evidence),
        }
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [PYTHON, "-m", "uvicorn", "--factory", "service.app:app_from_env"]
        command += ["--port", str(self.port), "--log-level", "warning", "--no-access-log"]
        self.proc = subprocess.Popen(command, cwd=REPO, env=self.env, start_new_session=True)
        wait_for(lambda: self._answers(), 30, "the service did not start")

    def _answers(self) -> bool:
        assert self.proc is not None and self.proc.poll() is None, "uvicorn exited"
        import urllib.request

        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/login", timeout=2):
                return True
        except OSError:
            return False

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def wait_for(condition: Callable[[], bool], seconds: float, why: str, every: float = 0.05) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, why
        time.sleep(every)


def bench(home: Path, *args: str) -> subprocess.Popen[str]:
    """``packbench ARGS`` as its own process (stdout and stderr kept)."""
    return subprocess.Popen(
        [PYTHON, "-m", "bench.cli", *args],
        cwd=REPO,
        env=child_env(home),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def finish(proc: subprocess.Popen[str], seconds: float = 240) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=seconds)
    return proc.returncode, out, err


def statuses(store: Path) -> list[str]:
    with sqlite3.connect(store) as connection:
        return [s for (s,) in connection.execute("SELECT status FROM run ORDER BY id")]


def partial_uploads(evidence: Path) -> list[Path]:
    """Staged uploads with bytes in them; one the service completes (and moves) between the
    listing and its size is not partial any more."""
    found = []
    for part in (evidence / STAGING).glob("*.part"):
        with contextlib.suppress(FileNotFoundError):
            if part.stat().st_size > 0:
                found.append(part)
    return found


def appearance_answers(folder: Path) -> Path:
    """The appearance checklist with four photos of ``PHOTO_BYTES`` each (JPEG and PNG
    signatures, random content: distinct per run): big enough to travel in many chunks."""
    photos = folder / "photos"
    photos.mkdir(parents=True)
    for i, name in enumerate(("front.jpg", "back.jpg", "label.jpg")):
        (photos / name).write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(PHOTO_BYTES) + bytes([i]))
    (photos / "terminals.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(PHOTO_BYTES))
    path = folder / "answers.toml"
    path.write_text(
        ANSWERS.format(
            length="69.2 mm",
            lead='lead_length = "61 mm"',
            terminals='terminals = "photos/terminals.png"',
        ),
        encoding="utf-8",
    )
    return path


def appearance(number: str, serial: str, answers: Path) -> tuple[str, ...]:
    return ("run", "appearance", "-c", number, "-u", serial, "--answers", str(answers))


def read_model(session: Session, evidence: Path, run_id: int) -> dict[str, Any]:
    doc = run_json(load_run(session, run_id, evidence=EvidenceStore(evidence)))
    doc["evidence_sha256"] = sorted(
        session.scalars(select(Attachment.sha256).where(Attachment.run_id == run_id))
    )
    return doc


def test_every_run_arrives_once_and_identical_through_cuts_and_kills(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, pg_url: str
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    bench_file = write_sim_station(tmp_path / "bench.toml", tmp_path / "bench")
    bench_store, bench_evidence = (
        tmp_path / "bench" / "store.sqlite3",
        tmp_path / "bench" / "evidence",
    )
    service_evidence = tmp_path / "service-evidence"
    service_file = tmp_path / "service.toml"  # for 'packbench verify' on the service's store
    service_file.write_text(
        SIM_STATION.format(database=pg_url, evidence=service_evidence), encoding="utf-8"
    )
    code, out, err = cli(capsys, "token", "bench", "bench-7", "--database", pg_url)
    assert code == 0, err
    token = out.strip()
    number = register(capsys, bench_file, "U-1", "U-2", "U-3", "U-4", "U-5")  # offline: bench only
    port = _free_port()
    service = ServiceProcess(pg_url, service_evidence, port, home)
    sync_args = ("sync", "--service", f"http://127.0.0.1:{port}", "--token", token)
    sync_args += ("--station", str(bench_file))
    small = ("--chunk-kib", "4", "--inline-below", "512")  # traces and photos as chunked blobs
    station_args = ("--station", str(bench_file), "--yes", "--operator", "li.wei")

    try:
        # 1. The link is cut in the middle of a run: the run goes on and is recorded locally.
        service.start()
        run = bench(home, "run", "diagnosis", "-c", number, "-u", "U-1", *station_args)
        wait_for(lambda: statuses(bench_store) == ["running"], 60, "the run did not start")
        service.kill()
        code, _, err = finish(run)
        assert code in (0, 1), err
        code, _, err = finish(bench(home, *sync_args, "--attempts", "2"))
        assert code == 5 and "stays pending" in err, err  # nothing to talk to: all pending

        # 2. A run with photos whose process is SIGKILLed once the run is recorded.
        answers = appearance_answers(tmp_path / "inspection")
        run = bench(home, *appearance(number, "U-2", answers), *station_args)
        wait_for(lambda: statuses(bench_store)[1:] == ["finished"], 60, "no second run", 0.01)
        os.killpg(run.pid, signal.SIGKILL)
        run.wait(timeout=10)

        # 3. The service comes back; it is cut again in the middle of a blob upload and comes
        #    back while the bench is still backing off: the sync goes on where it was.
        service.start()
        sync = bench(home, *sync_args, *small, "--attempts", "12")
        wait_for(lambda: bool(partial_uploads(service_evidence)), 60, "no upload seen", 0.002)
        service.kill()
        time.sleep(1.0)
        service.start()
        code, out, err = finish(sync)
        assert code == 0, err
        assert "2 run(s) sent" in out, out

        # 4. Two more runs; a sync SIGKILLed in the middle of an upload, the service killed
        #    while the bench is down, both restarted (bench first): it resumes at the offset.
        for serial in ("U-3", "U-4"):
            answers = appearance_answers(tmp_path / f"inspection-{serial}")
            code, _, err = finish(bench(home, *appearance(number, serial, answers), *station_args))
            assert code in (0, 1), err
        # ...and a run SIGKILLed in the middle: its watchdog marks it interrupted, and it
        # arrives interrupted.
        paced = tmp_path / "bench-paced.toml"  # the same bench, paced: still running at the kill
        paced.write_text(f"{bench_file.read_text(encoding='utf-8')}speed = 600\n", encoding="utf-8")
        paced_args = ("--station", str(paced), "--yes", "--operator", "li.wei")
        run = bench(home, "run", "diagnosis", "-c", number, "-u", "U-5", *paced_args)
        wait_for(lambda: statuses(bench_store)[4:] == ["running"], 60, "no fifth run", 0.01)
        time.sleep(1.0)
        os.killpg(run.pid, signal.SIGKILL)
        run.wait(timeout=10)
        wait_for(
            lambda: statuses(bench_store)[4:] == ["interrupted"],
            60,
            f"not interrupted: {statuses(bench_store)}",
        )
        sync = bench(home, *sync_args, *small)
        wait_for(lambda: bool(partial_uploads(service_evidence)), 60, "no upload seen", 0.002)
        os.killpg(sync.pid, signal.SIGKILL)
        sync.wait(timeout=10)
        left_partial = bool(partial_uploads(service_evidence))
        service.kill()
        sync = bench(home, *sync_args, *small, "--attempts", "12")
        time.sleep(0.5)
        service.start()
        code, out, err = finish(sync)
        assert code == 0, err
        assert "3 run(s) sent" in out, (out, err)
        if left_partial:
            assert "resuming at byte" in err, err
        code, out, err = finish(bench(home, *sync_args))  # nothing left: nothing sent twice
        assert code == 0 and "0 run(s) sent, 0 already on the service" in out, (out, err)
    finally:
        service.kill()

    code, out, err = finish(bench(home, "sync", "status", "--station", str(bench_file), "--json"))
    assert code == 0, err
    shown = json.loads(out)["runs"]
    assert [r["state"] for r in shown] == ["sent"] * 5
    # staged blobs stay for other benches' runs, and are swept once left alone for an hour
    BlobStage(service_evidence).sweep(now=time.time() + KEEP_WHOLE_S + 60)
    assert [p.name for p in (service_evidence / STAGING).iterdir()] == [LOCKS]

    # Exactly once, bit-identical: every bench run is one service run with the same read model.
    service_engine = create_engine(pg_url)
    bench_engine = create_engine(f"sqlite:///{bench_store}")
    try:
        with Session(bench_engine) as here, Session(service_engine) as there:
            assert there.scalar(select(func.count()).select_from(Run)) == 5
            interrupted = there.get_one(Run, shown[4]["service_id"])
            assert (interrupted.status, interrupted.interrupted) == ("interrupted", True)
            for row in shown:
                bench_run = here.get_one(Run, row["run_id"])
                assert row["uuid"] == run_uuid(bench_run)
                theirs = read_model(there, service_evidence, row["service_id"])
                ours = read_model(here, bench_evidence, row["run_id"])
                assert theirs == ours
            photos = [
                read_model(here, bench_evidence, r["run_id"])["evidence_sha256"] for r in shown
            ]
            assert sum(map(len, photos)) == 12
    finally:
        service_engine.dispose()
        bench_engine.dispose()
    assert cli(capsys, "verify", "--station", str(bench_file))[0] == 0
    code, out, _ = cli(capsys, "verify", "--station", str(service_file))
    assert code == 0, out
