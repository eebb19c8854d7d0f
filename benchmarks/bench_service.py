"""QA service: complaint page latency (20 units, 100 runs) and run-submission throughput.

Throughput is measured as deployed: ``uvicorn --workers 4`` in a child process on loopback, on
PostgreSQL in a schema created for the run and dropped after it, with concurrent clients posting
finished-run documents. Bounded both ways: at most ``SUBMISSIONS`` runs and at most
``TIME_LIMIT_S`` of posting. The page latency is measured in-process on SQLite (a QA desk's page
view, not a load test).

The PostgreSQL server is ``PACKBENCH_BENCH_DATABASE_URL`` when set; otherwise the benchmark
creates (once) and uses its own database ``packbench_bench`` on the local server, never the test
suite's ``test`` database. Where no PostgreSQL answers, as on a fresh clone with nothing but the
embedded store, the throughput figure is reported as not measured instead of failing the run.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from benchmarks.report import Result

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "service"))

LOCAL_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
OWN_DATABASE = "packbench_bench"
WORKERS = 4
CLIENTS = 16
SUBMISSIONS = 600
TIME_LIMIT_S = 20.0


def _complaint_page_ms() -> float:
    from accounts_setup import login, make_users  # type: ignore[import-not-found]
    from documents import T0, complaint_payload, run_document  # type: ignore[import-not-found]

    from service.app import create_app
    from service.settings import Settings
    from service.store import open_store

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


def _postgres_url() -> tuple[str | None, str]:
    """(server URL, where it came from); URL ``None`` with the reason when none answers."""
    configured = os.environ.get("PACKBENCH_BENCH_DATABASE_URL")
    if configured:
        return configured, "PACKBENCH_BENCH_DATABASE_URL"
    try:
        engine = create_engine(
            f"{LOCAL_SERVER}/postgres",
            isolation_level="AUTOCOMMIT",
            connect_args={"connect_timeout": 3},
        )
        try:
            with engine.connect() as connection:
                exists = connection.execute(
                    text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": OWN_DATABASE}
                ).first()
                if exists is None:
                    connection.execute(text(f'CREATE DATABASE "{OWN_DATABASE}"'))
        finally:
            engine.dispose()
    except Exception as exc:  # any driver or server failure means "no PostgreSQL here"
        return None, f"no PostgreSQL at {LOCAL_SERVER} ({type(exc).__name__})"
    return f"{LOCAL_SERVER}/{OWN_DATABASE}", f"own database {OWN_DATABASE}"


def _submissions_per_second(server: str) -> tuple[float, int]:
    """(runs/s, runs posted) with ``WORKERS`` uvicorn workers on PostgreSQL."""
    from accounts_setup import make_users
    from documents import T0, complaint_payload, run_document
    from workers import uvicorn_workers  # type: ignore[import-not-found]

    from service.settings import Settings
    from service.store import open_store

    schema = f"pbbench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{server}?options=-csearch_path%3D{schema}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            store = open_store(Settings(url, Path(tmp) / "evidence"))  # migrates once
            tokens = make_users(store)
            store.close()
            tech = {"Authorization": f"Bearer {tokens['wang.wei']}"}
            bench = {"Authorization": f"Bearer {tokens['bench-3']}"}
            with uvicorn_workers(url, Path(tmp) / "evidence", workers=WORKERS) as base:
                with httpx.Client(base_url=base, timeout=30.0) as client:
                    number = client.post(
                        "/api/complaints", json=complaint_payload(), headers=tech
                    ).json()["number"]
                    units = [
                        client.post(
                            f"/api/complaints/{number}/units",
                            json={"serial": f"SN-{i:03d}", "received_at": T0.isoformat()},
                            headers=tech,
                        ).json()
                        for i in range(20)
                    ]
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
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


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
    server, source = _postgres_url()
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
