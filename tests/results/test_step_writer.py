"""The step writer's own datetime binding must store exactly what SQLAlchemy's would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from results.models import Measurement, UTCDateTime
from results.step_writer import _bind_processor, _sqlite_utc

_DIALECT = sqlite.dialect()
_REFERENCE = UTCDateTime().dialect_impl(_DIALECT).bind_processor(_DIALECT)


@given(
    st.datetimes(
        min_value=datetime(1900, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5, minutes=-30))]
        ),
    )
)
def test_sqlite_time_text_matches_sqlalchemy(value: datetime) -> None:
    assert _REFERENCE is not None
    assert _sqlite_utc(value) == _REFERENCE(value)


def test_naive_time_is_refused_like_the_orm_does() -> None:
    with pytest.raises(ValueError, match="time zone"):
        _sqlite_utc(datetime(2026, 3, 2, 1, 30))


def test_fast_binding_is_chosen_only_for_utc_datetimes_on_sqlite() -> None:
    table = Measurement.__table__
    assert _bind_processor(_DIALECT, table.c.measured_at) is _sqlite_utc  # type: ignore[attr-defined]
    assert _bind_processor(_DIALECT, table.c.name) is None  # type: ignore[attr-defined]
