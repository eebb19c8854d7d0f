"""KPIs of a generated year of 2,000 complaints against an independent count in Python."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker
from store_builders import complaint_row

from results.calendar import PLANT_TZ, Calendar, set_calendar_day
from results.errors import ValidationError
from results.kpi import TARGETS, kpi
from results.models import Complaint

HOLIDAYS = {date(2026, 1, 1), date(2026, 2, 16), date(2026, 2, 17), date(2026, 5, 1)}
MAKE_UP = {date(2026, 2, 14), date(2026, 5, 9)}
NOW = datetime(2027, 1, 10, tzinfo=UTC)
TYPES = [None, "product", "transport", "packing", "shipping", "service"]
NON_PRODUCT = {"transport", "packing", "shipping", "service"}


def _later(
    rng: random.Random, received: datetime, max_days: float, missing: float = 0.0
) -> datetime | None:
    if rng.random() < missing:
        return None
    return received + timedelta(seconds=rng.randrange(60, int(max_days * 86400)))


def _year(rng: random.Random, n: int = 2000) -> list[dict[str, object]]:
    """Complaints received through 2026; some done late, some never, a few cancelled."""
    start = datetime(2026, 1, 1, tzinfo=PLANT_TZ).astimezone(UTC)
    rows: list[dict[str, object]] = []
    for i in range(n):
        received = start + timedelta(seconds=rng.randrange(0, 365 * 86400))

        registered = _later(rng, received, 2.5)
        decided = _later(rng, received, 9, 0.05)
        closed = None if decided is None else _later(rng, received, 25, 0.08)
        if closed is not None and decided is not None and closed < decided:
            closed = decided + timedelta(hours=1)
        rows.append(
            complaint_row(
                f"CC-2026-{i:05d}",
                received,
                severity=rng.choice(["severe", "general", "occasional"]),
                complaint_type=rng.choice(TYPES),
                registered_at=registered,
                decided_at=decided,
                closed_at=closed,
                cancelled_at=received + timedelta(days=1) if rng.random() < 0.02 else None,
            )
        )
    return rows


def _independent(
    rows: list[dict[str, object]],
    cal: Calendar,
    first: date,
    last: date,
    severity: str | None,
    kind: str | None = None,
) -> dict[tuple[str, str], tuple[int, int, list[str]]]:
    met: dict[tuple[str, str], int] = defaultdict(int)
    missed: dict[tuple[str, str], list[str]] = defaultdict(list)
    done_of = {
        "registered": "registered_at",
        "investigated": "decided_at",
        "closed": "closed_at",
        "all_closed": "closed_at",
    }
    for row in rows:
        received = row["received_at"]
        assert isinstance(received, datetime)
        day = received.astimezone(PLANT_TZ).date()
        if row["cancelled_at"] is not None or not first <= day <= last:
            continue
        if severity is not None and row["severity"] != severity:
            continue
        if kind is not None and (row["complaint_type"] in NON_PRODUCT) != (kind == "non-product"):
            continue
        for target in TARGETS:
            due = cal.add_working_days(received, target.working_days)
            done = row[done_of[target.name]]
            key = (str(row["severity"]), target.name)
            assert done is None or isinstance(done, datetime)
            met[key] += 0  # a pending one still makes its class and target appear
            if done is not None and done <= due:
                met[key] += 1
            elif done is not None or due < NOW:
                missed[key].append(str(row["number"]))
    return {k: (met[k], len(missed[k]), sorted(missed[k])) for k in met}


@pytest.mark.parametrize(
    ("first", "last", "severity", "kind"),
    [
        (date(2026, 1, 1), date(2026, 12, 31), None, None),
        (date(2026, 2, 10), date(2026, 5, 20), "severe", None),
        (date(2026, 1, 1), date(2026, 12, 31), None, "product"),
        (date(2026, 1, 1), date(2026, 12, 31), None, "non-product"),
        (date(2026, 3, 1), date(2026, 9, 30), "general", "non-product"),
    ],
)
def test_kpi_matches_an_independent_count(
    sessions: sessionmaker[Session], first: date, last: date, severity: str | None, kind: str | None
) -> None:
    rows = _year(random.Random(2026))
    with sessions.begin() as session:
        for day in HOLIDAYS:
            set_calendar_day(session, day, False, actor="admin")
        for day in MAKE_UP:
            set_calendar_day(session, day, True, actor="admin")
        session.execute(insert(Complaint), rows)
    cal = Calendar(dict.fromkeys(HOLIDAYS, False) | dict.fromkeys(MAKE_UP, True))
    expected = _independent(rows, cal, first, last, severity, kind)
    with sessions() as session:
        found = kpi(session, first, last, complaint_class=severity, complaint_type=kind, now=NOW)
    got = {
        (k.complaint_class, t.name): (t.met, t.missed, t.missed_numbers)
        for k in found
        for t in k.targets
    }
    assert got == expected
    assert sum(m + x for (_c, name), (m, x, _n) in got.items() if name == "closed") > 100
    classes = {k.complaint_class for k in found}
    assert classes == ({severity} if severity else {"severe", "general", "occasional"})


def test_kpi_bad_input(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        with pytest.raises(ValidationError, match="class: unknown class 'gold'"):
            kpi(session, date(2026, 1, 1), date(2026, 2, 1), complaint_class="gold")
        with pytest.raises(ValidationError, match=r"type: unknown value 'goods'.*non-product"):
            kpi(session, date(2026, 1, 1), date(2026, 2, 1), complaint_type="goods")
        with pytest.raises(ValidationError, match="to:"):
            kpi(session, date(2026, 2, 1), date(2026, 1, 1))
        with pytest.raises(ValidationError, match="too long"):
            kpi(session, date(2000, 1, 1), date(9999, 12, 31))
        with pytest.raises(ValidationError, match="from: 0001-01-01 is before 1970-01-02"):
            kpi(session, date(1, 1, 1), date(1, 1, 2))


@pytest.mark.parametrize(
    ("limit", "kind"), [(1, None), (5, None), (2, "product"), (2, "non-product")]
)
def test_missed_limit_caps_each_class_and_target(
    sessions: sessionmaker[Session], limit: int, kind: str | None
) -> None:
    """``missed_limit`` lists the first ``limit`` misses by number of every class and target,
    with complete counts: one cap over all classes gave one class all the numbers and left
    another with misses and no numbers."""
    rows = _year(random.Random(15))
    assert any(r["cancelled_at"] is not None for r in rows)
    with sessions.begin() as session:
        session.execute(insert(Complaint), rows)
    first, last = date(2026, 1, 1), date(2026, 12, 31)
    expected = _independent(rows, Calendar({}), first, last, None, kind)
    over_limit = {key for key, (_met, missed, _n) in expected.items() if missed > limit}
    # the case of the bug: several classes, each with more misses than the cap, on every target
    assert {c for c, _t in over_limit} == {"severe", "general", "occasional"}
    assert {t for _c, t in over_limit} == {t.name for t in TARGETS}
    with sessions() as session:
        found = kpi(session, first, last, complaint_type=kind, now=NOW, missed_limit=limit)
    got = {
        (k.complaint_class, t.name): (t.met, t.missed, t.missed_numbers)
        for k in found
        for t in k.targets
    }
    assert got == {k: (met, missed, n[:limit]) for k, (met, missed, n) in expected.items()}
    # every outcome occurs: met, missed and (complaints near the end of the year) pending
    assert all(t.met and t.missed for k in found for t in k.targets)
    assert any(t.pending for k in found for t in k.targets)


def test_missed_limit_without_any_miss(sessions: sessionmaker[Session]) -> None:
    """A period where nothing is missed yet (one complaint, registered in time, the rest still
    pending) and one with no complaint: counts, and no list asked for."""
    received = datetime(2026, 3, 2, 9, tzinfo=PLANT_TZ).astimezone(UTC)
    with sessions.begin() as session:
        session.execute(
            insert(Complaint),
            [complaint_row("CC-2026-00001", received, registered_at=received + timedelta(hours=1))],
        )
    with sessions() as session:
        day = received.astimezone(PLANT_TZ).date()
        found = kpi(session, day, day, now=received + timedelta(hours=2), missed_limit=20)
        empty = kpi(session, day + timedelta(days=1), day + timedelta(days=2), missed_limit=20)
    assert empty == []
    assert [k.complaint_class for k in found] == ["general"]
    outcomes = {t.name: (t.met, t.missed, t.pending, t.missed_numbers) for t in found[0].targets}
    assert outcomes == {
        "registered": (1, 0, 0, []),
        "investigated": (0, 0, 1, []),
        "closed": (0, 0, 1, []),
        "all_closed": (0, 0, 1, []),
    }
