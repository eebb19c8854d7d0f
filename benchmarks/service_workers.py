"""Start the service as ``uvicorn --workers N`` in a child process, on loopback, and stop it.

Used by the multi-worker test and by ``benchmarks/bench_service.py``: the real deployment shape
(separate worker processes, each with its own engine and pool, sharing one database) is what can
conflict, so it is started exactly as ``python -m service serve`` starts it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from service.launcher import EVENT_LOOP, HTTP_PARSER

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def uvicorn_workers(
    database_url: str, evidence_dir: Path, *, workers: int, ready_timeout: float = 90.0
) -> Iterator[str]:
    """The base URL of a running service (see ``_wait_ready`` for what "running" means)."""
    with uvicorn_process(
        database_url, evidence_dir, workers=workers, ready_timeout=ready_timeout
    ) as (base, _pid):
        yield base


@contextmanager
def uvicorn_process(
    database_url: str, evidence_dir: Path, *, workers: int, ready_timeout: float = 90.0
) -> Iterator[tuple[str, int]]:
    """(base URL, process id) of a running service; with one worker the process is the worker
    (uvicorn serves in its own process then), whose CPU time the benchmark reads."""
    port = _free_port()
    env = os.environ | {
        "PACKBENCH_DATABASE_URL": database_url,
        "PACKBENCH_EVIDENCE_DIR": str(evidence_dir),
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "service.app:app_from_env",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
        "--http",
        HTTP_PARSER,
        "--loop",
        EVENT_LOOP,
    ]
    proc = subprocess.Popen(command, cwd=REPO, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(proc, base, ready_timeout)
        yield base, proc.pid
    finally:
        _stop(proc)


def _wait_ready(proc: subprocess.Popen[bytes], base: str, timeout: float) -> None:
    """Until the first worker answers, then a settle time for the others: no endpoint names the
    worker that answered, so "all N up" cannot be observed from outside; a request that arrives
    early is simply served by a worker that is already up."""
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=base, timeout=2.0) as client:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {proc.returncode} while starting")
            if time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn at {base} not ready after {timeout:.0f} s")
            try:
                if client.get("/login").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    time.sleep(1.0)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # uvicorn's supervisor stops its workers on SIGTERM
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # our own session: the workers we started
            proc.wait(timeout=5)
    # Workers left behind by a crashed supervisor are in the same (our own) session.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
