"""What the store says to a person in a reader's language, for the pages and the command line
alike: its refusals (problem and fix) and its ``Message`` sentences (closure blockers).

The store words its refusals in English (the API's JSON, the logs and an English station's
command line read them as written). Where ``results/store_locale`` holds a refusal's English
wording as a ``store_error.*`` template, the values are read back from the text (the reading the
procedures' sentences get, ``procedures.phrases.read_with``) and the sentence is written from the
other language's template. A refusal no template fits is shown as the store wrote it. The
wording lives here, below both the service and the bench, so a page and a command say one
refusal in the same words.
"""

from __future__ import annotations

from functools import cache

from procedures.phrases import catalogue_file, read_with
from results.errors import ResultsError, ValidationError
from results.messages import CODE_SEPARATOR, Message
from results.reports.labels import catalogue

PREFIX = "store_error."
ENGLISH = "en"


@cache
def store_messages(locale: str) -> dict[str, str]:
    """The store's catalogue of ``locale`` (English for a language it has none of)."""
    return catalogue_file("results", "store_locale", locale)


@cache
def _templates() -> tuple[tuple[str, str], ...]:
    """(key, English template), the longest literal first so the most specific one wins."""
    english = store_messages(ENGLISH)
    keys = [k for k in english if k.startswith(PREFIX)]
    keys.sort(key=lambda k: len(english[k].replace("{", "").replace("}", "")), reverse=True)
    return tuple((k, english[k]) for k in keys)


def store_error_text(text: str, locale: str) -> str:
    """``text`` (a refusal's ``problem; fix``) in ``locale``; as stored if no template fits."""
    if locale == ENGLISH:
        return text
    for key, template in _templates():
        values = read_with(template, text)
        if values is not None:
            return store_messages(locale)[key].format(**values)
    return text


def refusal_text(refused: ResultsError, locale: str, *, field: str | None = None) -> str:
    """A whole refusal as one line (``field: problem; fix``) in ``locale``; ``field`` replaces
    a ``ValidationError``'s own field name (the command line names its option instead). The
    English line is the exception's own text with the field so replaced."""
    if not isinstance(refused, ValidationError):
        return store_error_text(str(refused), locale)
    said = store_error_text(f"{refused.problem}; {refused.fix}", locale)
    return f"{refused.field if field is None else field}: {said}"


def message_text(message: Message, locale: str) -> str:
    """A store message in ``locale``: its coded values (codes joined by ``CODE_SEPARATOR``
    included) shown by their labels, a nested message said the same way."""
    values = {
        name: message_text(value, locale) if isinstance(value, Message) else value
        for name, value in message.values.items()
    }
    joiner = "、" if locale == "zh_CN" else CODE_SEPARATOR
    labels = catalogue(locale)
    for name, group in message.codes.items():
        codes = str(values[name]).split(CODE_SEPARATOR)
        values[name] = joiner.join(labels.enum(group, code) for code in codes)
    text = store_messages(locale)[message.key]
    return text.format(**values) if values else text
