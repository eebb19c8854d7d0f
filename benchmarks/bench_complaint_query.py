"""``complaint list`` filters on a PostgreSQL store of 100,000 complaints (issue 14 item 10).

Each figure is one call of ``results.complaint_query.find_complaints`` (the function the CLI and
``GET /api/complaints`` call): building the statement, the ``COUNT`` of all matches and fetching
one page of 50 complaints as ORM objects, in a fresh session, on loopback. Not included: process
start, CLI argument parsing and output, HTTP. Median of several repetitions after a warm-up, as in
``bench_results``.

The SLA-state filter (each state) is measured with the same target: it is a WHERE clause over
the deadlines stored in each complaint (``results.sla.state_clause``, revision 0014). The store's
deadlines are derived by the insert itself (from the calendar), as on registration.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.postgres import private_schema, server_url
from benchmarks.report import Result
from results.complaint_form import Channel
from results.complaint_query import ComplaintFilter, find_complaints
from results.models import COMPLAINT_TABLE, Complaint, ReturnedUnit, Severity, Symptom
from results.sla import SlaState
from results.store import open_store

COMPLAINTS = 100_000
UNITS_EVERY = 5  # one returned unit on every fifth complaint
PAGE = 50
WARMUP = 2
REPEATS = 9
TARGET_MS = 100.0
T0 = datetime(2024, 1, 1, tzinfo=UTC)
CUSTOMERS = [f"Customer {i:03d}" for i in range(200)]
MODELS = [f"PB-MODEL-{i:02d}" for i in range(40)]
STATUSES = ["registered", "handling_reported", "under_analysis", "decided", "closed"]


def _fill(sessions: sessionmaker[Session]) -> None:
    """Bulk rows through Core (the registration path would take hours, and is not measured)."""
    symptoms = [s.value for s in Symptom if s is not Symptom.OTHER]
    channels = [c.value for c in Channel]
    severities = [s.value for s in Severity]
    rows: list[dict[str, Any]] = []
    units: list[dict[str, Any]] = []
    for i in range(COMPLAINTS):
        received = T0 + timedelta(minutes=7 * i)
        status = STATUSES[i % len(STATUSES)]
        rows.append(
            {
                "id": i + 1,
                "number": f"CC-{received.year}-{i + 1:06d}",
                "customer": CUSTOMERS[i % len(CUSTOMERS)],
                "product_model": MODELS[(i * 7) % len(MODELS)],
                "shipped_qty": 100,
                "defect_qty": 1,
                "symptom": symptoms[i % len(symptoms)],
                "severity": severities[i % len(severities)],
                "received_at": received,
                "received_by": "bench",
                "registered_at": received + timedelta(minutes=5),
                "registered_by": "bench",
                "status": status,
                "handling_reported_at": received + timedelta(hours=2),
                "decided_at": received + timedelta(days=2)
                if status in ("decided", "closed")
                else None,
                "closed_at": received + timedelta(days=5) if status == "closed" else None,
                "channel": channels[i % len(channels)],
            }
        )
        if i % UNITS_EVERY == 0:
            units.append(
                {
                    "complaint_id": i + 1,
                    "serial": f"SN-{i}",
                    "lot": f"L{i // 50:05d}",
                    "received_at": received,
                    "status": "received",
                }
            )
    with sessions.begin() as session:
        for start in range(0, len(rows), 5000):
            session.execute(insert(COMPLAINT_TABLE), rows[start : start + 5000])
        for start in range(0, len(units), 5000):
            session.execute(insert(ReturnedUnit), units[start : start + 5000])
    # VACUUM as autovacuum would have by then: the visibility map lets COUNT use index-only scans.
    engine = sessions.kw["bind"]
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE complaint"))
        connection.execute(text("VACUUM ANALYZE returned_unit"))


def _median_ms(call: Callable[[], int]) -> tuple[float, int]:
    timings = []
    found = 0
    for i in range(WARMUP + REPEATS):
        start = time.perf_counter()
        found = call()
        elapsed = time.perf_counter() - start
        if i >= WARMUP:
            timings.append(elapsed)
    return statistics.median(timings) * 1e3, found


def _cases() -> dict[str, tuple[ComplaintFilter, str]]:
    mid = T0 + timedelta(minutes=7 * COMPLAINTS // 2)
    return {
        "no filter, newest first": (ComplaintFilter(), "-received_at"),
        "number": (ComplaintFilter(number=f"CC-{mid.year}-050001"), "-received_at"),
        "customer": (ComplaintFilter(customer=CUSTOMERS[17]), "-received_at"),
        "model": (ComplaintFilter(product_model=MODELS[3]), "-received_at"),
        "lot": (ComplaintFilter(lot="L00420"), "-received_at"),
        "symptom": (ComplaintFilter(symptom=Symptom.LEAKAGE.value), "-received_at"),
        "class": (ComplaintFilter(severity=Severity.SEVERE.value), "-received_at"),
        "status": (ComplaintFilter(status="under_analysis"), "-received_at"),
        "channel": (ComplaintFilter(channel=Channel.HOTLINE.value), "-received_at"),
        "date range (one week)": (
            ComplaintFilter(received_from=mid, received_to=mid + timedelta(days=7)),
            "-received_at",
        ),
        "customer + channel, by customer": (
            ComplaintFilter(customer=CUSTOMERS[5], channel="website"),
            "customer",
        ),
    }


def _measure(sessions: sessionmaker[Session]) -> list[Result]:
    results = []
    now = T0 + timedelta(minutes=7 * COMPLAINTS + 60)
    for label, (wanted, sort) in _cases().items():

        def call(wanted: ComplaintFilter = wanted, sort: str = sort) -> int:
            with sessions() as session:
                page = find_complaints(session, wanted, sort=sort, limit=PAGE, now=now)
                return page.total

        ms, total = _median_ms(call)
        name = (
            f"complaint list by {label} ({total} of {COMPLAINTS} match, page of {PAGE}, PostgreSQL)"
        )
        results.append(Result(f"{name}, median of {REPEATS}", ms, "ms", TARGET_MS))

    for state in SlaState:

        def sla_call(state: SlaState = state) -> int:
            with sessions() as session:
                wanted = ComplaintFilter(sla=state)
                return find_complaints(session, wanted, limit=PAGE, now=now).total

        ms, total = _median_ms(sla_call)
        name = (
            f"complaint list by SLA state {state.value} ({total} of {COMPLAINTS} match, page of "
            f"{PAGE}, PostgreSQL, WHERE on the stored deadlines)"
        )
        results.append(Result(f"{name}, median of {REPEATS}", ms, "ms", TARGET_MS))
    with sessions() as session:
        assert session.scalar(select(Complaint.id).where(Complaint.id == COMPLAINTS)) is not None
    return results


def run() -> list[Result]:
    server, source = server_url()
    if server is None:
        return [Result.not_measured("complaint list filters on 100,000 complaints", source)]
    with private_schema(server, "pbcq") as url:
        sessions = open_store(url)
        _fill(sessions)
        results = _measure(sessions)
        sessions.kw["bind"].dispose()
    return results


if __name__ == "__main__":
    for result in run():
        print(result.line())
