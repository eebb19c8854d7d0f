"""Report labels from per-language message catalogues (``locale/<code>.json``).

The QA web pages reuse these catalogues, so every label lives in exactly one place per language;
renderers ask for a key and never carry text of their own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from results.reports.errors import MissingLabelError, UnknownLocaleError

DEFAULT_LOCALE = "en"


def available_locales() -> tuple[str, ...]:
    folder = resources.files("results.reports") / "locale"
    return tuple(
        sorted(p.name.removesuffix(".json") for p in folder.iterdir() if p.name.endswith(".json"))
    )


@dataclass(frozen=True)
class Catalogue:
    locale: str
    messages: dict[str, str]

    def __getitem__(self, key: str) -> str:
        try:
            return self.messages[key]
        except KeyError:
            raise MissingLabelError(key, self.locale) from None

    def format(self, key: str, **values: object) -> str:
        return self[key].format(**values)

    def enum(self, group: str, code: str) -> str:
        """Label of a coded value (``symptom``, ``verdict``...).

        Codes come from data written by other modules and may be newer than the catalogue; an
        unknown code is shown as itself rather than failing a report that is otherwise complete.
        """
        return self.messages.get(f"{group}.{code}", code)


@cache
def catalogue(locale: str = DEFAULT_LOCALE) -> Catalogue:
    locales = available_locales()
    if locale not in locales:
        raise UnknownLocaleError(locale, locales)
    path = resources.files("results.reports") / "locale" / f"{locale}.json"
    messages = json.loads(path.read_text(encoding="utf-8"))
    return Catalogue(locale, {str(k): str(v) for k, v in messages.items()})
