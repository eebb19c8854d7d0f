"""Error hierarchy of the procedure layer.

The engine turns exceptions into verdicts, so the class of an exception *is* its meaning:
``RunAborted`` and its children end a run as *aborted* (an operator or a safety limit stopped it),
everything else raised in a step (``InstrumentError`` included) is an *error*: a fault of the
bench or the software, never blamed on the pack.
"""

from __future__ import annotations

from pathlib import Path


class ProcedureError(Exception):
    """Base of the faults of this layer: a bug or a bad input, never a verdict on the pack."""


class MeasurementDeclarationError(ProcedureError, ValueError):
    """A measurement was declared with limits that cannot be checked (wrong unit, bad order)."""


class MeasurementValueError(ProcedureError, TypeError):
    """A value handed to a measurement has the wrong kind or dimension, or is not a number."""


class MissingInstrument(ProcedureError):
    """A step asked for an instrument role the station does not have."""


class ProcedureDefinitionError(ProcedureError, ValueError):
    """A procedure is malformed (duplicate step names, a step that is not callable)."""


class SpecError(ProcedureError, ValueError):
    """A pack-spec file is invalid. The message names the file, the field and the fix."""

    def __init__(self, path: Path | str, field: str, problem: str) -> None:
        self.path = Path(path)
        self.field = field
        self.problem = problem
        where = f"{self.path}: {field}: " if field else f"{self.path}: "
        super().__init__(where + problem)


class PromptError(ProcedureError):
    """A prompt could not be answered as asked (scripted answer missing or of the wrong type)."""


class MissingAnswer(PromptError, KeyError):
    """A scripted run reached a question it has no answer for."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class AnswerTypeError(PromptError, TypeError):
    """An answer does not fit its question (text for a yes/no, amps for volts, unknown option).

    ``key`` (with ``values``) names the prompt catalogue's sentence for it, so the terminal and
    the panel tell the operator in the question's language (``procedures.questions.
    answer_problem``); the message itself is the English one, for logs."""

    def __init__(self, message: str, key: str = "", **values: object) -> None:
        super().__init__(message)
        self.key = key
        self.values = values


class ClockError(ProcedureError):
    """The simulator's control endpoint refused a time request or could not be reached."""


class RunAborted(Exception):
    """Base of everything that ends a run as *aborted* rather than *error*."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class AbortRun(RunAborted):
    """Raised by a step when continuing would be unsafe or pointless (an abort limit breached)."""


class AbortRequested(RunAborted):
    """The operator pressed abort in a prompt."""


class PackLimitExceeded(Exception):
    """The pack itself breached a safety limit (it overheats): stop now, and it is a FAIL.

    Not an abort (nothing outside the pack went wrong) and not an error (the instruments worked):
    the step that raises it has already recorded the failing measurement. The engine ends the
    step and the run as *fail*, leaves the remaining steps unrun (recorded as skipped with this
    reason), takes the safe state as on every exit, and still lets the rules conclude, since the
    failing measurement is evidence about the pack.
    """

    def __init__(self, reason: str, summary: str | None = None) -> None:
        self.reason = reason
        self.summary = summary or reason
        """A short form for the steps left unrun (``reason`` carries the advice)."""
        super().__init__(reason)


class Interrupted(BaseException):
    """SIGINT/SIGTERM arrived during a step.

    A ``BaseException`` like ``KeyboardInterrupt``, so that a step's ``except Exception`` cannot
    swallow the operator's request to stop.
    """

    def __init__(self, signal_name: str) -> None:
        self.signal_name = signal_name
        super().__init__(f"{signal_name} received")
