"""What the operator sees while a run goes on: steps, a progress bar, and the verdict table.

On a terminal the long steps (the recharge) redraw one line in place: a bar, elapsed and
remaining time, voltage, current and regulation mode. Anywhere else (CI logs, pipes) the same
information is printed as plain lines, a few per step, so a log stays readable and diffable.
Everything here is display only: it never decides anything and never raises into the run.

The words are the station's (``[station] language``, ``bench.cli_words``): the view's own in the
command line's catalogue (``live.*``), coded values (verdicts, steps, measurements, conclusions)
by the report catalogue's labels and recorded sentences read back through the procedures'
catalogue, as the operator panel shows them (``bench.panel.words``). The run's events stay
English codes and sentences (the panel and the store read them); only what is written to the
terminal is said in the station's language. English prints the codes and sentences as recorded.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TextIO

from bench.cli_words import ENGLISH, ENGLISH_WORDS, Words, columns, padded, read_back
from bench.panel.words import comparison, sentence
from procedures.records import RunOutcome, StepRecord, Verdict
from results.reports.labels import catalogue
from results.reports.names import measurement_label, step_label

BAR_WIDTH = 24
PLAIN_STEPS = 4
"""Plain output prints a progress line each time a step passes another quarter."""
REDRAW_S = 0.05


def clock_text(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def shown_value(key: str, value: object) -> str:
    """``4.050 V``, ``CC``: one live value as the operator reads it (terminal and panel)."""
    if isinstance(value, float):
        return f"{value:.3g}"
    if hasattr(value, "magnitude") and hasattr(value, "units"):
        return f"{value:.3f~P}"
    if key == "mode":
        return str(value).upper()
    return str(value)


VALUE_PREFIX = "live.value."
"""A live value's word (``live.value.voltage``); a key without one is shown as written."""


def _value_text(key: str, value: object, say: Words = ENGLISH_WORDS) -> str:
    """``voltage 4.050 V``: a bare ``4.050 V 2.600 A cc`` leaves the operator guessing."""
    return f"{say.label(VALUE_PREFIX, key, key.replace('_', ' '))} {shown_value(key, value)}"


@dataclass(frozen=True)
class Timing:
    """A step's clock as the operator is shown it (terminal line and operator panel alike)."""

    elapsed_s: float | None
    limit_s: float | None
    """The step's time limit: with one, the fraction is of the limit, not of the work."""
    to_go_s: float | None
    """Estimated time left, from the fraction done (only without a time limit)."""


def timing(fraction: float | None, values: Mapping[str, object]) -> Timing:
    """Elapsed, time limit and estimate to go, from a step's progress values."""
    elapsed = values.get("elapsed_s")
    limit = values.get("limit_s")
    if not isinstance(elapsed, int | float):
        return Timing(None, None, None)
    if isinstance(limit, int | float):
        return Timing(float(elapsed), float(limit), None)
    to_go = elapsed * (1 - fraction) / fraction if fraction else None
    return Timing(float(elapsed), None, to_go)


SHOWN_ELSEWHERE = ("elapsed_s", "limit_s")
"""Progress values shown by ``timing`` rather than as a value of their own."""


def progress_text(
    fraction: float | None, values: Mapping[str, object], say: Words = ENGLISH_WORDS
) -> str:
    """`` 25% elapsed 1:00:00 (time limit 4:00:00)  voltage 4.050 V  mode CC``.

    With a time limit the fraction is of that limit, not of the charge: a recharge usually ends
    well before it, so the limit is shown as such rather than as a "remaining" time."""
    parts: list[str] = []
    if fraction is not None:
        parts.append(f"{fraction * 100:3.0f}%")
    clock_of = timing(fraction, values)
    if clock_of.elapsed_s is not None:
        elapsed = clock_text(clock_of.elapsed_s)
        if clock_of.limit_s is not None:
            clock = say("live.elapsed_limit", elapsed=elapsed, limit=clock_text(clock_of.limit_s))
        elif clock_of.to_go_s is not None:
            clock = say("live.elapsed_to_go", elapsed=elapsed, to_go=clock_text(clock_of.to_go_s))
        else:
            clock = say("live.elapsed", elapsed=elapsed)
        parts.append(clock)
    head = " ".join(parts)
    tail = [_value_text(k, v, say) for k, v in values.items() if k not in SHOWN_ELSEWHERE]
    return "  ".join([head, *tail]) if head else "  ".join(tail)


def fit(text: str, width: int) -> str:
    """One screen line: a redrawn line that wraps leaves its first half behind on every redraw
    (counted in terminal columns: a Chinese character takes two)."""
    if columns(text) < width:
        return text
    kept = ""
    for character in text:
        if columns(kept + character) > width - 2:
            break
        kept += character
    return kept + "~"


def bar(fraction: float | None, width: int = BAR_WIDTH) -> str:
    if fraction is None:
        return "[" + "?" * width + "]"
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "[" + "#" * filled + "-" * (width - filled) + "]"


VERDICT_MARK = {
    Verdict.PASS: "ok  ",
    Verdict.MARGINAL: "warn",
    Verdict.INCOMPLETE: "INC ",
    Verdict.FAIL: "FAIL",
    Verdict.ERROR: "ERR ",
    Verdict.ABORTED: "ABRT",
    Verdict.SKIPPED: "skip",
}


NOTICE_PREFIX = "live.notice."
"""Templates of the English notices a run gives the view (``LiveView.line``)."""
DETAIL_PREFIX = "live.detail."
"""Templates of a unit's English detail (``LiveView.unit_started``)."""
COLUMNS = ("unit", "fault", "verdict", "root_cause", "symptom", "disposition", "run")
"""The verdict table's columns (``live.column.*``); ``fault`` only for a simulated bench."""


@dataclass(frozen=True)
class TableRow:
    unit: str
    verdict: str
    root_cause: str
    symptom: str
    disposition: str
    run_id: int | None
    fault: str = ""
    expected: str = ""
    """The root cause the simulated fault should be diagnosed as, when the diagnosis differs
    (``packbench demo``)."""


class LiveView:
    """A ``procedures.context.ProgressListener`` plus the run's headline and verdict lines."""

    def __init__(
        self, out: TextIO | None = None, *, tty: bool | None = None, locale: str = ENGLISH
    ) -> None:
        self.out = out or sys.stdout
        self.tty = self.out.isatty() if tty is None else tty
        self.say = Words(locale)
        self._line_open = False
        self._last_draw = 0.0
        self._quarter: dict[str, int] = {}

    def _write(self, text: str) -> None:
        try:
            self.out.write(text)
            self.out.flush()
        except (OSError, ValueError):  # a closed pipe must not turn into a run error
            pass

    def clear(self) -> None:
        """End an in-place progress line (before a prompt or a normal line)."""
        if self._line_open:
            self._write("\r\x1b[2K")
            self._line_open = False

    def line(self, text: str) -> None:
        """A notice of the run's own, given in English (safe start's warning), in the station's
        language (``live.notice.*``; a text no template reads as given)."""
        self._line(read_back(text, self.say.locale, NOTICE_PREFIX))

    def _line(self, text: str) -> None:
        """A line of the view's own, already in the station's language."""
        self.clear()
        self._write(text + "\n")

    @property
    def _english(self) -> bool:
        return self.say.locale == ENGLISH

    def _step(self, step: str) -> str:
        return step if self._english else step_label(catalogue(self.say.locale), step)

    def _sentence(self, text: str) -> str:
        return text if self._english else sentence(text, self.say.locale)

    def unit_started(self, serial: str, detail: str = "") -> None:
        """``detail``: the pack's model or ``simulated fault <name>`` (English, as the panel's
        event carries it)."""
        if not detail:
            self._line(self.say("live.unit", serial=serial))
            return
        shown = read_back(detail, self.say.locale, DETAIL_PREFIX)
        self._line(self.say("live.unit_detail", serial=serial, detail=shown))

    # ProgressListener
    def step_started(self, step: str) -> None:
        self._quarter[step] = -1
        if self.tty:
            self.clear()
            self._write(f"  .. {self._step(step)}")
            self._line_open = True
        else:
            self._line(f"  .. {self._step(step)}")

    def progress(self, step: str, fraction: float | None, values: Mapping[str, object]) -> None:
        text = progress_text(fraction, values, self.say)
        shown_step = self._step(step)
        if self.tty:
            now = time.monotonic()
            if now - self._last_draw < REDRAW_S and fraction not in (None, 1.0):
                return
            self._last_draw = now
            width = shutil.get_terminal_size().columns
            self._write("\r\x1b[2K" + fit(f"  .. {shown_step} {bar(fraction)} {text}", width))
            self._line_open = True
            return
        quarter = int((fraction or 0.0) * PLAIN_STEPS)
        if quarter > self._quarter.get(step, -1):
            self._quarter[step] = quarter
            self._line(f"     {shown_step} {text}")

    # recorder-side events
    def step_finished(self, record: StepRecord) -> None:
        took = (record.ended - record.started).total_seconds()
        mark = self._mark(record.verdict)
        message = f"  {self._sentence(record.message)}" if record.message else ""
        skipped = [m for m in record.measurements if m.verdict is Verdict.SKIPPED]
        measured = len(record.measurements) - len(skipped)
        counted = (
            self.say("live.values_skipped", count=measured, skipped=len(skipped))
            if skipped
            else self.say("live.values", count=measured)
        )
        self._line(f"  {mark} {self._step(record.name)} ({counted}, {took:.2f} s){message}")
        for m in record.measurements:  # a failed or missing reading says why, where it shows
            if m.verdict is Verdict.FAIL or (
                m.verdict is Verdict.SKIPPED and m.name not in record.message
            ):
                self._line(f"       {self._finding(m.name, m.comparison)}")

    def _mark(self, verdict: Verdict) -> str:
        """A step's verdict in four columns (``ok  ``, ``FAIL``); its label in another
        language."""
        if self._english:
            return VERDICT_MARK[verdict]
        return padded(self.say.enum("verdict", verdict.name.lower()), 4)

    def _finding(self, name: str, compared: str) -> str:
        if self._english:
            return f"{name}: {compared}"
        label = measurement_label(catalogue(self.say.locale), name)
        return f"{label}: {comparison(name, compared, self.say.locale)}"

    def run_finished(self, outcome: RunOutcome) -> None:
        verdict = self.say.enum("verdict", outcome.verdict.name.lower())
        message = self._sentence(outcome.message)
        self._line(f"  => {verdict}" + (f": {message}" if outcome.message else ""))
        for conclusion in outcome.conclusions:
            if conclusion.kind in ("root_cause", "contributing", "symptom", "disposition"):
                kind = self.say.enum("conclusion", conclusion.kind)
                self._line(f"     {kind}: {self.say.conclusion(conclusion.kind, conclusion.value)}")

    def _cells(self, row: TableRow) -> list[str]:
        """A row's cells in the station's language: coded values by their labels."""
        root_cause = self.say.conclusion("root_cause", row.root_cause)
        if row.expected:
            expected = self.say.conclusion("root_cause", row.expected)
            root_cause = self.say("live.expected", found=root_cause, expected=expected)
        verdict = row.verdict if self._english else self.say.enum("verdict", row.verdict)
        return [
            row.unit,
            row.fault,
            verdict,
            root_cause,
            self.say.conclusion("symptom", row.symptom),
            self.say.conclusion("disposition", row.disposition),
            str(row.run_id or ""),
        ]

    def table(self, rows: Sequence[TableRow]) -> None:
        """The verdict table at the end: one line per unit."""
        headers = [self.say(f"live.column.{column}") for column in COLUMNS]
        cells = [self._cells(r) for r in rows]
        if not rows:
            self._line(self.say("live.no_units"))
            return
        if not any(r.fault for r in rows):
            headers.pop(1)
            cells = [c[:1] + c[2:] for c in cells]
        widths = [max(columns(h), *(columns(c[i]) for c in cells)) for i, h in enumerate(headers)]
        rule = "+".join("-" * (w + 2) for w in widths)
        self._line("")
        self._line(" " + " | ".join(padded(h, w) for h, w in zip(headers, widths, strict=True)))
        self._line(rule)
        for row in cells:
            self._line(" " + " | ".join(padded(c, w) for c, w in zip(row, widths, strict=True)))
