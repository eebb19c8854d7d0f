"""Several uvicorn workers on one PostgreSQL store: concurrent runs and complaints, no conflict."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from accounts_setup import make_users
from documents import T0, complaint_payload, run_document
from service_support import empty_postgres
from workers import uvicorn_workers

from service.settings import Settings
from service.store import open_store

pytestmark = pytest.mark.postgres
COMPLAINTS = 12
RUNS = 24
CLIENTS = 8


def test_three_workers_take_concurrent_runs_and_complaints(
    _pg_schema_url: str, tmp_path: Path
) -> None:
    url = _pg_schema_url
    empty_postgres(url)
    store = open_store(Settings(url, tmp_path / "evidence"), migrate=False)
    try:
        tokens = make_users(store)
    finally:
        store.close()
    tech = {"Authorization": f"Bearer {tokens['wang.wei']}"}
    bench = {"Authorization": f"Bearer {tokens['bench-3']}"}

    with uvicorn_workers(url, tmp_path / "evidence", workers=3) as base:
        with httpx.Client(base_url=base, timeout=30.0) as client:
            first = client.post("/api/complaints", json=complaint_payload(), headers=tech)
            assert first.status_code == 201, first.text
            number = first.json()["number"]
            units = []
            for i in range(4):
                r = client.post(
                    f"/api/complaints/{number}/units",
                    json={"serial": f"SN-{i}", "received_at": T0.isoformat()},
                    headers=tech,
                )
                assert r.status_code == 201, r.text
                units.append(r.json())

        def job(i: int) -> tuple[str, int, dict[str, Any]]:
            with httpx.Client(base_url=base, timeout=60.0) as c:
                if i % 3 == 0:
                    r = c.post("/api/complaints", json=complaint_payload(), headers=tech)
                    return "complaint", r.status_code, r.json()
                unit = units[i % len(units)]
                doc = run_document(unit["id"], unit["serial"], number)
                r = c.post("/api/runs", json=doc, headers=bench)
                return "run", r.status_code, r.json()

        with ThreadPoolExecutor(CLIENTS) as pool:
            results = list(pool.map(job, range(COMPLAINTS * 3)))

        statuses = [(kind, status, body) for kind, status, body in results if status != 201]
        assert not statuses, statuses
        numbers = [body["number"] for kind, _s, body in results if kind == "complaint"]
        numbers.append(number)
        assert len(numbers) == COMPLAINTS + 1 and len(set(numbers)) == len(numbers), numbers
        assert sum(kind == "run" for kind, _s, _b in results) == RUNS
        with httpx.Client(base_url=base, timeout=60.0) as client:
            admin = {"Authorization": f"Bearer {tokens['admin']}"}
            report = client.get("/api/verify", headers=admin).json()
            listed = client.get("/api/complaints", headers=tech).json()
    assert report["ok"], report["problems"]
    assert report["steps"] == 2 * RUNS
    assert listed["total"] == COMPLAINTS + 1
