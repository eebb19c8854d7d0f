"""What one ``verify`` covers: everything, or what changed since a checkpoint plus a sample.

Kept apart from ``results.verify`` so that the run checks (``results.verify_runs``) and the
record checks share one definition of the scope and of the progress callback.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from results.verify_checkpoint import Anchor, Checkpoint

T = TypeVar("T")
Progress = Callable[[str, int, int], None]
"""``progress(phase, done, total)``: called as each phase advances (``total`` may be 0)."""

BATCH = 2000
"""Rows per batch of a streamed check (record rows, audit lookups)."""
RUN_BATCH = 100
"""Runs per batch of the step check: a run's measurements, traces and channels are in memory
together with those of the other runs of its batch, and nothing else is."""
DEFAULT_SAMPLE = 200
DRAW_ROUNDS = 8
"""Rounds of random ids ``Scope.sample_rows`` draws before it reads the remaining ids instead."""


def no_progress(_phase: str, _done: int, _total: int) -> None:
    return None


@dataclass(frozen=True)
class Scope:
    """``since`` ``None``: check everything (``verify --full``). Otherwise check what changed
    after ``since`` and ``sample`` randomly chosen older runs, records and events of each kind
    (``seed`` fixes the choice, for tests and for re-running a verify that found something)."""

    since: Checkpoint | None = None
    sample: int = DEFAULT_SAMPLE
    seed: int | None = None
    anchor: Anchor | None = None
    rng: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rng", random.Random(self.seed))

    @property
    def full(self) -> bool:
        return self.since is None

    def pick(self, ids: Iterable[int]) -> list[int]:
        """Up to ``sample`` of ``ids`` (existing rows, streamed), uniformly at random with this
        scope's generator (reservoir sampling: one pass, memory of the sample only)."""
        chosen: list[int] = []
        if self.sample <= 0:
            return chosen
        for seen, row_id in enumerate(ids):
            if seen < self.sample:
                chosen.append(row_id)
            else:
                slot = self.rng.randrange(seen + 1)
                if slot < self.sample:
                    chosen[slot] = row_id
        return sorted(chosen)

    def sample_rows(
        self, session: Session, id_column: InstrumentedAttribute[int], *where: ColumnElement[bool]
    ) -> list[int]:
        """Up to ``sample`` ids of the rows of ``id_column``'s table that match ``where``,
        uniformly at random, without reading every id.

        Why: a routine verify samples older rows of every kind, and reading every id to choose
        200 (``pick``) grew with the store: at 100,000 runs it was over half the routine
        verify's time. Here ids are drawn at random between the lowest and the highest and
        kept when their row exists (a uniform sample of the existing rows: every draw is
        equally likely to hit any of them); ids are dense, so a round or two finds the sample.
        Where they are not (many rows deleted, few rows in a wide span) the remaining ids are
        read and picked from as before, after ``DRAW_ROUNDS`` rounds.
        """
        if self.sample <= 0:
            return []
        lowest, highest = session.execute(
            select(func.min(id_column), func.max(id_column)).where(*where)
        ).one()
        if lowest is None:
            return []
        span = range(int(lowest), int(highest) + 1)
        every = select(id_column).order_by(id_column).execution_options(yield_per=BATCH)
        if len(span) <= 2 * self.sample:
            return self.pick(session.scalars(every.where(*where)))
        chosen: set[int] = set()
        drawn: set[int] = set()
        for _round in range(DRAW_ROUNDS):
            need = self.sample - len(chosen)
            if need <= 0:
                return sorted(chosen)
            candidates = [
                i for i in self.rng.sample(span, min(len(span), 2 * need)) if i not in drawn
            ]
            drawn.update(candidates)
            found = sorted(
                session.scalars(select(id_column).where(id_column.in_(candidates), *where))
            )
            chosen.update(self.rng.sample(found, min(need, len(found))))
        need = self.sample - len(chosen)
        if need > 0:
            rest = every.where(*where, id_column.not_in(chosen))  # streamed, as ``pick`` was
            more = Scope(sample=need, seed=self.rng.randrange(2**32))
            chosen.update(more.pick(session.scalars(rest)))
        return sorted(chosen)

    def sample_ids(self, upto: int) -> list[int]:
        """Up to ``sample`` distinct ids in 1..``upto``, drawn with this scope's generator."""
        if upto <= 0 or self.sample <= 0:
            return []
        if self.sample >= upto:
            return list(range(1, upto + 1))
        return sorted(self.rng.sample(range(1, upto + 1), self.sample))


def batches(items: list[T], size: int = BATCH) -> list[list[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
