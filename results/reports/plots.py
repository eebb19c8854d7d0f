"""Trace charts (the recharge curve and friends) as geometry, drawn to SVG here and to PDF in
``pdf.py``.

Computing the geometry once keeps the two outputs identical in content; drawing it ourselves
keeps the report free of a 35 MB plotting dependency and of its non-deterministic SVG ids. One
panel per channel on a shared time axis, because volts and amps on one axis hide each other.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from html import escape

import numpy as np
import numpy.typing as npt

from results.reports import fmt, webfont
from results.reports.model import TraceData

MAX_POINTS = 600
"""Per channel after min/max decimation: a 3-hour 1 Hz trace still shows every excursion."""

COLOURS = ("#1f5fa8", "#c0392b", "#2e8b57", "#8e44ad", "#d35400")

CATEGORY_LABELS: dict[str, dict[int, str]] = {
    "mode": {0: "OFF", 1: "CC", 2: "CV", 3: "UR", 4: "PROT"},
}
"""Channels that hold state codes, not quantities, and the label of each code.

The recharge step stores the source's regulation mode as ``MODE_CODE`` in
``procedures/diagnosis/wake_recharge.py`` (a test holds the two tables equal). A code drawn on a
numeric axis reads as "mode 1.5"; a band of labelled states reads as what the source did.
"""
CATEGORY_COLOURS = {0: "#d9d9d9", 1: "#a9c8ec", 2: "#b3dcc0", 3: "#f5cf9f", 4: "#f2a7a0"}
BAND_HEIGHT = 18.0


@dataclass(frozen=True, slots=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True, slots=True)
class Panel:
    title: str
    colour: str
    left: float
    top: float
    width: float
    height: float
    points: tuple[tuple[float, float], ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]


@dataclass(frozen=True, slots=True)
class Segment:
    """One run of a state: drawn as a filled box, labelled where it is wide enough to read."""

    left: float
    right: float
    label: str
    colour: str


@dataclass(frozen=True, slots=True)
class Band:
    """A categorical channel as a strip of labelled states under the numeric panels."""

    title: str
    left: float
    top: float
    width: float
    height: float
    segments: tuple[Segment, ...]


@dataclass(frozen=True, slots=True)
class Chart:
    """Coordinates in points with the origin top-left (SVG convention)."""

    title: str
    width: float
    height: float
    x_label: str
    panels: tuple[Panel, ...]
    bands: tuple[Band, ...] = ()


def is_categorical(name: str, unit: str) -> bool:
    """A unitless channel with a known code table; a unit means a quantity, whatever its name."""
    return not unit and name in CATEGORY_LABELS


def state_runs(
    time: npt.NDArray[np.float64], codes: npt.NDArray[np.float64]
) -> list[tuple[float, float, int]]:
    """``(start, end, code)`` per run of equal codes; a state lasts until the next one starts."""
    n = min(len(time), len(codes))
    time, codes = time[:n], codes[:n]
    keep = np.isfinite(time) & np.isfinite(codes)
    time, codes = time[keep], codes[keep]
    if not len(time):
        return []
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    ends = [*time[starts[1:]].tolist(), float(time[-1])]
    return [
        (float(time[i]), float(end), round(float(codes[i])))
        for i, end in zip(starts, ends, strict=True)
    ]


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2, 5 x 10^n) covering [low, high]."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return [0.0]
    if high <= low:
        pad = abs(low) * 0.05 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / max(count, 1)
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1.0, 2.0, 5.0, 10.0) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 12))
    return ticks


def _tick_label(value: float, step: float) -> str:
    decimals = max(0, -math.floor(math.log10(step))) if step > 0 else 0
    return f"{value:.{decimals}f}"


def decimate(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], max_points: int = MAX_POINTS
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Keep each bucket's minimum and maximum in time order, so spikes and trips stay visible."""
    finite = np.isfinite(x) & np.isfinite(y)
    x, y = x[finite], y[finite]
    if len(x) <= max_points:
        return x, y
    buckets = max_points // 2
    edges = np.linspace(0, len(x), buckets + 1).astype(np.int64)
    keep: list[int] = []
    for start, stop in itertools.pairwise(edges):
        if stop <= start:
            continue
        segment = y[start:stop]
        pair = sorted({start + int(np.argmin(segment)), start + int(np.argmax(segment))})
        keep.extend(pair)
    index = np.asarray(keep, dtype=np.int64)
    return x[index], y[index]


def drop_flat_runs(points: list[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    """Keep only the ends of each run of equal height: the line looks the same, and a CC phase
    or a flat trip level no longer costs a few hundred points to write and to draw."""
    if len(points) < 3:
        return tuple(points)
    kept = [points[0]]
    for before, point, after in zip(points, points[1:], points[2:], strict=False):
        if not (before[1] == point[1] == after[1]):
            kept.append(point)
    kept.append(points[-1])
    return tuple(kept)


def layout(
    trace: TraceData,
    x_label: str,
    *,
    width: float = 640.0,
    panel_height: float = 130.0,
    channel_label: Callable[[str], str] = str,
) -> Chart:
    """``channel_label`` names a channel in the reader's language (the recorded names are the
    procedures' English identifiers); by default the name itself."""
    left, right, top_pad, bottom_pad, gap = 64.0, 16.0, 22.0, 34.0, 36.0
    time = np.asarray(trace.time_s, dtype=np.float64)
    x_ticks_values = nice_ticks(float(time.min()), float(time.max())) if len(time) else [0.0, 1.0]
    x_lo, x_hi = x_ticks_values[0], x_ticks_values[-1]
    x_span = (x_hi - x_lo) or 1.0
    plot_width = width - left - right
    x_step = x_ticks_values[1] - x_ticks_values[0] if len(x_ticks_values) > 1 else 1.0
    numeric = [c for c in trace.channels if not is_categorical(c.name, c.unit)]
    categorical = [c for c in trace.channels if is_categorical(c.name, c.unit)]
    panels = []
    for number, channel in enumerate(numeric):
        top = top_pad + number * (panel_height + gap)
        values = np.asarray(channel.values, dtype=np.float64)
        xs, ys = decimate(time[: len(values)], values[: len(time)])
        y_values = nice_ticks(float(ys.min()), float(ys.max()), 4) if len(ys) else [0.0, 1.0]
        y_lo, y_hi = y_values[0], y_values[-1]
        y_span = (y_hi - y_lo) or 1.0
        y_step = y_values[1] - y_values[0] if len(y_values) > 1 else 1.0

        def px(value: float) -> float:
            return round(left + (value - x_lo) / x_span * plot_width, 2)

        def py(value: float, top: float = top, y_lo: float = y_lo, y_span: float = y_span) -> float:
            return round(top + panel_height - (value - y_lo) / y_span * panel_height, 2)

        panels.append(
            Panel(
                title=f"{channel_label(channel.name)} ({channel.unit})",
                colour=COLOURS[number % len(COLOURS)],
                left=left,
                top=top,
                width=plot_width,
                height=panel_height,
                points=drop_flat_runs(
                    [(px(float(a)), py(float(b))) for a, b in zip(xs, ys, strict=True)]
                ),
                x_ticks=tuple(Tick(px(v), _tick_label(v, x_step)) for v in x_ticks_values),
                y_ticks=tuple(Tick(py(v), _tick_label(v, y_step)) for v in y_values),
            )
        )
    count = max(len(panels), 1)
    height = top_pad + count * panel_height + (count - 1) * gap + bottom_pad
    bands = []
    for channel in categorical:
        top = height - bottom_pad + 30.0  # below the tick labels, room for the title
        labels = CATEGORY_LABELS[channel.name]
        segments = tuple(
            Segment(
                left=round(left + (start - x_lo) / x_span * plot_width, 2),
                right=round(left + (end - x_lo) / x_span * plot_width, 2),
                label=labels.get(code, str(code)),
                colour=CATEGORY_COLOURS.get(code, "#eeeeee"),
            )
            for start, end, code in state_runs(time, np.asarray(channel.values, dtype=np.float64))
        )
        bands.append(
            Band(channel_label(channel.name), left, top, plot_width, BAND_HEIGHT, segments)
        )
        height = top + BAND_HEIGHT + bottom_pad
    return Chart(trace.name, width, height, x_label, tuple(panels), tuple(bands))


def label_fits(segment: Segment, label_width: float = 18.0) -> bool:
    """Only label a state box wide enough to hold its label; the colour still tells the state."""
    return segment.right - segment.left >= label_width


def _n(value: float) -> str:
    return fmt.number(value) if abs(value) >= 1e-4 or value == 0 else "0"


def _chart_text(chart: Chart) -> str:
    parts = [chart.title, chart.x_label]
    for panel in chart.panels:
        parts.append(panel.title)
        parts.extend(t.label for t in (*panel.y_ticks, *panel.x_ticks))
    for band in chart.bands:
        parts.append(band.title)
        parts.extend(seg.label for seg in band.segments)
    return "".join(parts)


def svg(chart: Chart, *, standalone: bool = True) -> str:
    """Inline SVG (no external references), with fixed number formatting for stable bytes.

    ``standalone`` (an SVG file or ``<img>``, which inherits no page font) embeds the shipped
    CJK font cut to the chart's characters when a label is not ASCII, so "时间 (s)" renders on
    a machine without CJK fonts; inside the HTML report the page's own font serves instead.
    """
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="trace" role="img" '
        f'width="{_n(chart.width)}" height="{_n(chart.height)}" '
        f'viewBox="0 0 {_n(chart.width)} {_n(chart.height)}">',
        f"<title>{escape(chart.title)}</title>",
    ]
    font = webfont.font_face(_chart_text(chart)) if standalone else ""
    if font:
        out.append(f'<style>{font}text{{font-family:Arial,"{webfont.FAMILY}",sans-serif}}</style>')
    for panel in chart.panels:
        bottom = panel.top + panel.height
        right = panel.left + panel.width
        out.append(
            f'<rect x="{_n(panel.left)}" y="{_n(panel.top)}" width="{_n(panel.width)}" '
            f'height="{_n(panel.height)}" fill="none" stroke="#888" stroke-width="0.5"/>'
        )
        for tick in panel.y_ticks:
            out.append(
                f'<line x1="{_n(panel.left)}" y1="{_n(tick.position)}" x2="{_n(right)}" '
                f'y2="{_n(tick.position)}" stroke="#ddd" stroke-width="0.5"/>'
                f'<text x="{_n(panel.left - 4)}" y="{_n(tick.position + 3)}" font-size="9" '
                f'text-anchor="end">{escape(tick.label)}</text>'
            )
        for tick in panel.x_ticks:
            out.append(
                f'<line x1="{_n(tick.position)}" y1="{_n(panel.top)}" x2="{_n(tick.position)}" '
                f'y2="{_n(bottom)}" stroke="#ddd" stroke-width="0.5"/>'
                f'<text x="{_n(tick.position)}" y="{_n(bottom + 11)}" font-size="9" '
                f'text-anchor="middle">{escape(tick.label)}</text>'
            )
        out.append(
            f'<text x="{_n(panel.left)}" y="{_n(panel.top - 6)}" font-size="11" '
            f'fill="{panel.colour}">{escape(panel.title)}</text>'
        )
        if panel.points:
            path = " ".join(f"{_n(x)},{_n(y)}" for x, y in panel.points)
            out.append(
                f'<polyline fill="none" stroke="{panel.colour}" stroke-width="1.2" '
                f'points="{path}"/>'
            )
    for band in chart.bands:
        out.append(
            f'<text x="{_n(band.left)}" y="{_n(band.top - 4)}" font-size="11" '
            f'fill="#444">{escape(band.title)}</text>'
        )
        mid = band.top + band.height / 2 + 3.5
        for seg in band.segments:
            out.append(
                f'<rect x="{_n(seg.left)}" y="{_n(band.top)}" width="{_n(seg.right - seg.left)}" '
                f'height="{_n(band.height)}" fill="{seg.colour}"><title>{escape(seg.label)}'
                "</title></rect>"
            )
            if label_fits(seg):
                out.append(
                    f'<text x="{_n((seg.left + seg.right) / 2)}" y="{_n(mid)}" font-size="9" '
                    f'text-anchor="middle">{escape(seg.label)}</text>'
                )
        out.append(
            f'<rect x="{_n(band.left)}" y="{_n(band.top)}" width="{_n(band.width)}" '
            f'height="{_n(band.height)}" fill="none" stroke="#888" stroke-width="0.5"/>'
        )
    if chart.panels:
        last = chart.panels[-1]
        out.append(
            f'<text x="{_n(last.left + last.width / 2)}" y="{_n(chart.height - 4)}" '
            f'font-size="10" text-anchor="middle">{escape(chart.x_label)}</text>'
        )
    out.append("</svg>")
    return "".join(out)
