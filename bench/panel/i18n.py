"""The panel's words in English and Simplified Chinese.

The panel's own labels live in ``bench/panel/locale/<locale>.json``; the domain's coded values
(verdicts, root causes, dispositions) come from the report catalogues
(``results/reports/locale``), so a verdict reads the same on the panel, in the QA pages and in
the customer's report. A key present in both places is refused at load, as the service does.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Literal, get_args

from results.reports.labels import catalogue

Locale = Literal["en", "zh_CN"]
LOCALES: tuple[str, ...] = get_args(Locale)
DOMAIN_GROUPS = ("verdict.", "root_cause.", "disposition.")
"""Report catalogue groups the page shows (coded values the run publishes)."""


class DuplicateLabelError(ValueError):
    """The panel catalogue redefines a report label; the report catalogue is the one place."""


@cache
def panel_messages(locale: str) -> dict[str, str]:
    path = resources.files("bench.panel") / "locale" / f"{locale}.json"
    messages: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    duplicated = sorted(set(messages) & set(catalogue(locale).messages))
    if duplicated:
        raise DuplicateLabelError(
            f"bench/panel/locale/{locale}.json redefines report labels {duplicated}"
        )
    return messages


def pick_locale(*candidates: str | None) -> str:
    """The first supported language among ``candidates`` (query, cookie, default), else en."""
    return next((c for c in candidates if c in LOCALES), LOCALES[0])


@cache
def labels(locale: str) -> dict[str, str]:
    """Every label the page uses, in ``locale``: the panel's and the domain's coded values."""
    domain = {
        key: text
        for key, text in catalogue(locale).messages.items()
        if key.startswith(DOMAIN_GROUPS)
    }
    return domain | panel_messages(locale)
