"""What the operator sees while a run goes on: steps, a progress bar, and the verdict table.

On a terminal the long steps (the recharge) redraw one line in place: a bar, elapsed and
remaining time, voltage, current and regulation mode. Anywhere else (CI logs, pipes) the same
information is printed as plain lines, a few per step, so a log stays readable and diffable.
Everything here is display only: it never decides anything and never raises into the run.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TextIO

from procedures.records import RunOutcome, StepRecord, Verdict

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


def _value_text(key: str, value: object) -> str:
    """``voltage 4.050 V``: a bare ``4.050 V 2.600 A cc`` leaves the operator guessing."""
    return f"{key.replace('_', ' ')} {shown_value(key, value)}"


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


def progress_text(fraction: float | None, values: Mapping[str, object]) -> str:
    """`` 25% elapsed 1:00:00 (time limit 4:00:00)  voltage 4.050 V  mode CC``.

    With a time limit the fraction is of that limit, not of the charge: a recharge usually ends
    well before it, so the limit is shown as such rather than as a "remaining" time."""
    parts: list[str] = []
    if fraction is not None:
        parts.append(f"{fraction * 100:3.0f}%")
    clock_of = timing(fraction, values)
    if clock_of.elapsed_s is not None:
        clock = f"elapsed {clock_text(clock_of.elapsed_s)}"
        if clock_of.limit_s is not None:
            clock += f" (time limit {clock_text(clock_of.limit_s)})"
        elif clock_of.to_go_s is not None:
            clock += f" (about {clock_text(clock_of.to_go_s)} to go)"
        parts.append(clock)
    head = " ".join(parts)
    tail = [_value_text(k, v) for k, v in values.items() if k not in SHOWN_ELSEWHERE]
    return "  ".join([head, *tail]) if head else "  ".join(tail)


def fit(text: str, width: int) -> str:
    """One screen line: a redrawn line that wraps leaves its first half behind on every redraw."""
    return text if len(text) < width else text[: max(0, width - 2)] + "~"


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


@dataclass(frozen=True)
class TableRow:
    unit: str
    verdict: str
    root_cause: str
    symptom: str
    disposition: str
    run_id: int | None
    fault: str = ""


class LiveView:
    """A ``procedures.context.ProgressListener`` plus the run's headline and verdict lines."""

    def __init__(self, out: TextIO | None = None, *, tty: bool | None = None) -> None:
        self.out = out or sys.stdout
        self.tty = self.out.isatty() if tty is None else tty
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
        self.clear()
        self._write(text + "\n")

    def unit_started(self, serial: str, detail: str = "") -> None:
        self.line(f"== unit {serial}" + (f"  ({detail})" if detail else ""))

    # ProgressListener
    def step_started(self, step: str) -> None:
        self._quarter[step] = -1
        if self.tty:
            self.clear()
            self._write(f"  .. {step}")
            self._line_open = True
        else:
            self.line(f"  .. {step}")

    def progress(self, step: str, fraction: float | None, values: Mapping[str, object]) -> None:
        text = progress_text(fraction, values)
        if self.tty:
            now = time.monotonic()
            if now - self._last_draw < REDRAW_S and fraction not in (None, 1.0):
                return
            self._last_draw = now
            width = shutil.get_terminal_size().columns
            self._write("\r\x1b[2K" + fit(f"  .. {step} {bar(fraction)} {text}", width))
            self._line_open = True
            return
        quarter = int((fraction or 0.0) * PLAIN_STEPS)
        if quarter > self._quarter.get(step, -1):
            self._quarter[step] = quarter
            self.line(f"     {step} {text}")

    # recorder-side events
    def step_finished(self, record: StepRecord) -> None:
        took = (record.ended - record.started).total_seconds()
        mark = VERDICT_MARK[record.verdict]
        message = f"  {record.message}" if record.message else ""
        skipped = [m for m in record.measurements if m.verdict is Verdict.SKIPPED]
        counted = f"{len(record.measurements) - len(skipped)} values"
        if skipped:
            counted += f", {len(skipped)} not measured"
        self.line(f"  {mark} {record.name} ({counted}, {took:.2f} s){message}")
        for m in record.measurements:  # a failed or missing reading says why, where it shows
            if m.verdict is Verdict.FAIL or (
                m.verdict is Verdict.SKIPPED and m.name not in record.message
            ):
                self.line(f"       {m.name}: {m.comparison}")

    def run_finished(self, outcome: RunOutcome) -> None:
        self.line(
            f"  => {outcome.verdict.name.lower()}"
            + (f": {outcome.message}" if outcome.message else "")
        )
        for conclusion in outcome.conclusions:
            if conclusion.kind in ("root_cause", "contributing", "symptom", "disposition"):
                self.line(f"     {conclusion.kind}: {conclusion.value}")

    def table(self, rows: Sequence[TableRow]) -> None:
        """The verdict table at the end: one line per unit."""
        headers = ["unit", "fault (sim)", "verdict", "root cause", "symptom", "disposition", "run"]
        cells = [
            [
                r.unit,
                r.fault,
                r.verdict,
                r.root_cause,
                r.symptom,
                r.disposition,
                str(r.run_id or ""),
            ]
            for r in rows
        ]
        if not rows:
            self.line("  (no units yet: log them with `packbench unit add <complaint> <serial>`)")
            return
        if not any(r.fault for r in rows):
            headers.pop(1)
            cells = [c[:1] + c[2:] for c in cells]
        widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
        rule = "+".join("-" * (w + 2) for w in widths)
        self.line("")
        self.line(" " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
        self.line(rule)
        for row in cells:
            self.line(" " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
