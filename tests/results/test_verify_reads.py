"""What ``verify``'s faster reads (``results.verify_runs``) must keep equal to the definitions the
writers hash with: the times PostgreSQL converts to microseconds, the step digest fed as joined
strings, a step's measurement hashes in one call, and the audit look-ups whose keys travel as one
PostgreSQL array literal."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from store_builders import register

from results.audit import record
from results.integrity import (
    measurement_hash_of,
    measurement_hashes_at,
    step_digest,
    stored_micros,
)
from results.verify_runs import _micros, existing_ids, latest_after

_hex = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)
_texts = st.text(max_size=30)


def _digest_update_by_update(
    measurement_hashes: Iterable[str],
    trace_hashes: Iterable[str],
    attachments: Iterable[tuple[str, str, str]],
) -> str:
    """``step_digest`` as it was first written, one ``update`` per piece: the definition every
    stored step digest was made with."""
    digest = hashlib.sha256(b"m")
    for h in measurement_hashes:
        digest.update(h.encode())
    digest.update(b"t")
    for h in trace_hashes:
        digest.update(h.encode())
    digest.update(b"a")
    for sha, name, media_type in attachments:
        digest.update(f"{sha}\x1f{name}\x1f{media_type}\x1e".encode())
    return digest.hexdigest()


@settings(max_examples=200, deadline=None)
@given(
    measurements=st.lists(_hex, max_size=12),
    traces=st.lists(_hex, max_size=3),
    attachments=st.lists(st.tuples(_hex, _texts, _texts), max_size=3),
)
def test_the_step_digest_is_the_update_by_update_digest(
    measurements: list[str], traces: list[str], attachments: list[tuple[str, str, str]]
) -> None:
    assert step_digest(measurements, traces, attachments) == _digest_update_by_update(
        measurements, traces, attachments
    )
    # the writers pass generators
    assert step_digest(iter(measurements), iter(traces), iter(attachments)) == (
        _digest_update_by_update(measurements, traces, attachments)
    )


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 100),
            st.one_of(st.none(), st.floats(allow_nan=False)),
            _texts,
            st.booleans(),
            st.integers(0, 2**62),
        ),
        max_size=6,
    ),
    run_id=st.integers(1, 10**9),
    step_idx=st.integers(0, 500),
)
def test_a_steps_measurement_hashes_are_each_rows_hash(
    rows: list[tuple[object, ...]], run_id: int, step_idx: int
) -> None:
    """Rows as ``verify`` reads them (step id, id and stored hash first) hash, each at its own
    step's position, to ``measurement_hash_of`` of the row's values."""
    read = [(7, k, "h" * 64, *values) for k, values in enumerate(rows)]
    read += [(8, k, "h" * 64, *values) for k, values in enumerate(rows)]
    positions = {7: (run_id, step_idx), 8: (run_id + 1, 0)}
    assert measurement_hashes_at(positions, read, 3) == [
        measurement_hash_of(run_id, step_idx, values) for values in rows
    ] + [measurement_hash_of(run_id + 1, 0, values) for values in rows]


_MOMENTS = [
    datetime(1970, 1, 1, tzinfo=UTC),
    datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=UTC),
    datetime(1901, 3, 4, 5, 6, 7, 1, tzinfo=UTC),
    datetime(2025, 1, 6, 1, 0, tzinfo=UTC),
    datetime(2025, 3, 30, 1, 59, 59, 999_999, tzinfo=UTC),
    datetime(2026, 12, 7, 3, 43, 44, 123_456, tzinfo=UTC),
    datetime(2199, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    datetime(2025, 6, 1, 12, tzinfo=UTC).astimezone(UTC) + timedelta(microseconds=7),
]


@pytest.mark.postgres
@pytest.mark.parametrize("moment", _MOMENTS, ids=lambda m: m.isoformat())
def test_postgres_microseconds_are_the_python_microseconds(
    sessions: sessionmaker[Session], moment: datetime
) -> None:
    """PostgreSQL converts step and measurement times to microseconds in the statement
    (``_MICROS_SQL``); the integer is the one ``stored_micros`` makes of the driver's datetime,
    in any session time zone."""
    with sessions() as session:
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("PostgreSQL's conversion")
        for zone in ("UTC", "Asia/Kathmandu", "America/St_Johns"):
            session.execute(text(f"SET LOCAL TIME ZONE '{zone}'"))
            stored = "CAST(:t AS timestamp with time zone)"
            row = session.execute(text(f"SELECT {_micros(stored)}, {stored}"), {"t": moment}).one()
            loaded: datetime = row[1]
            assert row[0] == stored_micros(loaded) == stored_micros(moment)


def test_latest_after_reads_any_key_and_keeps_the_newest(sessions: sessionmaker[Session]) -> None:
    """Keys travel as one PostgreSQL array literal: quotes, backslashes, commas, braces, blanks
    and the word NULL come back as themselves, and each key's newest event wins."""
    keys = ['a"b', "c\\d", "e,f", "{g}", " h ", "NULL", "", "7", "ü"]
    with sessions.begin() as session:
        for round_ in (1, 2):
            for key in keys:
                record(
                    session,
                    actor="test",
                    action="edit",
                    entity_type="odd",
                    entity_id=key,
                    after={"round": round_},
                )
    with sessions() as session:
        latest = latest_after(session, "odd", [*keys, "absent"])
    assert latest == {key: '{"round":2}' for key in keys}


def test_existing_ids_finds_exactly_the_rows_there(sessions: sessionmaker[Session]) -> None:
    complaints = [register(sessions, serial=f"SN-{k}")[0] for k in range(3)]
    with sessions() as session:
        asked = [complaints[0], complaints[2], max(complaints) + 1, 0, 10**30, 2**40]
        assert existing_ids(session, "complaint", asked) == {complaints[0], complaints[2]}
        assert existing_ids(session, "complaint", []) == set()
