"""What one ``verify`` covers: everything, or what changed since a checkpoint plus a sample.

Kept apart from ``results.verify`` so that the run checks (``results.verify_runs``) and the
record checks share one definition of the scope and of the progress callback.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

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

    def sample_ids(self, upto: int) -> list[int]:
        """Up to ``sample`` distinct ids in 1..``upto``, drawn with this scope's generator."""
        if upto <= 0 or self.sample <= 0:
            return []
        if self.sample >= upto:
            return list(range(1, upto + 1))
        return sorted(self.rng.sample(range(1, upto + 1), self.sample))


def batches(items: list[T], size: int = BATCH) -> list[list[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
