"""Errors of the bench layer, each carrying the process exit status the CLI turns it into.

Exit statuses (the CLI's contract with scripts): 0 pass (or marginal), 1 fail verdict, 2 bad
input (configuration, arguments, answers, unknown complaint or unit; nothing written), 3
instrument error, 4 incomplete (a required test was not performed: evidence is missing, so the
pack is neither passed nor failed), 5 store unavailable (the run's steps are safe in the local
journal; ``packbench recover`` writes them once the store is back), 70 software error (a bug of
ours: the traceback goes to the developers' log, never to a report), 130 aborted.
"""

from __future__ import annotations

EXIT_PASS = 0
EXIT_FAIL = 1
EXIT_BAD_INPUT = 2
EXIT_INSTRUMENT = 3
EXIT_INCOMPLETE = 4
EXIT_STORE = 5
EXIT_SOFTWARE = 70
EXIT_ABORTED = 130


class BenchError(Exception):
    """Base of the bench's own errors; ``exit_code`` is what ``packbench`` exits with."""

    exit_code = EXIT_BAD_INPUT


class ConfigError(BenchError):
    """A station file is invalid: names the file, the field and the fix."""

    def __init__(self, source: str, field: str, problem: str, fix: str) -> None:
        self.source = source
        self.field = field
        self.problem = problem
        self.fix = fix
        super().__init__(f"{source}: {field}: {problem}. Fix: {fix}")


class InputError(BenchError):
    """A command-line input the store or the catalogue refuses (unknown unit, procedure, fault)."""


class StationError(BenchError):
    """An instrument of the station cannot be opened, does not answer, or is not what the
    station file says; the message names the ``instruments.<role>`` entry to check."""

    exit_code = EXIT_INSTRUMENT


class StoreUnavailable(BenchError):
    """The results store is busy, down or full; the message says what is safe where."""

    exit_code = EXIT_STORE
