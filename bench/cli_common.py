"""Options and small parsers every ``packbench`` command module shares.

The command line is split by subject (``cli``, ``cli_major``, ``cli_replies``, ``cli_service``)
so no module grows past a screenful of commands; these helpers live apart so the subject modules
need not import ``bench.cli`` (which imports them) and every command spells ``--station`` and
``--json`` the same way.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import click

from bench.cli_words import remember_language
from bench.errors import InputError
from bench.text_input import TextProblem, clean_text, hidden_character

if TYPE_CHECKING:
    from bench.config import StationConfig

F = TypeVar("F", bound=Callable[..., Any])


_DATABASE_KEY = "packbench.database"
_VERBOSE_KEY = "packbench.verbose"


def _remember(key: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """Keep an option's value in the context's ``meta`` (shared with sub-commands), so the
    group's ``--database`` and the command's own reach ``station()`` without a parameter."""

    def callback(context: click.Context, _parameter: click.Parameter, value: Any) -> Any:
        if value:
            context.meta[key] = value
        return value

    return callback


def store_options(function: F) -> F:
    """``--database`` and ``--verbose``, accepted by the group and by every station command."""
    function = click.option(
        "--verbose",
        "-v",
        is_flag=True,
        expose_value=False,
        callback=_remember(_VERBOSE_KEY),
        help="Say which store (and station file) the command uses.",
    )(function)
    return click.option(
        "--database",
        metavar="URL",
        expose_value=False,
        callback=_remember(_DATABASE_KEY),
        help="Store: SQLAlchemy URL or SQLite path. Default: $PACKBENCH_DATABASE_URL, else the "
        "station file's database, else SQLite in the user data directory.",
    )(function)


def station_option(function: F) -> F:
    function = store_options(function)
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


def database_option() -> str | None:
    """The ``--database`` given to this command or before it (``None``: not given)."""
    context = click.get_current_context(silent=True)
    value = context.meta.get(_DATABASE_KEY) if context is not None else None
    return str(value) if value else None


def station(path: Path | None) -> StationConfig:
    """The station file with the store every command agrees on (``bench.store_setting``)."""
    # imported here: the station file's loader brings pint and the instrument drivers, which
    # `packbench` parses its command line (and prints its help) without (docs/ci.md)
    from bench.config import load_station
    from bench.store_setting import choose_store, with_store

    config = load_station(path)
    context = click.get_current_context(silent=True)
    meta = context.meta if context is not None else {}
    choice = choose_store(config, meta.get(_DATABASE_KEY))
    if meta.get(_VERBOSE_KEY):
        click.echo(f"packbench: station {config.source}", err=True)
        click.echo(f"packbench: store {choice.shown()} (from {choice.origin})", err=True)
    remember_language(config)
    return with_store(config, choice)


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


MAX_COUNT = 2**31 - 1
"""Largest count the store's integer columns hold (and far more units than any complaint)."""


class Count(click.ParamType[int]):
    """A whole number that fits the store's integer columns, refused with the bound before
    anything runs (click's ``int`` takes ``99999999999999999999999``, which no column holds).

    Meaning (at least 1, no more defective than shipped) is the form's to judge, with its own
    wording; ``minimum`` is for options where the command line is the only check.
    """

    name = "count"

    def __init__(self, minimum: int = -MAX_COUNT, maximum: int = MAX_COUNT) -> None:
        self.minimum = minimum
        self.maximum = maximum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            try:
                number = int(str(value).strip())
            except ValueError:
                self.fail(f"{value!r} is not a whole number. Fix: give e.g. 10", param, ctx)
        if number > self.maximum:
            self.fail(f"{value} is too large. Fix: give at most {self.maximum}", param, ctx)
        if number < self.minimum:
            self.fail(f"{value} is too small. Fix: give at least {self.minimum}", param, ctx)
        return number


class Positive(click.ParamType[float]):
    """A finite number above zero (``nan``, ``inf`` and ``1e999`` are refused)."""

    name = "number"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number. Fix: give e.g. 600", param, ctx)
        if not math.isfinite(number) or number <= 0:
            self.fail(f"{value} is not a finite number above 0. Fix: give e.g. 600", param, ctx)
        return number


class CleanText(click.ParamType[str]):
    """Text stored or matched as given: NFKC, without control or invisible characters
    (``bench.text_input``), so a full-width serial finds its unit and a hidden one is refused."""

    name = "text"

    def __init__(self, max_length: int = 200) -> None:
        self.max_length = max_length

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            return clean_text(str(value), max_length=self.max_length)
        except TextProblem as exc:
            self.fail(str(exc), param, ctx)


def refuse_hidden_characters(argv: list[str]) -> None:
    """Every command-line word, before click parses it: a control or invisible character in any
    of them is refused, naming the option it belongs to (``InputError``, exit 2)."""
    for index, word in enumerate(argv):
        found = hidden_character(word)
        if found is None:
            continue
        option, _, _ = word.partition("=")
        if not option.startswith("-") or "=" not in word:
            previous = argv[index - 1] if index else ""
            option = previous if previous.startswith("-") else f"argument {index + 1} ({word!r})"
        position, code, kind = found
        raise InputError(
            f"{option}: contains {kind} ({code}) at character {position}. Fix: retype it "
            "without that character"
        )
