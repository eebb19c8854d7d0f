"""QA service: complaint page latency (20 units, 100 runs) and run-submission throughput.

The submission figure is measured in-process (one worker, TestClient) on SQLite; the issue asks
for 4 uvicorn workers on PostgreSQL, which is not measured here yet.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from benchmarks.report import Result

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "bench" / "service"))


def run() -> list[Result]:
    from conftest import make_users  # type: ignore[import-not-found]
    from documents import T0, complaint_payload, run_document  # type: ignore[import-not-found]

    from bench.service.app import create_app
    from bench.service.settings import Settings
    from bench.service.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(str(Path(tmp) / "bench.sqlite3"), Path(tmp) / "evidence")
        store = open_store(settings)
        tokens = make_users(store)
        with TestClient(create_app(settings, store=store)) as client:
            tech = {"Authorization": f"Bearer {tokens['wang.wei']}"}
            bench = {"Authorization": f"Bearer {tokens['bench-3']}"}
            number = client.post("/api/complaints", json=complaint_payload(), headers=tech).json()[
                "number"
            ]
            units = [
                client.post(
                    f"/api/complaints/{number}/units",
                    json={"serial": f"SN-{i:03d}", "received_at": T0.isoformat()},
                    headers=tech,
                ).json()
                for i in range(20)
            ]
            started = time.perf_counter()
            for i in range(100):
                unit = units[i % 20]
                doc = run_document(unit["id"], unit["serial"], number)
                assert client.post("/api/runs", json=doc, headers=bench).status_code == 201
            rps = 100 / (time.perf_counter() - started)
            client.cookies.set("packbench_session", tokens["zhao.min"])
            times = []
            for _ in range(15):
                t0 = time.perf_counter()
                assert client.get(f"/complaints/{number}").status_code == 200
                times.append(time.perf_counter() - t0)
        store.close()
    return [
        Result(
            "service complaint page, 20 units / 100 runs (median)",
            statistics.median(times) * 1e3,
            "ms",
            150.0,
        ),
        Result("service run submission, 1 in-process worker, SQLite", rps, "runs/s"),
    ]


if __name__ == "__main__":
    for result in run():
        print(result.line())
