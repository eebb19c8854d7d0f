"""The store's refusals (``results.errors.ValidationError``: problem and fix) in a page's language.

The wording is ``results.store_words``' (shared with the command line, which may not import
the service); this keeps the pages' call, in the page's ``Translator``.
"""

from __future__ import annotations

from results.store_words import store_error_text as _in_language
from service.i18n import Translator


def store_error_text(text: str, t: Translator) -> str:
    """``text`` (a refusal's ``problem; fix``) in ``t``'s language; as stored if none fits."""
    return _in_language(text, t.locale)
