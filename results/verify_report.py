"""What ``results.verify.verify_store`` found: the report and the audit index its checks share.

Apart from ``results.verify`` so that the document checks (``results.verify_documents``) can
take them without importing the module that calls them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from results.models import AuditEvent

KEEP_EVENTS_OF = frozenset({"report"})
"""Entity types whose whole history ``verify`` needs, not only the last state."""


@dataclass(frozen=True)
class Problem:
    kind: str
    """``audit_chain``, ``measurement``, ``step``, ``trace``, ``evidence``, ``record``,
    ``report``, ``calendar``, ``unit_result``, ``unit`` (a pack logged as several units),
    ``checkpoint``, ``anchor``."""
    ref: str
    detail: str


@dataclass
class VerifyReport:
    problems: list[Problem] = field(default_factory=list)
    full: bool = True
    """Everything was checked; else what changed since a checkpoint and a sample."""
    audit_events: int = 0
    pending_events: int = 0
    """PostgreSQL: events committed but not yet linked onto the chain when it was read (group
    commit, ``results.audit_group``): not checked (they carry no hash yet), linked by the next
    drain. Reported, never silently skipped; on SQLite any is a problem."""
    measurements: int = 0
    steps: int = 0
    traces: int = 0
    evidence_files: int = 0
    records: int = 0
    sealed_runs: int = 0
    unsealed_steps: int = 0
    """Steps of runs still recording: checked against their digests only until the run seals."""
    reports: int = 0
    calendar_days: int = 0
    unit_results: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, kind: str, ref: str, detail: str) -> None:
        self.problems.append(Problem(kind, ref, detail))


@dataclass(frozen=True)
class AuditIndex:
    latest: dict[tuple[str, str], str | None]
    """(entity type, id) -> after_json of its newest event."""
    events: dict[tuple[str, str], list[AuditEvent]]
    """(entity type, id) -> every event, oldest first, for the types in ``KEEP_EVENTS_OF``."""
