"""``packbench token bootstrap-admin`` and ``packbench serve``: the QA service from the CLI."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from bench_helpers import PYTHON, child_env, cli


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str, token: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_for(url: str, server: subprocess.Popen[str], seconds: float = 60.0) -> tuple[int, bytes]:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return get(url)
        except (urllib.error.URLError, ConnectionError):
            if server.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_bootstrap_admin_prints_the_token_once(
    capsys: pytest.CaptureFixture[str], sim_station: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PACKBENCH_DATABASE_URL", raising=False)
    monkeypatch.delenv("PACKBENCH_EVIDENCE_DIR", raising=False)
    code, out, err = cli(capsys, "token", "bootstrap-admin", "--station", str(sim_station))
    assert code == 0, err
    token = out.strip()
    assert len(token) >= 20 and "\n" not in token
    assert "shown once" in err
    code, out, err = cli(capsys, "token", "bootstrap-admin", "--station", str(sim_station))
    assert code == 2
    assert out == "" and "already exists" in err


def test_serve_answers_openapi_and_stops_on_sigterm(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sim_station: Path, home: Path
) -> None:
    database = tmp_path / "service.sqlite3"
    store = ["--database", str(database), "--evidence-dir", str(tmp_path / "service-evidence")]
    code, out, err = cli(capsys, "token", "bootstrap-admin", "--station", str(sim_station), *store)
    assert code == 0, err
    token = out.strip()
    port = free_port()
    server = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "bench.cli",
            "serve",
            "--port",
            str(port),
            "--station",
            str(sim_station),
            *store,
        ],
        env=child_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        status, body = wait_for(f"http://127.0.0.1:{port}/openapi.json", server)
        assert status == 200
        assert "/api/complaints" in json.loads(body)["paths"]
        assert get(f"http://127.0.0.1:{port}/api/complaints")[0] == 401
        assert get(f"http://127.0.0.1:{port}/api/complaints", token)[0] == 200  # same store
        # the C parser and event loop serve it (service.launcher), not h11 and asyncio
        mapped = Path(f"/proc/{server.pid}/maps").read_text()
        assert "/httptools/" in mapped and "/uvloop/" in mapped
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=15)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
    assert server.returncode == 0, err
    assert "Shutting down" in err and "packbench serve: stopped" in err
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), 1):
        pass
