"""Record types a procedure produces, and the recorder interface that receives them.

These are the seam between ``procedures`` and ``results``: a procedure never touches the database,
it hands finished records to a ``Recorder`` as they complete, so a crash loses nothing finished.
Values travel as magnitude + unit text (not pint objects) so that storing one costs no unit work.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import numpy as np
import numpy.typing as npt


class Verdict(enum.IntEnum):
    """Ordered so that the worst verdict wins with ``max``; skipped counts for nothing.

    The one meaning of each word (docs/verdicts.md):

    * ``SKIPPED``: a measurement (or step) that was not taken; its record says why, in words a
      customer may read. It never passes anything and never fails the pack.
    * ``PASS`` / ``MARGINAL`` / ``FAIL``: judged against the declared limits.
    * ``INCOMPLETE``: a step or run in which a *required* test was not performed (a protection
      the station could not exercise): the evidence is missing, so the pack is neither passed
      nor failed. Worse than marginal (nobody may sign "pass"), better than fail (a measured
      failure says more about the pack than a gap does).
    * ``ERROR``: the bench or the software failed, not the pack.
    * ``ABORTED``: the run was stopped (operator, signal, safety limit).

    Stored by *name* (never by number), so inserting a word keeps old records readable.
    """

    SKIPPED = 0
    PASS = 1
    MARGINAL = 2
    INCOMPLETE = 3
    FAIL = 4
    ERROR = 5
    ABORTED = 6

    @classmethod
    def worst(cls, verdicts: list[Verdict] | tuple[Verdict, ...]) -> Verdict:
        counted = [v for v in verdicts if v is not cls.SKIPPED]
        return max(counted) if counted else cls.SKIPPED


MISSING_HEAD = "required test not performed"
"""How an incomplete step's message and a required skipped record begin (docs/verdicts.md)."""


@dataclass(frozen=True, slots=True)
class LimitsRecord:
    """Limits as stored with each measurement, in the measurement's unit.

    ``low``/``high`` may be ``None`` (one-sided); ``*_inclusive``: does the bound itself pass;
    the marginal band lies inside the limits and turns a pass into a marginal.
    """

    low: float | None = None
    high: float | None = None
    low_inclusive: bool = True
    high_inclusive: bool = True
    nominal: float | None = None
    marginal_low: float | None = None
    marginal_high: float | None = None


@dataclass(frozen=True, slots=True)
class MeasurementRecord:
    name: str
    value: float | None
    unit: str
    limits: LimitsRecord
    verdict: Verdict
    comparison: str
    """How the verdict was decided, e.g. ``"2.40 <= 3.71 <= 4.35 V"``."""
    timestamp: datetime
    instrument: str | None = None
    """``*IDN?`` of the instrument that took it (``None`` for operator-entered values)."""
    description: str = ""
    text_value: str | None = None
    """For categorical measurements (an operator's answer); ``value`` is then ``None``."""


@dataclass(frozen=True, slots=True)
class TraceRecord:
    """A time series such as the recharge curve: one array per channel, one unit per channel."""

    name: str
    time_s: npt.NDArray[np.float64]
    channels: dict[str, tuple[npt.NDArray[np.float64], str]]
    timestamp: datetime


@dataclass(slots=True)
class StepRecord:
    name: str
    index: int
    started: datetime
    ended: datetime
    verdict: Verdict
    measurements: list[MeasurementRecord] = field(default_factory=list)
    traces: list[TraceRecord] = field(default_factory=list)
    message: str = ""
    """Why a step errored, aborted or was skipped; empty when it simply passed or failed."""
    attachments: list[tuple[str, bytes]] = field(default_factory=list)
    """(file name, content) of evidence files the step produced (photos, logs)."""
    undeclared: tuple[str, ...] = ()
    """Measurements the step recorded but did not declare (``procedures.declared``): a definition
    bug, warned about in the developers' log and kept here for the tests; never stored, and it
    changes no verdict (the record itself is judged and kept as usual)."""


@dataclass(frozen=True, slots=True)
class RunInfo:
    procedure: str
    procedure_version: str
    station: str
    operator: str
    spec: str
    unit_serial: str
    complaint_number: str | None
    started: datetime


@dataclass(frozen=True, slots=True)
class Conclusion:
    """One statement of the diagnosis and the measurements that support it."""

    kind: str
    """``root_cause``, ``contributing``, ``symptom``, ``disposition``, ``cause_category``,
    ``advice``, ``discounted``.

    ``root_cause`` is the primary cause (one per diagnosis); ``contributing`` is every further
    finding the evidence supports, ranked after it; ``discounted`` names a failed measurement the
    diagnosis does not blame on the pack, and why."""
    value: str
    explanation: str
    evidence: tuple[str, ...] = ()
    """``"<step name>/<measurement name>"`` references into this run."""

    def __post_init__(self) -> None:
        # The rules state kinds and values as ``StrEnum`` members; the record keeps the plain
        # strings, so what is stored, hashed and compared is exactly what it always was.
        object.__setattr__(self, "kind", str(self.kind))
        object.__setattr__(self, "value", str(self.value))


@dataclass(frozen=True, slots=True)
class RunOutcome:
    verdict: Verdict
    ended: datetime
    message: str = ""
    conclusions: tuple[Conclusion, ...] = ()


class Recorder(Protocol):
    """Receives a run as it happens. Implementations must persist each call before returning."""

    def run_started(self, info: RunInfo) -> None: ...

    def step_finished(self, step: StepRecord) -> None: ...

    def run_finished(self, outcome: RunOutcome) -> None: ...
