"""Bar charts as server-rendered SVG: no JavaScript library, no image files.

Each bar carries its number in ``data-value`` (and prints it), so the page's table beside the
chart and the chart can be checked against each other. Text is inline SVG inside the page and
takes the page's font (the shipped CJK font included), so Chinese labels render everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 560
LABEL_W = 200
ROW_H = 22
BAR_H = 16
PALETTE = ("#1f5fa8", "#d9822b", "#3a9d5d", "#b00020", "#7b5ea7", "#6b7785")


@dataclass(frozen=True)
class Segment:
    """One part of a bar: its series (legend name) and value."""

    series: str
    value: int


@dataclass(frozen=True)
class Bar:
    label: str
    segments: tuple[Segment, ...]
    cumulative_percent: float | None = None
    """Drawn as a marker on the Pareto's cumulative scale (0-100 % across the plot)."""

    @property
    def total(self) -> int:
        return sum(s.value for s in self.segments)


def _text_width(text: str) -> int:
    """A rough width at 12 px: CJK characters are about twice as wide as Latin ones."""
    return sum(12 if ord(ch) >= 0x2E80 else 7 for ch in text)


def _attr(text: str) -> str:
    return escape(text, quote=True)


def bar_chart(chart_id: str, title: str, bars: Sequence[Bar], series: Sequence[str]) -> str:
    """Horizontal (stacked) bars, one row per bar, a legend when there is more than one series."""
    plot_w = WIDTH - LABEL_W - 60
    top = 24 + (ROW_H if len(series) > 1 else 0)
    height = top + ROW_H * max(len(bars), 1) + 8
    longest = max((b.total for b in bars), default=0) or 1
    colours = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(series)}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{_attr(chart_id)}" class="chart" '
        f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{_attr(title)}" font-size="12" font-family="inherit">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="14" font-weight="bold">{escape(title)}</text>',
    ]
    if len(series) > 1:
        x: float = LABEL_W
        for name in series:
            out.append(
                f'<rect x="{x}" y="{top - ROW_H + 4}" width="10" height="10" '
                f'fill="{colours[name]}"/><text x="{x + 14}" y="{top - ROW_H + 13}">'
                f"{escape(name)}</text>"
            )
            x += 24 + _text_width(name)
    for row, bar in enumerate(bars):
        y = top + row * ROW_H
        out.append(
            f'<text x="{LABEL_W - 6}" y="{y + 13}" text-anchor="end">{escape(bar.label)}</text>'
        )
        x = float(LABEL_W)
        for segment in bar.segments:
            if segment.value <= 0:
                continue
            w = plot_w * segment.value / longest
            out.append(
                f'<rect class="bar" x="{x:.1f}" y="{y + 2}" width="{w:.1f}" height="{BAR_H}" '
                f'fill="{colours.get(segment.series, PALETTE[0])}" '
                f'data-label="{_attr(bar.label)}" data-series="{_attr(segment.series)}" '
                f'data-value="{segment.value}"><title>{escape(segment.series)}: '
                f"{segment.value}</title></rect>"
            )
            x += w
        out.append(f'<text x="{x + 4:.1f}" y="{y + 13}">{bar.total}</text>')
        if bar.cumulative_percent is not None:
            cx = LABEL_W + plot_w * bar.cumulative_percent / 100
            out.append(
                f'<circle class="cumulative" cx="{cx:.1f}" cy="{y + 10}" r="3" fill="#222" '
                f'data-value="{bar.cumulative_percent}"/>'
            )
    out.append("</svg>")
    return "".join(out)
