"""QA service: complaint page latency (20 units, 100 runs) and run-submission throughput.

Throughput is measured as deployed: ``uvicorn --workers 4`` in a child process on loopback, on
PostgreSQL in a schema created for the run and dropped after it, with concurrent clients posting
finished-run documents. Bounded both ways: at most ``SUBMISSIONS`` runs and at most
``TIME_LIMIT_S`` of posting. The page latency is measured in-process on SQLite (a QA desk's page
view, not a load test).

The PostgreSQL server is ``PACKBENCH_BENCH_DATABASE_URL`` when set; otherwise the benchmark
creates (once) and uses its own database ``packbench_bench`` on the local server, never the test
suite's ``test`` database (``benchmarks.postgres``). Users, request bodies and the worker launcher
are ``benchmarks.service_*``: nothing comes from ``tests/``. Where no PostgreSQL answers, as on a
fresh clone with nothing but the embedded store, the throughput figure is reported as not
measured instead of failing the run.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from benchmarks.postgres import private_schema, server_url
from benchmarks.report import Result
from benchmarks.service_accounts import login, make_users
from benchmarks.service_documents import T0, complaint_payload, run_document
from benchmarks.service_workers import uvicorn_workers
from service.app import create_app
from service.settings import Settings
from service.store import open_store

WORKERS = 4
CLIENTS = 16
SUBMISSIONS = 600
TIME_LIMIT_S = 20.0


def _complaint_with_units(
    client: httpx.Client, tech: dict[str, str]
) -> tuple[str, list[dict[str, Any]]]:
    """(number, unit bodies) of a new complaint with 20 returned units, through the API."""
    created = client.post("/api/complaints", json=complaint_payload(), headers=tech)
    number = str(created.json()["number"])
    units = [
        client.post(
            f"/api/complaints/{number}/units",
            json={"serial": f"SN-{i:03d}", "received_at": T0.isoformat()},
            headers=tech,
        ).json()
        for i in range(20)
    ]
    return number, units


def _complaint_page_ms() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(str(Path(tmp) / "bench.sqlite3"), Path(tmp) / "evidence")
        store = open_store(settings)
        tokens = make_users(store)
        with TestClient(create_app(settings, store=store)) as client:
            tech = {"Authorization": f"Bearer {tokens['wang.wei']}"}
            bench = {"Authorization": f"Bearer {tokens['bench-3']}"}
            number, units = _complaint_with_units(client, tech)
            for i in range(100):
                unit = units[i % 20]
                doc = run_document(unit["id"], unit["serial"], number)
                assert client.post("/api/runs", json=doc, headers=bench).status_code == 201
            login(client, "zhao.min", tokens["zhao.min"])  # a page session, as a browser has
            times = []
            for _ in range(15):
                t0 = time.perf_counter()
                assert client.get(f"/complaints/{number}").status_code == 200
                times.append(time.perf_counter() - t0)
        store.close()
    return statistics.median(times) * 1e3


def _submissions_per_second(server: str) -> tuple[float, int]:
    """(runs/s, runs posted) with ``WORKERS`` uvicorn workers on PostgreSQL."""
    with private_schema(server, "pbbench") as url, tempfile.TemporaryDirectory() as tmp:
        store = open_store(Settings(url, Path(tmp) / "evidence"))  # migrates once
        tokens = make_users(store)
        store.close()
        tech = {"Authorization": f"Bearer {tokens['wang.wei']}"}
        bench = {"Authorization": f"Bearer {tokens['bench-3']}"}
        # Four workers importing the service on a loaded 2-core machine can take more than 30 s.
        with uvicorn_workers(
            url, Path(tmp) / "evidence", workers=WORKERS, ready_timeout=180.0
        ) as base:
            with httpx.Client(base_url=base, timeout=30.0) as client:
                number, units = _complaint_with_units(client, tech)
            docs = [run_document(u["id"], u["serial"], number) for u in units]
            lock = threading.Lock()
            issued = [0]
            deadline = time.monotonic() + TIME_LIMIT_S

            def client_loop(_n: int) -> int:
                done = 0
                with httpx.Client(base_url=base, timeout=30.0) as c:
                    while time.monotonic() < deadline:
                        with lock:
                            if issued[0] >= SUBMISSIONS:
                                break
                            issued[0] += 1
                            i = issued[0]
                        r = c.post("/api/runs", json=docs[i % len(docs)], headers=bench)
                        if r.status_code != 201:
                            raise RuntimeError(f"run submission {r.status_code}: {r.text}")
                        done += 1
                return done

            started = time.perf_counter()
            with ThreadPoolExecutor(CLIENTS) as pool:
                posted = sum(pool.map(client_loop, range(CLIENTS)))
            elapsed = time.perf_counter() - started
        return posted / elapsed, posted


def run() -> list[Result]:
    page_ms = _complaint_page_ms()
    results = [
        Result(
            "service complaint page (SQLite, in-process, 20 units / 100 runs, page render "
            "incl. SLA and plots; median of 15)",
            page_ms,
            "ms",
            150.0,
        )
    ]
    server, source = server_url()
    name = (
        f"service run submission ({WORKERS} uvicorn workers on PostgreSQL, {CLIENTS} "
        f"HTTP clients on loopback, small finished-run documents"
    )
    if server is None:
        results.append(Result.not_measured(f"{name})", source))
        return results
    rps, posted = _submissions_per_second(server)
    results.append(Result(f"{name}, {posted} runs, {source})", rps, "runs/s"))
    return results


if __name__ == "__main__":
    for result in run():
        print(result.line())
