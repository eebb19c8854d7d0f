"""What a run publishes, in every language a page may show it in.

Pages in English and in Chinese may watch the same run, so each event carries its words in both
(``shown[locale]``), as a question does (``bench.panel.prompts``), and each page draws its own.
The run itself records English (step and measurement codes, the procedures' sentences, the
engine's comparisons); the words come from the catalogues that write them in the pages and the
reports: a step or a measurement by its label (``results.reports.names``), a recorded sentence
read back through the procedures' catalogue (``results.reports.recorded.said``), a comparison as
the report writes it (``results.reports.comparison.localise_quoted``). English shows the record
as it is, so an English page reads what the terminal prints.
"""

from __future__ import annotations

from typing import Any

from bench.cli_words import error_text
from bench.panel.i18n import LOCALES, panel_messages
from procedures.phrases import read_with
from procedures.records import MeasurementRecord
from results.errors import ResultsError
from results.reports.comparison import localise_quoted
from results.reports.labels import catalogue
from results.reports.names import measurement_label, step_label, value_label
from results.reports.recorded import said
from results.store_words import refusal_text

ENGLISH = LOCALES[0]


def step_words(step: str) -> dict[str, dict[str, Any]]:
    """A step's label in each language."""
    return {locale: {"step": step_label(catalogue(locale), step)} for locale in LOCALES}


def sentence(text: str, locale: str) -> str:
    """A sentence the run recorded (a step's or the run's message, a notice), in ``locale``."""
    return said(text, locale) if text else ""


def comparison(name: str, text: str, locale: str) -> str:
    """How a reading was judged (or why it was skipped), in ``locale``."""
    if locale == ENGLISH or not text:
        return text
    t = catalogue(locale)
    shown = localise_quoted(text, t, lambda category: value_label(t, name, category))
    return shown if shown != text else said(text, locale)


def finding(m: MeasurementRecord, locale: str) -> dict[str, str]:
    """A failed or skipped reading, named by its label, with its comparison."""
    t = catalogue(locale)
    return {
        "name": measurement_label(t, m.name),
        "comparison": comparison(m.name, m.comparison, locale),
    }


def refusal(refused: Exception, locale: str) -> str:
    """Why a unit did not start (unknown complaint or unit, a store refusal), as the command
    line says it on a station of ``locale`` (``bench.cli_words``, ``results.store_words``)."""
    if isinstance(refused, ResultsError):
        return refusal_text(refused, locale)
    return error_text(str(refused), locale)


def refusal_words(refused: Exception) -> dict[str, dict[str, str]]:
    """``refusal`` in each language."""
    return {locale: {"refused": refusal(refused, locale)} for locale in LOCALES}


def detail_words(detail: str) -> dict[str, dict[str, str]]:
    """A unit's detail line (``simulated fault <name>`` or the pack's model) in each language;
    the fault's name is the scenario's, as typed (``--sim-fault``)."""
    fault = read_with(panel_messages(ENGLISH)["panel.simulated_fault"], detail)
    return {
        locale: {"detail": panel_messages(locale)["panel.simulated_fault"].format(**fault)}
        if fault is not None
        else {"detail": detail}
        for locale in LOCALES
    }
