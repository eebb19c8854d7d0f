"""The developers' log: where a bug's traceback goes instead of the screen or the evidence.

An operator who meets a bug of ours needs one line (what happened, where the details are, that it
is not the pack's fault) and the exit status 70; a developer needs the traceback. Neither belongs
in a run's evidence, which a customer report lists. So ``packbench`` appends every unexpected
exception, and every error its procedures log with a traceback, to one file in the user data
directory (``$PACKBENCH_DEVLOG`` overrides it), with the time, the process and the command line.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path

from bench import paths

DEVLOG_ENV = "PACKBENCH_DEVLOG"
_HANDLER_NAME = "packbench-devlog"


def devlog_path() -> Path:
    chosen = os.environ.get(DEVLOG_ENV, "").strip()
    return Path(chosen).expanduser() if chosen else paths.data_dir() / "logs" / "developer.log"


def _open_for_append(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def record_crash(exc: BaseException, argv: list[str]) -> Path | None:
    """Append ``exc`` with its traceback; the file written, or ``None`` if none could be."""
    path = devlog_path()
    try:
        with _open_for_append(path).open("a", encoding="utf-8") as log:
            log.write(
                f"--- {datetime.now(UTC).isoformat(timespec='seconds')} pid {os.getpid()} "
                f"packbench {' '.join(argv)}\n"
            )
            log.write("".join(traceback.format_exception(exc)))
    except OSError:
        return None
    return path


class _DevlogHandler(logging.FileHandler):
    """Opened on the first record only, so commands that log nothing create no file."""


def install_devlog() -> None:
    """Send ERROR records of the ``packbench`` loggers (the engine's step errors, with their
    tracebacks) to the developers' log as well; one handler per process, moved with the log."""
    logger = logging.getLogger("packbench")
    path = devlog_path()
    for old in [h for h in logger.handlers if h.get_name() == _HANDLER_NAME]:
        if isinstance(old, logging.FileHandler) and old.baseFilename == str(path.absolute()):
            return
        logger.removeHandler(old)  # the log moved ($PACKBENCH_DEVLOG changed): follow it
        old.close()
    try:
        handler = _DevlogHandler(_open_for_append(path), encoding="utf-8", delay=True)
    except OSError:
        return
    handler.set_name(_HANDLER_NAME)
    handler.setLevel(logging.ERROR)
    handler.setFormatter(logging.Formatter("--- %(asctime)s pid %(process)d %(name)s\n%(message)s"))
    logger.addHandler(handler)


OPERATOR_LOGGERS = ("packbench.recording",)
"""Loggers whose warnings are meant for the person at the bench (a store outage and its end):
shown on standard error as one plain line each, never with a traceback. Installing the
developers' log gives ``packbench`` a handler, which ends Python's last-resort printing of
warnings, so these get a handler of their own."""


class _PlainLine(logging.Formatter):
    """``packbench: <message>``: no traceback or stack, whatever the record carries."""

    def format(self, record: logging.LogRecord) -> str:
        return f"packbench: {record.getMessage()}"


class _CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a record comes (a test's capture, a closed
    terminal's replacement), never to a stream that was closed since installation."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def install_operator_notices() -> None:
    """One stderr handler per operator logger (idempotent)."""
    for name in OPERATOR_LOGGERS:
        logger = logging.getLogger(name)
        if any(h.get_name() == _NOTICE_HANDLER for h in logger.handlers):
            continue
        handler = _CurrentStderr()
        handler.set_name(_NOTICE_HANDLER)
        handler.setLevel(logging.WARNING)
        handler.setFormatter(_PlainLine())
        logger.addHandler(handler)


_NOTICE_HANDLER = "packbench-operator-notices"


def software_error_line(exc: BaseException, path: Path | None) -> str:
    """The one line an operator reads (no traceback, no addresses beyond the log's path)."""
    where = f"the traceback is in {path}" if path else "the traceback could not be written"
    return (
        f"packbench: software error ({type(exc).__name__}), a bug in packbench, not a fault of "
        f"the pack or the instruments; {where}; please send it to the developers"
    )


__all__ = [
    "devlog_path",
    "install_devlog",
    "install_operator_notices",
    "record_crash",
    "software_error_line",
]
