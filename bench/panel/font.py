"""The shipped CJK font for the panel, cut to every character its Chinese words can show.

A bench PC or a phone at the bench may have no CJK font: the Chinese panel would then show empty
boxes. The page's words arrive over the event stream long after the page, so the font cannot be
cut to the page's text as a report's is; it is cut to the panel's Chinese catalogue, the report
catalogue (coded values, step and measurement names, comparisons: ``bench.panel.words`` writes a
run's events with it), the questions' words and the procedures' phrases instead: every Chinese
sentence the panel shows is built from those. Served from the
panel itself (``/font/cjk.woff``), because the page's content policy loads nothing from
elsewhere, not even a ``data:`` font.
"""

from __future__ import annotations

from functools import cache

from bench.cli_words import cli_messages
from bench.panel.i18n import labels
from procedures import phrases
from procedures.questions import prompt_messages
from results.reports.labels import catalogue
from results.reports.webfont import FAMILY, woff_for
from results.store_words import store_messages

ROUTE = "/font/cjk.woff"
CSS = f'@font-face{{font-family:"{FAMILY}";src:url("{ROUTE}") format("woff")}}'
"""The page's ``@font-face`` rule; ``FAMILY`` is named in its ``font-family`` lists."""


def chinese_words() -> str:
    """Every word of the panel's zh_CN catalogues, joined."""
    catalogues = (
        labels("zh_CN"),
        catalogue("zh_CN").messages,
        prompt_messages("zh_CN"),
        phrases.messages("zh_CN"),
        cli_messages("zh_CN"),  # a refused start or typed answer, as the command line says it
        store_messages("zh_CN"),
    )
    return "".join(text for catalogue in catalogues for text in catalogue.values())


@cache
def panel_font() -> bytes:
    return woff_for(chinese_words())
