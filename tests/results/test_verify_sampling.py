"""``Scope.sample_rows``: a routine verify's random sample of older rows, drawn without reading
every id (which grew with the store), still uniform, seeded, and only of rows that exist."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, delete, event, insert
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from results.verify_scope import Scope


class _Base(DeclarativeBase):
    pass


class _Row(_Base):
    __tablename__ = "row"
    id: Mapped[int] = mapped_column(primary_key=True)


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    engine = create_engine(f"sqlite:///{tmp_path / 'rows.sqlite3'}")
    _Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.execute(insert(_Row), [{"id": i} for i in range(1, 20_001)])
        s.commit()
        yield s
    engine.dispose()


def _statements_run(session: Session) -> list[str]:
    """The statements run on the session's engine from here on."""
    seen: list[str] = []

    @event.listens_for(session.get_bind(), "after_cursor_execute")
    def keep(_c: object, _cursor: object, statement: str, *_a: object) -> None:
        seen.append(statement)

    return seen


def test_a_sample_is_seeded_sorted_and_of_existing_rows_within_the_condition(
    session: Session,
) -> None:
    picked = Scope(sample=200, seed=7).sample_rows(session, _Row.id, _Row.id <= 15_000)
    assert picked == sorted(set(picked)) and len(picked) == 200
    assert all(1 <= i <= 15_000 for i in picked)
    assert picked == Scope(sample=200, seed=7).sample_rows(session, _Row.id, _Row.id <= 15_000)
    assert picked != Scope(sample=200, seed=8).sample_rows(session, _Row.id, _Row.id <= 15_000)


def test_a_sample_does_not_read_every_id(session: Session) -> None:
    statements = _statements_run(session)
    picked = Scope(sample=200, seed=1).sample_rows(session, _Row.id)
    assert len(picked) == 200
    assert len(statements) <= 4, "drawn in a round or two"
    reads = [sql for sql in statements if "min(" not in sql]
    assert reads and all(" IN (" in sql for sql in reads), "no statement reads every id"


def test_every_row_is_as_likely_to_be_sampled(session: Session) -> None:
    """Over many seeds each tenth of the ids gets about a tenth of the picks."""
    tenths: Counter[int] = Counter()
    for seed in range(40):
        for i in Scope(sample=200, seed=seed).sample_rows(session, _Row.id):
            tenths[(i - 1) // 2000] += 1
    assert set(tenths) == set(range(10))
    assert all(700 <= n <= 900 for n in tenths.values()), tenths  # 800 each expected


def test_sparse_ids_still_give_a_full_sample_of_rows_that_exist(session: Session) -> None:
    """Most rows deleted: random draws rarely hit one, so the rest are read and picked from."""
    session.execute(delete(_Row).where(_Row.id % 500 != 0))
    session.commit()
    picked = Scope(sample=30, seed=3).sample_rows(session, _Row.id)
    assert len(picked) == 30 and all(i % 500 == 0 for i in picked)
    everything = Scope(sample=100, seed=3).sample_rows(session, _Row.id)
    assert everything == list(range(500, 20_001, 500)), "a sample larger than the rows: all"


def test_few_rows_and_no_rows(session: Session) -> None:
    assert Scope(sample=200, seed=1).sample_rows(session, _Row.id, _Row.id <= 50) == list(
        range(1, 51)
    )
    assert Scope(sample=200, seed=1).sample_rows(session, _Row.id, _Row.id < 0) == []
    assert Scope(sample=0, seed=1).sample_rows(session, _Row.id) == []
