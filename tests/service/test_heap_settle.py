"""A worker's app (``app_from_env``) settles its heap at startup; an app among many does not."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from results.heap import GEN0_THRESHOLD
from service.app import create_app
from service.settings import Settings

WORKER = """
import gc
from fastapi.testclient import TestClient
from service.app import app_from_env
with TestClient(app_from_env()):
    print(gc.get_freeze_count(), gc.get_threshold()[0])
"""


def test_a_worker_app_freezes_its_startup_heap(tmp_path: Path) -> None:
    env = {
        "PACKBENCH_DATABASE_URL": f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        "PACKBENCH_EVIDENCE_DIR": str(tmp_path / "evidence"),
    }
    done = subprocess.run(
        [sys.executable, "-c", WORKER],
        capture_output=True,
        text=True,
        check=True,
        env={**_inherited(), **env},
    )
    frozen, threshold = (int(x) for x in done.stdout.split())
    assert frozen > 10_000 and threshold == GEN0_THRESHOLD


def test_an_app_made_in_process_leaves_the_collector_alone(tmp_path: Path) -> None:
    frozen, thresholds = gc.get_freeze_count(), gc.get_threshold()
    settings = Settings(str(tmp_path / "app.sqlite3"), tmp_path / "evidence")
    with TestClient(create_app(settings)) as client:
        assert client.get("/login").status_code == 200
    # The suite's own worker froze its heap after collection (tests/conftest.py): frozen objects
    # that die since then leave the count, so a freeze by the app shows as the count growing.
    assert gc.get_freeze_count() <= frozen
    assert gc.get_threshold() == thresholds


def _inherited() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PACKBENCH_")}
