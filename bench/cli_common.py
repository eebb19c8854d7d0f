"""Options and small parsers every ``packbench`` command module shares.

The command line is split by subject (``cli``, ``cli_major``, ``cli_replies``, ``cli_service``)
so no module grows past a screenful of commands; these helpers live apart so the subject modules
need not import ``bench.cli`` (which imports them) and every command spells ``--station`` and
``--json`` the same way.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TextIO, TypeVar

import click

from bench.config import StationConfig, load_station
from bench.errors import InputError

F = TypeVar("F", bound=Callable[..., Any])


def station_option(function: F) -> F:
    return click.option(
        "--station",
        "station_file",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="PACKBENCH_STATION",
        default=None,
        help="Station file (TOML). Default: $PACKBENCH_STATION, else the built-in simulated "
        "station (SQLite store in the user data directory).",
    )(function)


def json_option(function: F) -> F:
    return click.option(
        "--json", "as_json", is_flag=True, help="Print one JSON document on stdout (for scripts)."
    )(function)


def station(path: Path | None) -> StationConfig:
    return load_station(path)


def human(as_json: bool) -> TextIO:
    """Where text for people goes: stderr when stdout carries the JSON document."""
    return sys.stderr if as_json else sys.stdout


def emit(document: Any) -> None:
    click.echo(json.dumps(document, indent=2, ensure_ascii=False, default=str))


def parse_datetime(text: str | None, option: str) -> datetime:
    """An ISO date-time (naive means UTC); ``None`` means now."""
    if text is None:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option} {text!r} is not an ISO date-time (2026-03-01T09:30)") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option} {text!r} is not an ISO date (2026-03-01)") from None
