"""KPI query (issue 14, item 9) on a store of 100,000 complaints on PostgreSQL; target 100 ms.

What is timed: ``results.kpi.kpi`` for one year of receipt, every class, from an open session:
the SQL aggregate (one scan of ``complaint`` comparing the stored deadlines, revision 0014, with
the done times, grouped by class) and building the result. Not timed: the insert of the store, which
derives each complaint's receipt day and deadlines from the calendar.
Reported twice: the counts only (``with_missed=False``), which carries the target, and with the
lists of complaints that missed each target (one more scan of the year), for information.
The store is a private schema, dropped after, in ``PACKBENCH_BENCH_DATABASE_URL`` or the
benchmarks' own database (``benchmarks.postgres``), never the test suite's.
Median of several repetitions after a warm-up, as in ``bench_results``.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, text

from benchmarks.postgres import private_schema, server_url
from benchmarks.report import Result
from results.calendar import PLANT_TZ, set_calendar_day
from results.db import make_engine, session_factory
from results.kpi import kpi
from results.migrations import upgrade
from results.models import COMPLAINT_TABLE

COMPLAINTS = 100_000
WARMUP = 2
REPEATS = 9
YEAR = 2026


def _rows(n: int) -> list[dict[str, object]]:
    rng = random.Random(9)
    start = datetime(YEAR, 1, 1, tzinfo=PLANT_TZ).astimezone(UTC)
    rows: list[dict[str, object]] = []
    for i in range(n):
        received = start + timedelta(seconds=rng.randrange(0, 365 * 86400))
        decided = received + timedelta(hours=rng.uniform(1, 200)) if rng.random() > 0.05 else None
        closed = decided + timedelta(hours=rng.uniform(1, 300)) if decided else None
        rows.append(
            {
                "number": f"CC-{i:07d}",
                "customer": "Acme",
                "product_model": f"PB-{i % 40}",
                "shipped_qty": 10,
                "defect_qty": 1,
                "symptom": "no_power_on",
                "severity": rng.choice(["severe", "general", "occasional"]),
                "received_at": received,
                "received_by": "bench",
                "registered_at": received + timedelta(hours=rng.uniform(0.1, 40)),
                "registered_by": "bench",
                "status": "registered",
                "decided_at": decided,
                "closed_at": closed,
                "project": "",
                "product_spec": "",
                "symptom_other": "",
                "usage_location": "",
                "customer_demands": "",
            }
        )
    return rows


def _median_ms(sessions: object, *, with_missed: bool) -> float:
    times = []
    for i in range(WARMUP + REPEATS):
        with sessions() as session:  # type: ignore[operator]
            began = time.perf_counter()
            kpi(session, date(YEAR, 1, 1), date(YEAR, 12, 31), with_missed=with_missed)
            elapsed = time.perf_counter() - began
        if i >= WARMUP:
            times.append(elapsed)
    return statistics.median(times) * 1e3


def run() -> list[Result]:
    name = f"KPI query, one year, {COMPLAINTS:,} complaints, PostgreSQL"
    server, source = server_url()
    if server is None:
        return [Result.not_measured(name, source)]
    with private_schema(server, "pbkpi") as url:
        upgrade(url)
        engine = make_engine(url)
        sessions = session_factory(engine)
        with sessions.begin() as session:
            for day in (date(YEAR, 1, 1), date(YEAR, 2, 16), date(YEAR, 2, 17), date(YEAR, 5, 1)):
                set_calendar_day(session, day, False, actor="bench")
            set_calendar_day(session, date(YEAR, 2, 14), True, actor="bench")
            rows = _rows(COMPLAINTS)
            for chunk in range(0, len(rows), 10_000):
                session.execute(insert(COMPLAINT_TABLE), rows[chunk : chunk + 10_000])
        with engine.begin() as connection:
            connection.execute(text("ANALYZE complaint"))
        counts = _median_ms(sessions, with_missed=False)
        lists = _median_ms(sessions, with_missed=True)
        engine.dispose()
    name = f"{name} ({source})"
    return [
        Result(f"{name}, counts per class and target (median of {REPEATS})", counts, "ms", 100.0),
        Result(f"{name}, with the missed complaints' numbers (median of {REPEATS})", lists, "ms"),
    ]


if __name__ == "__main__":
    for result in run():
        print(result.line())
