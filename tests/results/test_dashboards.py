"""Every dashboard aggregate (SQL ``GROUP BY``) against an independent Python computation over
generated data: the Python side loads the rows and applies ``summarise_unit`` and ``standing``,
the per-run rules the SQL must reproduce, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from results.calendar import PLANT_TZ
from results.complaint_query import ComplaintFilter
from results.dashboards import (
    UNTESTED,
    complaints_per_month,
    first_pass_by_model,
    unit_breakdown,
)
from results.errors import ValidationError
from results.models import Complaint, ReturnedUnit, Run, RunInvalidation
from results.reports.analytics import DIMENSIONS, UNRESOLVED, pareto
from results.run_validity import RunStanding, standing
from results.unit_results import refresh_unit_results
from results.unit_summaries import summarise_unit

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CUSTOMERS = ["甲公司", "Beta GmbH", "Gamma"]
MODELS = ["PB-A", "PB-B", "PB-C"]
LOTS = ["L1", "L2", "L3", "L4"]
SYMPTOMS = ["no_power_on", "leakage", "swelling"]
CLASSES = ["severe", "general", "occasional"]
STATUSES = ["registered", "under_analysis", "closed", "cancelled"]
CHANNELS = ["letter", "hotline", None]
PROCEDURES = ["returned-pack-diagnosis", "appearance_inspection", "capacity_check"]
VERDICTS = ["PASS", "FAIL", "MARGINAL", "ABORTED", "ERROR", None]
CAUSES = ["dead_cell", "mosfet_latched", "over_discharge_protection"]


def _conclusions(rng: random.Random) -> Any:
    pick = rng.random()
    if pick < 0.15:
        return None
    if pick < 0.25:
        return []
    found: list[dict[str, str]] = [{"kind": "advice", "value": "recharge"}]
    if rng.random() < 0.8:
        found.append({"kind": "root_cause", "value": rng.choice(CAUSES)})
    if rng.random() < 0.2:
        found.append({"kind": "root_cause", "value": "second_opinion"})  # first one counts
    if rng.random() < 0.7:
        found.append({"kind": "cause_category", "value": rng.choice(["design", "manufacturing"])})
    rng.shuffle(found)
    return found


def _generate(sessions: sessionmaker[Session], seed: int) -> None:
    rng = random.Random(seed)
    complaints, units, runs, invalid = [], [], [], []
    for c in range(1, 81):
        received = T0 + timedelta(hours=rng.randrange(0, 24 * 200))
        complaints.append(
            {
                "id": c,
                "number": f"CC-2026-{c:04d}",
                "customer": rng.choice(CUSTOMERS),
                "product_model": rng.choice(MODELS),
                "shipped_qty": 10,
                "defect_qty": 1,
                "symptom": rng.choice(SYMPTOMS),
                "severity": rng.choice(CLASSES),
                "received_at": received,
                "received_by": "gen",
                "registered_at": received,
                "registered_by": "gen",
                "status": rng.choice(STATUSES),
                "channel": rng.choice(CHANNELS),
            }
        )
        for _ in range(rng.randrange(0, 4)):
            u = len(units) + 1
            units.append(
                {
                    "id": u,
                    "complaint_id": c,
                    "serial": f"SN{u}",
                    "lot": rng.choice(LOTS),
                    "product_model": rng.choice(["", *MODELS]),
                    "received_at": received,
                    "status": "received",
                    "disposition": rng.choice([None, "scrap", "repair_board"]),
                }
            )
            for _ in range(rng.randrange(0, 5)):
                r = len(runs) + 1
                started = received + timedelta(hours=rng.randrange(1, 50))
                status = rng.choice(["finished", "finished", "finished", "running", "aborted"])
                runs.append(
                    {
                        "id": r,
                        "unit_id": u,
                        "complaint_id": c,
                        "procedure": rng.choice(PROCEDURES),
                        "procedure_version": "1",
                        "station": "S",
                        "operator": "op",
                        "spec": "spec",
                        "started_at": started,
                        "status": status,
                        "verdict": rng.choice(VERDICTS),
                        "conclusions": _conclusions(rng),
                        "host": "h",
                        "pid": 1,
                        "heartbeat_at": started,
                    }
                )
                if status == "finished" and rng.random() < 0.1:
                    invalid.append(
                        {"run_id": r, "reason": "x", "invalidated_by": "qa", "invalidated_at": T0}
                    )
    with sessions.begin() as session:
        session.execute(insert(Complaint), complaints)
        session.execute(insert(ReturnedUnit), units)
        session.execute(insert(Run), runs)
        if invalid:
            session.execute(insert(RunInvalidation), invalid)
        # Rows inserted behind the store's back: derive the stored unit results as migration
        # 0017 does for an existing store.
        refresh_unit_results(session)


def _matches(c: Complaint, f: ComplaintFilter) -> bool:
    fields = {
        "number": c.number,
        "customer": c.customer,
        "product_model": c.product_model,
        "symptom": c.symptom,
        "severity": c.severity,
        "status": c.status,
        "channel": c.channel,
    }
    if any(getattr(f, k) is not None and getattr(f, k) != v for k, v in fields.items()):
        return False
    if f.lot is not None and all(u.lot != f.lot for u in c.units):
        return False
    if f.received_from is not None and c.received_at < f.received_from:
        return False
    return f.received_to is None or c.received_at < f.received_to


class Oracle:
    """The aggregates computed in Python over every loaded row."""

    def __init__(self, session: Session, f: ComplaintFilter) -> None:
        self.complaints = [c for c in session.scalars(select(Complaint)) if _matches(c, f)]
        self.units = [
            u for c in self.complaints for u in c.units if f.lot is None or u.lot == f.lot
        ]
        self.invalid = {i.run_id: i for i in session.scalars(select(RunInvalidation))}

    def pareto(self, dimension: str) -> Counter[str]:
        if dimension == "symptom":
            return Counter(c.symptom for c in self.complaints)
        if dimension == "disposition":
            return Counter(u.disposition or UNRESOLVED for u in self.units)
        counts: Counter[str] = Counter()
        for u in self.units:
            primary = summarise_unit(u.runs, self.invalid).primary
            value = None if primary is None else primary.conclusion(dimension)
            counts[UNRESOLVED if value is None else value] += 1
        return counts

    def months(self) -> Counter[tuple[str, str]]:
        return Counter(
            (c.received_at.astimezone(PLANT_TZ).strftime("%Y-%m"), c.severity)
            for c in self.complaints
        )

    def first_pass(self) -> Counter[tuple[str, str]]:
        counts: Counter[tuple[str, str]] = Counter()
        for u in self.units:
            valid = [r for r in u.runs if standing(r, self.invalid.get(r.id)) is RunStanding.VALID]
            first = min(valid, key=lambda r: (r.started_at, r.id), default=None)
            verdict = UNTESTED if first is None else (first.verdict or "").lower()
            counts[(u.product_model or u.complaint.product_model, verdict)] += 1
        return counts


FILTERS = [
    ComplaintFilter(),
    ComplaintFilter(customer="甲公司"),
    ComplaintFilter(product_model="PB-B"),
    ComplaintFilter(lot="L2"),
    ComplaintFilter(lot="L3", customer="Gamma"),
    ComplaintFilter(severity="severe", status="closed"),
    ComplaintFilter(channel="hotline", symptom="leakage"),
    ComplaintFilter(number="CC-2026-0007"),
    ComplaintFilter(received_from=T0 + timedelta(days=30), received_to=T0 + timedelta(days=120)),
    ComplaintFilter(customer="nobody"),
]


@pytest.mark.parametrize("seed", [1, 2])
def test_every_aggregate_equals_the_python_computation(
    sessions: sessionmaker[Session], seed: int
) -> None:
    _generate(sessions, seed)
    with sessions() as session:
        for f in FILTERS:
            oracle = Oracle(session, f)
            for dimension in DIMENSIONS:
                rows = pareto(session, dimension, f)
                assert {r.category: r.count for r in rows} == oracle.pareto(dimension), (
                    dimension,
                    f,
                )
                assert [r.count for r in rows] == sorted((r.count for r in rows), reverse=True)
            months = complaints_per_month(session, f)
            assert {(m.month, m.complaint_class): m.count for m in months} == oracle.months()
            first = first_pass_by_model(session, f)
            assert {(p.product_model, p.verdict): p.units for p in first} == oracle.first_pass()
        # The generated data exercises what the rules distinguish, or the test proves little.
        everything = Oracle(session, ComplaintFilter())
        causes = everything.pareto("root_cause")
        assert causes[UNRESOLVED] and len(causes) >= 3
        assert everything.invalid


def test_aggregates_refuse_the_sla_filter(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, pytest.raises(ValidationError) as refused:
        complaints_per_month(session, ComplaintFilter(sla="overdue"))
    assert refused.value.field == "sla"


def test_months_are_the_plants_local_months_on_both_paths(
    sessions: sessionmaker[Session],
) -> None:
    """A receipt at 16:30 UTC on 31 January is 00:30 on 1 February in the plant: February, by
    the stored local day (the plant's zone) and by the shifted instant (any other zone, here a
    fixed +08:00 that is not the ``PLANT_TZ`` object); the same from the day-based counting."""
    received = [
        datetime(2026, 1, 31, 16, 30, tzinfo=UTC),  # 2026-02-01 00:30 local
        datetime(2026, 1, 31, 15, 59, tzinfo=UTC),  # 2026-01-31 23:59 local
        datetime(2026, 2, 28, 16, 0, tzinfo=UTC),  # 2026-03-01 00:00 local
    ]
    rows = [
        {
            "id": i + 1,
            "number": f"CC-2026-{i + 1:04d}",
            "customer": "Gamma",
            "product_model": "PB-A",
            "shipped_qty": 10,
            "defect_qty": 1,
            "symptom": "leakage",
            "severity": "general",
            "received_at": at,
            "received_by": "gen",
            "registered_at": at,
            "registered_by": "gen",
            "status": "registered",
        }
        for i, at in enumerate(received)
    ]
    with sessions.begin() as session:
        session.execute(insert(Complaint), rows)
    expected = [("2026-01", 1), ("2026-02", 1), ("2026-03", 1)]
    with sessions() as session:
        by_day = complaints_per_month(session)
        by_instant = complaints_per_month(session, tz=timezone(timedelta(hours=8)))
    assert [(m.month, m.count) for m in by_day] == expected
    assert [(m.month, m.count) for m in by_instant] == expected


@pytest.mark.parametrize("seed", [1, 2])
def test_the_unit_breakdown_equals_its_three_aggregates_for_every_filter(
    sessions: sessionmaker[Session], seed: int
) -> None:
    """The dashboard's one pass over the units gives what the root-cause and disposition
    Paretos and the first-pass query give on their own (which the oracle test checks)."""
    _generate(sessions, seed)
    with sessions() as session:
        for f in FILTERS:
            units = unit_breakdown(session, f)
            assert units.root_causes == pareto(session, "root_cause", f), f
            assert units.dispositions == pareto(session, "disposition", f), f
            assert units.first_pass == first_pass_by_model(session, f), f
        assert unit_breakdown(session).root_causes  # the data has units, or this proves little
