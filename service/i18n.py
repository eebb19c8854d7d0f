"""Page labels in English and Simplified Chinese.

The report catalogues (``results/reports/locale``) already hold every domain label (symptoms,
verdicts, column heads); the service's own catalogues (``service/locale``) add only what the
pages need beyond them (navigation, buttons, SLA states). A key is looked up in the service
catalogue first and then in the report catalogue; a key present in both is refused at load, so a
label is never written twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal, get_args

from results.messages import Message
from results.reports.labels import Catalogue, catalogue
from results.reports.names import step_label
from results.reports.recorded import said
from results.store_words import message_text

Locale = Literal["en", "zh_CN"]
"""A language the pages and reports are written in (a query parameter's type: 422 otherwise)."""
LOCALES: tuple[Locale, ...] = get_args(Locale)
LANG_COOKIE = "packbench_lang"


class DuplicateLabelError(ValueError):
    """A service catalogue redefines a report label; delete the key from the service file."""


@cache
def service_messages(locale: str) -> dict[str, str]:
    path = resources.files("service") / "locale" / f"{locale}.json"
    messages: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    duplicated = sorted(set(messages) & set(catalogue(locale).messages))
    if duplicated:
        raise DuplicateLabelError(
            f"service/locale/{locale}.json redefines report labels {duplicated}; "
            "remove them there (the report catalogue is the one place for them)"
        )
    return messages


@dataclass(frozen=True)
class Translator:
    locale: str
    own: dict[str, str]
    report: Catalogue

    def __call__(self, key: str, **values: object) -> str:
        text = self.own[key] if key in self.own else self.report[key]
        return text.format(**values) if values else text

    def message(self, message: Message) -> str:
        """A store message in this language (``results.store_words``, the command line's too)."""
        return message_text(message, self.locale)

    def said(self, text: str | None) -> str:
        """A sentence a procedure recorded (explanation, advice, skip reason, step message) in
        this language: read back to its catalogue key (``procedures.phrases``); as stored when
        it is none of the catalogue's; the step and measurement codes and the categories it
        quotes by their labels (``results.reports.recorded``)."""
        return said(text or "", self.locale)

    def conclusion(self, kind: str, value: str) -> str:
        """A diagnosis conclusion's value as the report shows it: a coded or English-worded
        category by its label, a recorded sentence (advice) read back in this language."""
        label = self.report.conclusion(kind, value)
        return self.said(label) if label == value else label

    def step(self, name: str) -> str:
        """A procedure step by its label in this language (its recorded name if it has none)."""
        return step_label(self.report, name)

    def enum(self, group: str, code: str | None) -> str:

        if code is None:
            return ""
        key = f"{group}.{code}"
        return self.own.get(key) or self.report.enum(group, code)


def translator(locale: str) -> Translator:
    if locale not in LOCALES:
        locale = LOCALES[0]
    return Translator(locale, service_messages(locale), catalogue(locale))


def pick_locale(query: str | None, cookie: str | None, default: str) -> str:
    for candidate in (query, cookie, default):
        if candidate in LOCALES:
            return candidate
    return LOCALES[0]
