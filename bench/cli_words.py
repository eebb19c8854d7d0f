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

from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache

from bench.config import StationConfig
from procedures.phrases import catalogue_file
from results.messages import Message
from results.reports.labels import catalogue
from results.store_words import message_text

ENGLISH = "en"


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

    def enum(self, group: str, code: str | None) -> str:
        """A coded value by its label; English keeps the code, as the command printed it."""
        if code is None:
            return ""
        return code if self.locale == ENGLISH else catalogue(self.locale).enum(group, code)

    def message(self, message: Message) -> str:
        """A store sentence (a closure blocker...) as the pages say it; English keeps the
        store's own text, as the command printed it."""
        return message.text if self.locale == ENGLISH else message_text(message, self.locale)


def words_for(config: StationConfig) -> Words:
    """The station's language (``[station] language``)."""
    return Words(config.language)


ENGLISH_WORDS = Words()
"""The default of a function that prints for a person but was given no station."""


_station_language: ContextVar[str] = ContextVar("packbench_station_language", default=ENGLISH)
"""The language of the station the running command loaded: ``packbench``'s last word on a
refusal it did not catch itself (``bench.cli.main``) is said in it, with no station at hand."""


def remember_language(config: StationConfig) -> None:
    """Note the station's language when a command loads its station (``cli_common.station``)."""
    _station_language.set(config.language)


def forget_language() -> None:
    """Back to English before a command runs (a command that fails before loading its station
    speaks English, as it did, even after another command in the same process)."""
    _station_language.set(ENGLISH)


def station_language() -> str:
    """The language of the station the running command loaded (English before it loaded one)."""
    return _station_language.get()
