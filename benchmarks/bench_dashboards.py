"""The complaint search page and the dashboards on a PostgreSQL store of 100,000 complaints
and 1,000,000 runs (issue 15 items 3 and 4 and its acceptance, issue 18 item 1); target 150 ms
each.

The store: 100,000 complaints spread over the last ~23 months (200 customers, 40 models, every
class, status and channel), a returned unit on every second complaint (50,000 units, 1,000 lots)
and 1,000,000 runs, 20 per unit: diagnoses with root cause, cause category and disposition
conclusions (JSON), every fourth an appearance run, some aborted, every 97th declared invalid by
QA. Runs carry no steps (no aggregate reads them). Rows are bulk-inserted through Core, the runs
a batch at a time; the registration path would take hours and is not measured. The tables are
then vacuumed and analysed, as autovacuum leaves a live store (``_vacuum``).

What is timed, each the median of several calls after a warm-up, in-process, on loopback:
* pages: one ``GET`` through the FastAPI app (``TestClient``: routing, the session cookie's user,
  the SQL, Jinja rendering and the SVG charts), without a network hop or a browser;
* each aggregate behind the dashboards on its own (a ``results`` function in a fresh session).

The per-unit aggregates (root-cause Pareto, first pass) read the stored per-unit results
(``unit_result``), derived once after the bulk load as migration 0017 backfills an existing store.

The database is ``PACKBENCH_BENCH_DATABASE_URL`` or the benchmarks' own ``packbench_bench``
(never the test suite's), in a private schema dropped afterwards.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert, text
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.postgres import private_schema, server_url
from benchmarks.report import Result, median_ms
from benchmarks.service_accounts import login
from results.accounts import create_user, issue_token
from results.calendar import PLANT_TZ
from results.complaint_form import Channel
from results.complaint_query import ComplaintFilter
from results.dashboards import complaints_per_month, first_pass_by_model
from results.kpi import kpi
from results.migrations import upgrade
from results.models import (
    COMPLAINT_TABLE,
    ReturnedUnit,
    Run,
    RunInvalidation,
    Severity,
    Symptom,
)
from results.reports.analytics import pareto
from results.unit_results import refresh_unit_results
from service.app import create_app
from service.settings import Settings
from service.store import open_store

COMPLAINTS = 100_000
UNITS_EVERY = 2
STEP = timedelta(minutes=10)
WARMUP = 2
REPEATS = 7
TARGET_MS = 150.0
CUSTOMERS = [f"Customer {i:03d}" for i in range(200)]
MODELS = [f"PB-MODEL-{i:02d}" for i in range(40)]
STATUSES = ["registered", "under_analysis", "decided", "closed", "closed", "cancelled"]
CAUSES = ["dead_cell", "mosfet_latched", "over_discharge_protection", "cell_imbalance", "bms_fw"]
DISPOSITIONS = ["scrap", "repair_board", "recharge_and_return", "replace_cells"]
BATCH = 5000
RUNS = 1_000_000
RUNS_PER_UNIT = RUNS // (COMPLAINTS // UNITS_EVERY)
"""20 runs per returned unit: the issue's million runs in 100,000 complaints."""
_FILLED = ("complaint", "returned_unit", "run", "run_invalidation", "unit_result")


def _complaint(i: int, t0: datetime) -> dict[str, Any]:
    received = t0 + STEP * i
    status = STATUSES[i % len(STATUSES)]
    symptoms = [s.value for s in Symptom if s is not Symptom.OTHER]
    return {
        "id": i + 1,
        "number": f"CC-{received.year}-{i + 1:06d}",
        "customer": CUSTOMERS[i % len(CUSTOMERS)],
        "product_model": MODELS[(i * 7) % len(MODELS)],
        "shipped_qty": 100,
        "defect_qty": 1,
        "symptom": symptoms[(i * 3) % len(symptoms)],
        "severity": list(Severity)[i % 3].value,
        "received_at": received,
        "received_by": "bench",
        "registered_at": received + timedelta(hours=3 + i % 30),
        "registered_by": "bench",
        "status": status,
        "decided_at": received + timedelta(days=2 + i % 6)
        if status in ("decided", "closed")
        else None,
        "closed_at": received + timedelta(days=5 + i % 14) if status == "closed" else None,
        "cancelled_at": received + timedelta(days=1) if status == "cancelled" else None,
        "channel": list(Channel)[i % len(Channel)].value,
    }


def _run(run_id: int, unit_id: int, complaint_id: int, started: datetime, n: int) -> dict[str, Any]:
    diagnosis = n % 4 != 3
    verdict = "ABORTED" if run_id % 23 == 0 else ("FAIL" if run_id % 3 else "PASS")
    conclusions = (
        [
            {"kind": "symptom", "value": "no power on"},
            {"kind": "root_cause", "value": CAUSES[(unit_id * 7 + n) % len(CAUSES)]},
            {"kind": "cause_category", "value": "manufacturing" if unit_id % 3 else "design"},
            {"kind": "disposition", "value": DISPOSITIONS[unit_id % len(DISPOSITIONS)]},
        ]
        if diagnosis
        else []
    )
    return {
        "id": run_id,
        "unit_id": unit_id,
        "complaint_id": complaint_id,
        "procedure": "returned-pack-diagnosis" if diagnosis else "appearance_inspection",
        "procedure_version": "1.0",
        "station": "bench-1",
        "operator": "op",
        "spec": "spec",
        "started_at": started,
        "ended_at": started + timedelta(minutes=40),
        "status": "finished",
        "verdict": verdict,
        "conclusions": conclusions,
        "host": "bench",
        "pid": 1,
        "heartbeat_at": started,
    }


def _fill(sessions: sessionmaker[Session], t0: datetime) -> int:
    """The store; the runs are made and inserted a batch at a time (a million dicts at once
    would take about a gigabyte)."""
    complaints = [_complaint(i, t0) for i in range(COMPLAINTS)]
    units: list[dict[str, Any]] = []
    for i in range(0, COMPLAINTS, UNITS_EVERY):
        unit_id = len(units) + 1
        units.append(
            {
                "id": unit_id,
                "complaint_id": i + 1,
                "serial": f"SN-{i}",
                "lot": f"L{unit_id % 1000:04d}",
                "product_model": complaints[i]["product_model"],
                "received_at": complaints[i]["received_at"] + timedelta(days=3),
                "status": "received",
                "disposition": DISPOSITIONS[unit_id % 4] if unit_id % 3 else None,
            }
        )
    runs = 0
    with sessions.begin() as session:
        # complaints through their table: the ORM bulk insert would go row by row (models)
        for table, rows in ((COMPLAINT_TABLE, complaints), (ReturnedUnit, units)):
            for start in range(0, len(rows), BATCH):
                session.execute(insert(table), rows[start : start + BATCH])
        batch: list[dict[str, Any]] = []
        invalid: list[dict[str, Any]] = []
        for unit in units:
            for n in range(RUNS_PER_UNIT):
                runs += 1
                started = unit["received_at"] + timedelta(hours=n)
                batch.append(_run(runs, unit["id"], unit["complaint_id"], started, n))
                if runs % 97 == 0:
                    invalid.append(
                        {
                            "run_id": runs,
                            "reason": "bench",
                            "invalidated_by": "qa",
                            "invalidated_at": unit["received_at"],
                        }
                    )
            if len(batch) >= BATCH:
                session.execute(insert(Run), batch)
                batch = []
        if batch:
            session.execute(insert(Run), batch)
        for start in range(0, len(invalid), BATCH):
            session.execute(insert(RunInvalidation), invalid[start : start + BATCH])
        refresh_unit_results(session)  # as migration 0017 backfills an existing store
    return runs


def _vacuum(url: str) -> None:
    """``VACUUM ANALYZE`` of the filled tables, as autovacuum does on a live server after bulk
    inserts (this machine's server runs without it): statistics for the planner, and the
    visibility map that lets an aggregate read an index alone (a count per symptom, or per day
    and class) instead of every complaint row. A store kept for years is in that state; one
    just bulk-loaded and never vacuumed is not."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for name in _FILLED:
                connection.execute(text(f"VACUUM ANALYZE {name}"))
    finally:
        engine.dispose()


def _median_ms(call: Callable[[], object]) -> float:
    return median_ms(call, warmup=WARMUP, repeats=REPEATS)


def _pages(client: TestClient, mid: datetime) -> dict[str, str]:
    day = mid.astimezone(PLANT_TZ).date()
    return {
        "search page, no filter, newest first": "/complaints",
        "search page, customer + class, sorted by number": (
            f"/complaints?customer={CUSTOMERS[17].replace(' ', '+')}&class=severe&sort=number"
        ),
        "search page, model + one month, page 3": (
            f"/complaints?model={MODELS[3]}&from={day}&to={day + timedelta(days=30)}&page=3"
        ),
        "search page, lot": "/complaints?lot=L0420",
        "dashboards page, no filter": "/dashboards",
        "dashboards page, one model": f"/dashboards?model={MODELS[5]}",
        "dashboards page, one customer + one quarter": (
            f"/dashboards?customer={CUSTOMERS[3].replace(' ', '+')}&from={day}"
            f"&to={day + timedelta(days=90)}"
        ),
    }


def _aggregates(sessions: sessionmaker[Session]) -> dict[str, Callable[[], object]]:
    every = ComplaintFilter()
    today = datetime.now(UTC).astimezone(PLANT_TZ).date()

    def within(call: Callable[[Session], object]) -> Callable[[], object]:
        def timed() -> object:
            with sessions() as session:
                return call(session)

        return timed

    return {
        "Pareto of symptoms, all complaints": within(lambda s: pareto(s, "symptom", every)),
        "Pareto of root causes, all units": within(lambda s: pareto(s, "root_cause", every)),
        "Pareto of dispositions, all units": within(lambda s: pareto(s, "disposition", every)),
        "complaints per month by class, all": within(lambda s: complaints_per_month(s, every)),
        "first-pass result per model, all units": within(lambda s: first_pass_by_model(s, every)),
        "quality-target KPIs, 365 days, 20 missed numbers listed per target": within(
            lambda s: kpi(s, today - timedelta(days=364), today, missed_limit=20)
        ),
    }


def _measure(settings: Settings, runs: int, mid: datetime) -> list[Result]:
    store = open_store(settings, migrate=False)
    with store.sessions.begin() as session:
        create_user(session, "bench.qa", role="qa", printed_name="Bench QA", actor="bench")
        token, _ = issue_token(session, "bench.qa", actor="bench")
    results = []
    size = f"{COMPLAINTS} complaints, {COMPLAINTS // UNITS_EVERY} units, {runs} runs, PostgreSQL"
    with TestClient(create_app(settings, store=store), base_url="http://127.0.0.1") as client:
        login(client, "bench.qa", token)  # a page session, as a browser has
        for label, url in _pages(client, mid).items():
            answer = client.get(url)
            # The page itself, not the login form it would redirect to without a session.
            assert answer.status_code == 200 and answer.url.path == url.split("?")[0], url

            def get(url: str = url) -> object:
                return client.get(url)

            ms = _median_ms(get)
            # The pages run their aggregates side by side on this machine's two cores, so the
            # page costs about half the sum of their database time. Before the KPIs' missed lists
            # were bounded to the period (h-kpi), with the issue's 1,000,000 runs on an idle
            # machine: 183.5 ms unfiltered, 163.7 ms for one model, 135.7 ms for one customer and
            # quarter, the KPI aggregate alone 158 ms. See docs/dashboards.md for the figures
            # since; they depend on the load of the machine. Issue #15's target: a miss now
            # fails the run (MISSED).
            results.append(
                Result(
                    f"{label} (GET in-process; {size}), median of {REPEATS}",
                    ms,
                    "ms",
                    TARGET_MS,
                )
            )
    for label, call in _aggregates(store.sessions).items():
        ms = _median_ms(call)
        # The KPIs were what the pages waited for (158 ms at 1,000,000 runs, see above); their
        # missed lists now walk the number index from the period's first complaint.
        results.append(
            Result(
                f"{label} (SQL only; {size}), median of {REPEATS}",
                ms,
                "ms",
                TARGET_MS,
            )
        )
    store.close()
    return results


def run() -> list[Result]:
    server, source = server_url()
    if server is None:
        return [
            Result.not_measured(
                "search page and dashboards on 100,000 complaints and 1,000,000 runs", source
            )
        ]
    with private_schema(server, "pbdash") as url, tempfile.TemporaryDirectory() as evidence:
        upgrade(url)
        t0 = datetime.now(UTC) - STEP * COMPLAINTS
        settings = Settings(url, Path(evidence))
        store = open_store(settings, migrate=False)
        runs = _fill(store.sessions, t0)
        store.close()
        _vacuum(url)
        return _measure(settings, runs, t0 + STEP * (COMPLAINTS // 2))


if __name__ == "__main__":
    for result in run():
        print(result.line())
