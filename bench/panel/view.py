"""The terminal's live view, told to the panel too: one run, watched in both places.

``PanelView`` is a ``bench.live.LiveView``: the terminal that started ``packbench station serve``
keeps printing the run as ``packbench run`` does, and every event is also published on the
panel's hub with the same data the terminal line is made of (``bench.live.timing`` and
``shown_value``), so the two never disagree. Progress events carry ``measured_at``, the wall
time the step reported its reading, from which the panel's latency is measured. Each event
with words also carries them in every language a page may show (``shown``, ``bench.panel.words``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from bench.cli_words import ENGLISH
from bench.live import SHOWN_ELSEWHERE, LiveView, TableRow, shown_value, timing
from bench.panel.hub import Publisher
from bench.panel.i18n import LOCALES
from bench.panel.words import detail_words, finding, sentence, step_words
from procedures.records import RunOutcome, StepRecord, Verdict


def plotted(value: object) -> tuple[float | None, str]:
    """(number, unit) of a live value, for the plot; ``None`` for text such as the mode."""
    if hasattr(value, "magnitude") and hasattr(value, "units"):
        try:
            return float(value.magnitude), format(value.units, "~P")
        except (TypeError, ValueError):
            return None, ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value), ""
    return None, ""


def live_values(values: Mapping[str, object]) -> dict[str, dict[str, Any]]:
    """Each live value as text (as the terminal shows it) and as a number with its unit."""
    shown: dict[str, dict[str, Any]] = {}
    for key, value in values.items():
        if key in SHOWN_ELSEWHERE:
            continue
        number, unit = plotted(value)
        shown[key] = {"text": shown_value(key, value), "number": number, "unit": unit}
    return shown


class PanelView(LiveView):
    """The terminal view, with each event also published to the panel's watchers."""

    def __init__(
        self,
        hub: Publisher,
        out: TextIO | None = None,
        *,
        tty: bool | None = None,
        locale: str = ENGLISH,
    ) -> None:
        super().__init__(out, tty=tty, locale=locale)
        self.hub = hub
        self._own_lines = 0

    def line(self, text: str) -> None:
        super().line(text)
        if not self._own_lines:  # a notice of the run's own (safe start's warning), not a redraw
            shown = {locale: {"text": sentence(text, locale)} for locale in LOCALES}
            self.hub.publish("notice", text=text, shown=shown)

    def unit_started(self, serial: str, detail: str = "") -> None:
        self._quietly(super().unit_started, serial, detail)
        self.hub.publish("unit_started", unit=serial, detail=detail, shown=detail_words(detail))

    def step_started(self, step: str) -> None:
        self.hub.publish("step_started", step=step, shown=step_words(step))
        self._quietly(super().step_started, step)

    def progress(self, step: str, fraction: float | None, values: Mapping[str, object]) -> None:
        measured_at = time.time()
        clock = timing(fraction, values)
        self.hub.publish(
            "progress",
            step=step,
            fraction=fraction,
            elapsed_s=clock.elapsed_s,
            limit_s=clock.limit_s,
            to_go_s=clock.to_go_s,
            values=live_values(values),
            measured_at=measured_at,
            shown=step_words(step),
        )
        self._quietly(super().progress, step, fraction, values)

    def step_finished(self, record: StepRecord) -> None:
        self._quietly(super().step_finished, record)
        found = [m for m in record.measurements if m.verdict in (Verdict.FAIL, Verdict.SKIPPED)]
        shown = step_words(record.name)
        for locale, words in shown.items():
            words["message"] = sentence(record.message, locale)
            words["findings"] = [finding(m, locale) for m in found]
        self.hub.publish(
            "step_finished",
            step=record.name,
            verdict=record.verdict.name.lower(),
            message=record.message,
            seconds=(record.ended - record.started).total_seconds(),
            findings=[{"name": m.name, "comparison": m.comparison} for m in found],
            shown=shown,
        )

    def run_finished(self, outcome: RunOutcome) -> None:
        self._quietly(super().run_finished, outcome)
        self.hub.publish(
            "run_finished",
            verdict=outcome.verdict.name.lower(),
            message=outcome.message,
            conclusions=[{"kind": c.kind, "value": c.value} for c in outcome.conclusions],
            shown={locale: {"message": sentence(outcome.message, locale)} for locale in LOCALES},
        )

    def table(self, rows: Sequence[TableRow]) -> None:
        """The verdict table stays at the terminal: the panel shows each run's own result."""
        self._quietly(super().table, rows)

    def _quietly(self, method: Any, *args: Any) -> None:
        """Call the terminal's own method; its lines are not published a second time."""
        self._own_lines += 1
        try:
            method(*args)
        finally:
            self._own_lines -= 1
