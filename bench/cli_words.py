"""What the QA commands print for a person to read, in the station's language.

The words live in ``bench/locale/<locale>.json`` (the command line's own sentences) and in the
report catalogue (coded values: statuses, verdicts, signature meanings), so a status reads the
same in the terminal, on the pages and in the reports. The language is the station's
(``[station] language``), the one its questions are asked in: the command line has no second
language setting. ``--lang`` on a command chooses the language of the document it writes
(report, letter, 8D draft), not of its messages. What a script reads stays as it was: ``--json``
and ``--csv`` carry codes, a written file's path is printed as is, and the English sentences are
the ones printed before this catalogue existed (tests and scripts match them).
"""

from __future__ import annotations

import os
import re
import tomllib
import unicodedata
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bench.errors import BenchError, ConfigError
from procedures.phrases import catalogue_file, read_with

if TYPE_CHECKING:
    from bench.config import StationConfig
    from results.messages import Message

# bench.config (pint, the instrument drivers, the store's policies), the report catalogue and
# the store's refusal templates are imported where they are used, not here: every `packbench`
# process imports this module before it parses its command line (``bench.cli.main``), and
# most commands never need them (docs/ci.md, "Where the time goes").

ENGLISH = "en"
STATION_ENV = "PACKBENCH_STATION"


@cache
def cli_messages(locale: str) -> dict[str, str]:
    """The command line's catalogue of ``locale`` (English for a language it has none of)."""
    return catalogue_file("bench", "locale", locale)


@dataclass(frozen=True, slots=True)
class Words:
    """The command line's sentences and the domain's labels in one language."""

    locale: str = ENGLISH

    def __call__(self, key: str, **values: object) -> str:
        return cli_messages(self.locale)[key].format(**values)

    def label(self, prefix: str, code: str, default: str) -> str:
        """The command line's own label of ``code`` (``doctor_check.store``), ``default`` for a
        code it has none of (an instrument role, named as in the station file)."""
        return cli_messages(self.locale).get(prefix + code, default)

    def enum(self, group: str, code: str | None) -> str:
        """A coded value by its label; English keeps the code, as the command printed it."""
        if code is None:
            return ""
        if self.locale == ENGLISH:
            return code
        from results.reports.labels import catalogue

        return catalogue(self.locale).enum(group, code)

    def conclusion(self, kind: str, code: str) -> str:
        """A conclusion's value (a root cause, a disposition) by its label; English keeps the
        code, as the command printed it, and so does ``-`` (no conclusion) in any language."""
        if self.locale == ENGLISH or code in ("", "-"):
            return code
        from results.reports.labels import catalogue

        return catalogue(self.locale).conclusion(kind, code)

    def message(self, message: Message) -> str:
        """A store sentence (a closure blocker...) as the pages say it; English keeps the
        store's own text, as the command printed it."""
        if self.locale == ENGLISH:
            return message.text
        from results.store_words import message_text

        return message_text(message, self.locale)


def words_for(config: StationConfig) -> Words:
    """The station's language (``[station] language``)."""
    return Words(config.language)


ENGLISH_WORDS = Words()
"""The default of a function that prints for a person but was given no station."""


_station_language: ContextVar[str | None] = ContextVar("packbench_station_language", default=None)
"""The language of the station the running command loaded (``None``: it loaded none yet):
``packbench``'s last word on a refusal it did not catch itself (``bench.cli.main``) is said in
it, with no station at hand."""


def remember_language(config: StationConfig) -> None:
    """Note the station's language when a command loads its station (``cli_common.station``)."""
    _station_language.set(config.language)


def forget_language() -> None:
    """Forget the last command's station before a command runs (the same process may run
    commands of several stations)."""
    _station_language.set(None)


def station_language() -> str:
    """The language of the station the running command loaded (English before it loaded one)."""
    return _station_language.get() or ENGLISH


def _station_given(argv: list[str]) -> str | None:
    """The ``--station`` of a command line (else ``$PACKBENCH_STATION``; ``None``: neither)."""
    for index, word in enumerate(argv):
        if word == "--station" and index + 1 < len(argv):
            return argv[index + 1]
        if word.startswith("--station="):
            return word.removeprefix("--station=")
    return os.environ.get(STATION_ENV) or None


def language_of(station_file: str | Path | None) -> str:
    """The language of a station file, read for it alone (a command that does not load its
    station through ``cli_common.station``); English when there is none or it cannot be read
    (its own refusal says why)."""
    if station_file is None:
        return ENGLISH
    from bench.config import load_station

    try:
        return load_station(station_file).language
    except ConfigError:
        return _declared_language(station_file)
    except (BenchError, OSError, ValueError):
        return ENGLISH


def _declared_language(station_file: str | Path) -> str:
    """``[station] language`` as a refused station file writes it (read without the checks
    that refused the file), so that the refusal is said in the language its station asks in;
    English when the file cannot be read as TOML or names no language the station knows."""
    try:
        data = tomllib.loads(Path(station_file).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return ENGLISH
    from bench.config import STATION_LANGUAGES

    table = data.get("station")
    language = table.get("language") if isinstance(table, dict) else None
    return language if isinstance(language, str) and language in STATION_LANGUAGES else ENGLISH


def error_language(argv: list[str]) -> str:
    """The language to refuse a command in: its station's, also when the refusal came before
    the command loaded it (an option it could not read): the station file is then read for its
    language alone. English when there is none or it cannot be read (its own refusal says why)."""
    loaded = _station_language.get()
    if loaded is not None:
        return loaded
    return language_of(_station_given(argv))


def columns(text: str) -> int:
    """The terminal columns ``text`` takes (``len`` counts a Chinese character as one column; a
    terminal shows it in two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def padded(text: str, width: int) -> str:
    """``text`` filled with spaces to ``width`` terminal columns (``f"{text:<width}"`` counts a
    Chinese character as one column; a terminal shows it in two)."""
    return text + " " * max(0, width - columns(text))


ERROR_PREFIX = "cli_error."
VALUE_PREFIX = "cli_value."


PLACEHOLDER = re.compile(r"\{[^{}]*\}")


@cache
def _templates(prefix: str) -> tuple[tuple[str, str], ...]:
    """(key, English template) of the ``prefix`` sentences, the longest literal first: a
    template whose literal another one's contains is tried after it (``send raw {data}`` before
    ``send {data}``)."""
    english = cli_messages(ENGLISH)
    keys = [k for k in english if k.startswith(prefix)]
    keys.sort(key=lambda k: len(PLACEHOLDER.sub("", english[k])), reverse=True)
    return tuple((k, english[k]) for k in keys)


def read_back_values(text: str, prefix: str) -> tuple[str, dict[str, str]] | None:
    """The first ``prefix`` template (``_templates``' order) that reads the English ``text``,
    with the values it read; ``None`` when none does."""
    for key, template in _templates(prefix):
        values = read_with(template, text)
        if values is not None:
            return key, values
    return None


@cache
def _value_keys() -> dict[str, str]:
    """English value -> its ``cli_value.*`` key (a refused character's kind, ``no reply``)."""
    english = cli_messages(ENGLISH)
    return {v: k for k, v in english.items() if k.startswith(VALUE_PREFIX) and "{" not in v}


NESTED = ("self_test.", "safe_state.", "click_value.", "text_problem.")
"""Sentences a value may itself be (an instrument's self-test, its safe state read back, why an
option's value was refused)."""


def _error_value(value: str, locale: str) -> str:
    key = _value_keys().get(value)
    if key is not None:
        return cli_messages(locale)[key]
    reply = read_with(cli_messages(ENGLISH)[VALUE_PREFIX + "reply"], value)
    if reply is not None:
        return cli_messages(locale)[VALUE_PREFIX + "reply"].format(**reply)
    for prefix in NESTED:
        said = read_back(value, locale, prefix)
        if said != value:
            return said
    return value


def error_text(text: str, locale: str) -> str:
    """A refusal the command line words itself (``InputError``: an unknown complaint, an
    option it cannot read) in ``locale``: read back through its English ``cli_error.*``
    template (the store's refusals are read the same way, ``results.store_words``) and written
    from the other language's; a store refusal the command words for its option (``--model
    ...``) through the store's templates; English, or a text no template reads, as given."""
    said = read_back(text, locale, ERROR_PREFIX)
    option, _, refused = text.partition(" ")
    if said == text and option.startswith("--") and refused:  # the store's refusal of an option
        from results.store_words import store_error_text

        return f"{option} {store_error_text(refused, locale)}"
    return said


def config_error_text(refused: ConfigError, locale: str) -> str:
    """A refused station file (``ConfigError``) in ``locale``: its file and field as written,
    its problem and fix read back through the ``station_problem.*`` templates. English, or a
    problem no template reads, as the exception words it."""
    said = read_back(f"{refused.problem}; {refused.fix}", locale, "station_problem.")
    if locale == ENGLISH or said == f"{refused.problem}; {refused.fix}":
        return str(refused)
    line = cli_messages(locale)["station_error.line"]
    return line.format(source=refused.source, field=refused.field, said=said)


def read_back(text: str, locale: str, prefix: str) -> str:
    """``text``, an English sentence a lower layer wrote (a refusal, a line ``bench.sync``
    prints as it goes), in ``locale``: read back through the ``prefix`` templates of the
    command line's catalogue and written from the other language's; as given if none reads it.
    A value the catalogue names (``cli_value.*``: a refused character's kind, a sync state) is
    said by its label."""
    if locale == ENGLISH:
        return text
    found = read_back_values(text, prefix)
    if found is None:
        return text
    key, values = found
    shown = {name: _error_value(value, locale) for name, value in values.items()}
    return cli_messages(locale)[key].format(**shown)


def show_click_error(refused: click.ClickException, locale: str) -> None:
    """A usage error click found (a missing or unknown option, a value the option's type
    refuses): click's own lines in English, as scripts read them; in another language its usage
    line, the help hint and the error, the error read back through ``click_error.*``."""
    if locale == ENGLISH:
        refused.show()
        return
    say = Words(locale)
    context = refused.ctx if isinstance(refused, click.UsageError) else None
    if context is not None:
        usage = context.get_usage().removeprefix("Usage: ")
        click.echo(say("click.usage", usage=usage), err=True)
        click.echo(say("click.try_help", command=context.command_path), err=True)
    message = read_back(refused.format_message(), locale, "click_error.")
    click.echo(say("click.error", message=message), err=True)
