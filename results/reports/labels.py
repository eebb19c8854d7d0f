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

    def conclusion(self, kind: str, value: str) -> str:
        """Label of a diagnosis conclusion's value in this catalogue's language.

        The diagnosis rules (procedures) state symptoms and cause categories in the manual's
        English words, not as the store's codes; they are matched to a code through the English
        catalogue so that a Chinese report does not show English conclusions.
        """
        group = CONCLUSION_GROUPS.get(kind, kind)
        key = f"{group}.{value}"
        if key in self.messages:
            return self.messages[key]
        code = _code_for_english(group, value)
        return self.messages.get(f"{group}.{code}", value) if code else value


#: Conclusion kinds whose values are labelled from another catalogue group.
CONCLUSION_GROUPS = {"cause_category": "cause", "contributing": "root_cause"}

#: The rules' wording where it differs from the manual's label of the same category.
_RULE_WORDING = {"customer storage or handling": "customer_handling"}


def _normalised(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


@cache
def _code_for_english(group: str, text: str) -> str | None:
    if text in _RULE_WORDING:
        return _RULE_WORDING[text]
    wanted = _normalised(text)
    prefix = f"{group}."
    for key, label in catalogue(DEFAULT_LOCALE).messages.items():
        if key.startswith(prefix) and _normalised(label) == wanted:
            return key.removeprefix(prefix)
    return None


@cache
def catalogue(locale: str = DEFAULT_LOCALE) -> Catalogue:
    locales = available_locales()
    if locale not in locales:
        raise UnknownLocaleError(locale, locales)
    path = resources.files("results.reports") / "locale" / f"{locale}.json"
    messages = json.loads(path.read_text(encoding="utf-8"))
    return Catalogue(locale, {str(k): str(v) for k, v in messages.items()})
