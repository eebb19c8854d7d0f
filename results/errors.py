"""Error hierarchy of the results store.

Callers (the bench service, the CLI) catch ``ResultsError`` to tell a store problem from a bug; each
subclass carries the thing that was wrong and what to do about it, so an operator can act on the
message without reading code.
"""

from __future__ import annotations

from collections.abc import Iterable


class ResultsError(Exception):
    """Base of every error the results store raises on purpose."""


class ValidationError(ResultsError, ValueError):
    """Input the store refuses; nothing was written.

    ``field`` names the offending input so a form can highlight it; ``fix`` says what would pass.
    """

    def __init__(self, field: str, problem: str, fix: str) -> None:
        self.field = field
        self.problem = problem
        self.fix = fix
        super().__init__(f"{field}: {problem}; {fix}")


class NotFound(ResultsError, LookupError):
    """A record looked up by id or number does not exist."""

    def __init__(self, kind: str, key: object) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"{kind} {key!r} does not exist; check the id or register it first")


class InvalidTransition(ResultsError):
    """A workflow step that the current status does not allow (or whose guard is not met)."""

    def __init__(
        self, entity: str, current: str, target: str, allowed: Iterable[str], why: str = ""
    ) -> None:
        self.entity = entity
        self.current = current
        self.target = target
        self.allowed = tuple(allowed)
        self.why = why
        allowed_text = ", ".join(self.allowed) if self.allowed else "none (final status)"
        reason = f" ({why})" if why else ""
        super().__init__(
            f"{entity}: cannot go from {current!r} to {target!r}{reason}; "
            f"allowed from {current!r}: {allowed_text}"
        )


class CalendarError(ResultsError):
    """The working-day calendar cannot answer (e.g. an SLA far beyond any loaded day)."""


class RecorderStateError(ResultsError, RuntimeError):
    """The recorder was called out of order (a step before ``run_started``, twice finished)."""
