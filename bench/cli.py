"""``packbench``: the bench's command line (``--help`` on every command).

Exit statuses: 0 pass, 1 fail verdict, 2 bad input, 3 instrument error, 4 incomplete (a required
test not performed), 5 store unavailable (the run is kept in its local journal; ``packbench
recover``), 70 software error (one line on screen, the traceback in the developers' log:
``bench.devlog``), 130 aborted (Ctrl-C or SIGTERM); the full list is in ``bench.errors``. With
``--json``, ``run``, ``demo`` and ``complaint show`` print exactly one JSON document on standard
output and send everything a person reads (progress, prompts) to standard error.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import click

from bench.cli_common import refuse_hidden_characters, store_options
from bench.cli_lazy import Lazy, LazyGroup
from bench.cli_words import (
    ENGLISH,
    Words,
    config_error_text,
    error_language,
    error_text,
    forget_language,
    show_click_error,
)
from bench.devlog import (
    install_devlog,
    install_operator_notices,
    record_crash,
    software_error_line,
)
from bench.errors import (
    EXIT_ABORTED,
    EXIT_BAD_INPUT,
    EXIT_PASS,
    EXIT_SOFTWARE,
    EXIT_STORE,
    BenchError,
    ConfigError,
)
from results.errors import ResultsError
from results.heap import settle_startup_heap

COMMANDS: dict[str, Lazy] = {
    name: Lazy(module, attribute, summary)
    for name, module, attribute, summary in (
        (
            "claim",
            "bench.cli_containment",
            "claim",
            "Claims on a complaint: amount in RMB, basis, settlement way, the sales sign-offs.",
        ),
        (
            "complaint",
            "bench.cli_complaint_group",
            "complaint",
            "Register, list and show complaints.",
        ),
        (
            "containment",
            "bench.cli_containment",
            "containment",
            "Containment on every complaint: the check of stock, WIP and incoming material, and "
            "the emergency measures taken, each open until released.",
        ),
        ("db", "bench.cli_store", "db", "The results store."),
        (
            "demo",
            "bench.cli_demo",
            "demo",
            "Simulated station, one sample complaint with returned packs in different faults, the "
            "full diagnosis of each, a verdict table and the complaint's HTML report, in the "
            "station's language.",
        ),
        (
            "doctor",
            "bench.cli_doctor",
            "doctor",
            "Check the station file, the store (reachable, migrated, writable) and every "
            "instrument (identity, self-test, safe state read back); each problem is named with "
            "its fix. Changes nothing. Exit status: 0 ready, 2 station file, 5 store, 3 "
            "instruments (the first failing).",
        ),
        (
            "eightd",
            "bench.cli_eightd",
            "eightd",
            "8D reports of complaints: draft, show, edit, sign, amend (versioned like reports).",
        ),
        (
            "feedback",
            "bench.cli_containment",
            "feedback",
            "The customer feedback handling form and closing the complaint with it.",
        ),
        ("instruments", "bench.cli_instruments", "instruments", "Instrument checks."),
        (
            "invalidate",
            "bench.cli_runs",
            "invalidate",
            "Mark RUN_ID invalid (QA only): it stays in the record but is no longer evidence.",
        ),
        (
            "kpi",
            "bench.cli_clocks",
            "kpi",
            "Quality targets per class for complaints received FROM..TO, with the ones that "
            "missed.",
        ),
        (
            "major",
            "bench.cli_major",
            "major",
            "Major complaints: containment, emergency meeting, supplier, acceptance, closure.",
        ),
        (
            "recover",
            "bench.cli_store",
            "recover",
            "Write the runs kept in local journals (the store was unavailable) into the store.",
        ),
        (
            "replay",
            "bench.cli_replay",
            "replay",
            "Re-run the procedure of a recorded session against its transcript, without hardware.",
        ),
        (
            "reply",
            "bench.cli_replies",
            "reply",
            "Customer reply letters: draft, check against the manual's rules, approve terms, "
            "export.",
        ),
        (
            "report",
            "bench.cli_complaint_report",
            "report",
            "Write the complaint's report (HTML/PDF) or its measurement log (JSON/CSV; a CSV in "
            "--lang zh_CN adds the coded cells in words, the codes kept), or with --kind outgoing "
            "--unit SERIAL a unit's outgoing inspection report (HTML/PDF).",
        ),
        (
            "report-version",
            "bench.cli_reports",
            "report_version",
            "Stored report versions (the service's report records): create, approve, list.",
        ),
        (
            "return",
            "bench.cli_returns",
            "return_",
            "Return notices, the warehouse's receipt and inspection requests (units come from "
            "these).",
        ),
        (
            "run",
            "bench.cli_run",
            "run",
            "Run PROCEDURE for returned units of a complaint and record it in the store.",
        ),
        (
            "serve",
            "bench.cli_service",
            "serve",
            "Serve the QA service (API, OpenAPI spec at /openapi.json, pages) until "
            "Ctrl-C/SIGTERM.",
        ),
        (
            "sim",
            "bench.cli_sim",
            "sim",
            "Serve a standalone simulated bench until Ctrl-C (like python -m simulators).",
        ),
        (
            "station",
            "bench.panel.cli",
            "station_group",
            "This bench's station: the operator panel.",
        ),
        (
            "sync",
            "bench.cli_sync",
            "sync",
            "Send every finished or interrupted run not yet sent (oldest first) to the QA service.",
        ),
        ("token", "bench.cli_service", "token", "API tokens of the QA service."),
        (
            "unit",
            "bench.cli_unit_group",
            "unit",
            "Log returned units, carry them along their path (disposition, move, status), merge "
            "a pack logged twice.",
        ),
        (
            "verify",
            "bench.cli_verify",
            "verify",
            "Re-check the audit chain, every recorded value and every evidence file.",
        ),
    )
}
"""Every top-level command: where it lives and its help's first paragraph (``bench.cli_lazy``:
a command's module is imported only when that command runs)."""


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@store_options
def cli() -> None:
    """Battery-return test bench: complaints, returned units, diagnosis runs, reports."""


class _Terminated(KeyboardInterrupt):
    """SIGTERM outside a procedure: unwind like Ctrl-C so every ``finally`` (safe state) runs."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Terminated("SIGTERM")


@contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _software_error(exc: BaseException, path: Path | None, argv: list[str]) -> str:
    """The one line an operator reads about a bug of ours, in the station's language (English:
    ``bench.devlog``'s line, as printed before)."""
    language = error_language(argv)
    if language == ENGLISH:
        return software_error_line(exc, path)
    say = Words(language)
    where = say("error.traceback_in", path=path) if path else say("error.traceback_lost")
    return say("error.software", kind=type(exc).__name__, where=where)


def _is_store_error(exc: Exception) -> bool:
    """Whether ``exc`` is SQLAlchemy's (the store's) error. Read without importing SQLAlchemy
    when no command has (then it cannot be its error): a command that never opens the store,
    ``--help`` among them, starts without it (``bench.cli_lazy``)."""
    if "sqlalchemy.exc" not in sys.modules:
        return False
    from sqlalchemy.exc import SQLAlchemyError

    return isinstance(exc, SQLAlchemyError)


def _store_unavailable(exc: Exception, argv: list[str]) -> int:
    """The store could not be reached (SQLAlchemy's error of an outage): one line, exit 5. Any
    other SQLAlchemy error is re-raised: not an outage, and not ours to word."""
    from results.journaled_recorder import is_store_outage

    if not is_store_outage(exc):
        raise exc
    first = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    detail = first[0] if first else str(exc)
    say = Words(error_language(argv))
    click.echo(say("error.store_unavailable", detail=detail), err=True)
    return EXIT_STORE


def main(argv: list[str] | None = None) -> int:
    """Console entry point; returns (and exits with) the documented status."""
    code: int
    words = list(sys.argv[1:] if argv is None else argv)
    # a command's own process, not a call in another (tests): its heap is settled once the
    # command's module is imported (``results.heap``; before, its imports would stay in reach)
    cli.after_load = settle_startup_heap if argv is None else None
    install_devlog()
    install_operator_notices()
    forget_language()
    with _sigterm_unwinds():
        try:
            refuse_hidden_characters(words)
            result = cli.main(args=words, prog_name="packbench", standalone_mode=False)
            code = result if isinstance(result, int) else EXIT_PASS
        except click.exceptions.Abort:
            click.echo(Words(error_language(words))("error.aborted"), err=True)
            code = EXIT_ABORTED
        except click.ClickException as exc:
            show_click_error(exc, error_language(words))
            code = EXIT_BAD_INPUT if exc.exit_code == 2 else exc.exit_code
        except click.exceptions.Exit as exc:
            code = exc.exit_code
        except ConfigError as exc:
            click.echo(f"packbench: {config_error_text(exc, error_language(words))}", err=True)
            code = exc.exit_code
        except BenchError as exc:
            click.echo(f"packbench: {error_text(str(exc), error_language(words))}", err=True)
            code = exc.exit_code
        except ResultsError as exc:
            from results.store_words import refusal_text

            click.echo(f"packbench: {refusal_text(exc, error_language(words))}", err=True)
            code = EXIT_BAD_INPUT
        except KeyboardInterrupt:
            click.echo(Words(error_language(words))("error.aborted_safe"), err=True)
            code = EXIT_ABORTED
        except Exception as exc:
            code = _store_unavailable(exc, words) if _is_store_error(exc) else EXIT_SOFTWARE
            if code == EXIT_SOFTWARE:  # a bug of ours: one line here, the traceback in the devlog
                click.echo(_software_error(exc, record_crash(exc, words), words), err=True)
    if argv is None:
        sys.exit(code)
    return code


if __name__ == "__main__":
    main()
