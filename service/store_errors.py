"""The store's refusals (``results.errors.ValidationError``: problem and fix) in a page's language.

The store words its refusals in English for the CLI, the API's JSON and the logs. A page shows
them next to the field; where the service catalogue holds the refusal's English wording as a
``store_error.*`` template, the page reads the values back from the text (the reading the
procedures' sentences get, ``procedures.phrases.read_with``) and writes the sentence from its own
language's template. A refusal no template fits is shown as the store wrote it.
"""

from __future__ import annotations

from functools import cache

from procedures.phrases import read_with
from service.i18n import Translator, service_messages

PREFIX = "store_error."


@cache
def _templates() -> tuple[tuple[str, str], ...]:
    """(key, English template), the longest literal first so the most specific one wins."""
    english = service_messages("en")
    keys = [k for k in english if k.startswith(PREFIX)]
    keys.sort(key=lambda k: len(english[k].replace("{", "").replace("}", "")), reverse=True)
    return tuple((k, english[k]) for k in keys)


def store_error_text(text: str, t: Translator) -> str:
    """``text`` (a refusal's ``problem; fix``) in ``t``'s language; as stored if none fits."""
    if t.locale == "en":
        return text
    for key, template in _templates():
        values = read_with(template, text)
        if values is not None:
            return t(key, **values)
    return text
