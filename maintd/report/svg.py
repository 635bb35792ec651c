"""The report's charts as inline SVG: a metric's trend with its forecast band, the status
heat-map of task × day, and bars for the percentage KPIs.

Pure functions from plain values to SVG text. Colours and strokes are presentation attributes
on the elements, so a chart looks the same pasted anywhere and prints without a stylesheet;
every element also carries a class naming what it is (``band``, ``fit``, ``cell``...), for the
page's print rules and for tests. Every text is escaped.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

from maintd.report.runs import HeatCell, HeatMap
from maintd.report.trends import TrendChart
from maintd.status import WORST_FIRST

FONT = "font-family=\"'Noto Sans', 'WenQuanYi Zen Hei', 'Helvetica Neue', Arial, sans-serif\""
STATUS_TO_COLOUR = {
    "OK": "#4daf4a", "WARNING": "#f2b134", "CRITICAL": "#d7301f", "UNKNOWN": "#984ea3",
    "TIMEOUT": "#ff7f00", "UNREACHABLE": "#8c2d04", "ERROR": "#e7298a", "MISSED": "#5b6b7c",
    "INTERRUPTED": "#80cdc1", "RUNNING": "#9ecae1", "SKIPPED": "#d9d9d9",
}  # fmt: skip
NO_RUNS_COLOUR = "#ffffff"
GRID = "#cccccc"
INK = "#222222"
BAND, FIT, READINGS, THRESHOLD = "#9ecae1", "#08519c", "#333333", "#d7301f"
BAR, TRACK = "#3182bd", "#eeeeee"


@dataclass(frozen=True)
class Scale:
    """A linear map of [low, high] onto [start, stop] (stop may be less than start: SVG's y
    axis points down). An empty domain maps to the middle."""

    low: float
    high: float
    start: float
    stop: float

    def __call__(self, value: float) -> float:
        if self.high == self.low:
            return (self.start + self.stop) / 2
        return self.start + (value - self.low) * (self.stop - self.start) / (self.high - self.low)


def text_width(text: str, size: float) -> float:
    """About how wide ``text`` is at font ``size``: wide (CJK) characters count as one em,
    others as six tenths of one."""
    return sum(size if unicodedata.east_asian_width(char) in "WF" else 0.6 * size
               for char in text)  # fmt: skip


def points(pairs: Iterable[tuple[float, float]]) -> str:
    """An SVG ``points`` attribute: ``x,y x,y ...`` to a tenth of a pixel."""
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in pairs)


def _text(
    at: tuple[float, float], text: str, css: str, *, anchor: str = "start", size: int = 11
) -> str:
    x, y = at
    return (f'<text class="{css}" x="{x:.1f}" y="{y:.1f}" font-size="{size}" '
            f'fill="{INK}" text-anchor="{anchor}">{escape(text)}</text>')  # fmt: skip


def _open(css: str, width: float, height: float, label: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
            f'role="img" aria-label="{escape(label)}" {FONT}>'
            f"<title>{escape(label)}</title>")  # fmt: skip


@dataclass(frozen=True)
class TrendLabels:
    """The words of a trend chart: its caption, the legend, and the three times on its axis."""

    caption: str
    readings: str
    fit: str
    band: str
    threshold: str
    made: str
    start_time: str
    made_time: str
    end_time: str


TREND_WIDTH, TREND_HEIGHT = 720, 280
TREND_LEFT, TREND_RIGHT, TREND_TOP, TREND_BOTTOM = 64, 16, 16, 64


def trend_chart(chart: TrendChart, labels: TrendLabels) -> str:
    """The readings as a line, the fitted trend over them and ahead, its band as a polygon,
    the threshold as a dashed line and when the forecast was made as a vertical one."""
    bottom = TREND_HEIGHT - TREND_BOTTOM
    x = Scale(chart.start.timestamp(), chart.end.timestamp(), TREND_LEFT, TREND_WIDTH - TREND_RIGHT)
    low, high = _value_range(chart)
    y = Scale(low, high, bottom, TREND_TOP)

    def at(moment: datetime, value: float) -> tuple[float, float]:
        return x(moment.timestamp()), y(min(high, max(low, value)))

    band = [at(moment, upper) for moment, _, upper in chart.band]
    band += [at(moment, lower) for moment, lower, _ in reversed(chart.band)]
    parts = [
        _open("trend", TREND_WIDTH, TREND_HEIGHT, labels.caption),
        f'<rect class="plot" x="{TREND_LEFT}" y="{TREND_TOP}" '
        f'width="{TREND_WIDTH - TREND_LEFT - TREND_RIGHT}" height="{bottom - TREND_TOP}" '
        f'fill="#ffffff" stroke="{GRID}"/>',
        f'<polygon class="band" points="{points(band)}" fill="{BAND}" fill-opacity="0.5" '
        'stroke="none"/>',
        f'<polyline class="fit" points="{points(at(*pair) for pair in chart.fitted)}" '
        f'fill="none" stroke="{FIT}" stroke-width="2"/>',
        f'<polyline class="readings" points="{points(at(*pair) for pair in chart.readings)}" '
        f'fill="none" stroke="{READINGS}" stroke-width="1.2"/>',
    ]
    if chart.threshold is not None and low <= chart.threshold <= high:
        level = y(chart.threshold)
        parts.append(f'<line class="threshold" x1="{TREND_LEFT}" y1="{level:.1f}" '
                     f'x2="{TREND_WIDTH - TREND_RIGHT}" y2="{level:.1f}" stroke="{THRESHOLD}" '
                     'stroke-width="1.5" stroke-dasharray="6 4"/>')  # fmt: skip
    made = x(chart.made.timestamp())
    parts.append(f'<line class="made" x1="{made:.1f}" y1="{TREND_TOP}" x2="{made:.1f}" '
                 f'y2="{bottom}" stroke="#888888" stroke-dasharray="2 3"/>')  # fmt: skip
    parts.extend(_trend_axes(labels, low, high, y, made))
    parts.append(_trend_legend(labels))
    parts.append("</svg>")
    return "".join(parts)


def _value_range(chart: TrendChart) -> tuple[float, float]:
    """The values shown: the readings, the fitted line and the threshold, with a margin. The
    band may reach beyond and is cut at the edges: a wide band must not flatten the data."""
    values = [value for _, value in chart.readings] + [value for _, value in chart.fitted]
    if chart.threshold is not None:
        values.append(chart.threshold)
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    margin = (high - low) * 0.08 or max(abs(high) * 0.1, 1.0)
    return low - margin, high + margin


def _trend_axes(labels: TrendLabels, low: float, high: float, y: Scale, made: float) -> list[str]:
    bottom = TREND_HEIGHT - TREND_BOTTOM
    ticks = [low + (high - low) * step / 4 for step in range(5)]
    parts = [
        _text((TREND_LEFT - 6, y(value) + 4), f"{value:.4g}", "tick", anchor="end")
        for value in ticks
    ]
    parts.append(_text((TREND_LEFT, bottom + 16), labels.start_time, "tick"))
    parts.append(_text((made, bottom + 16), labels.made_time, "tick", anchor="middle"))
    parts.append(
        _text((TREND_WIDTH - TREND_RIGHT, bottom + 16), labels.end_time, "tick", anchor="end")
    )
    return parts


def _trend_legend(labels: TrendLabels) -> str:
    y = TREND_HEIGHT - 18
    entries = [
        (f'<line x1="0" y1="0" x2="18" y2="0" stroke="{READINGS}" stroke-width="1.2"/>',
         labels.readings),
        (f'<line x1="0" y1="0" x2="18" y2="0" stroke="{FIT}" stroke-width="2"/>', labels.fit),
        (f'<rect x="0" y="-5" width="18" height="10" fill="{BAND}" fill-opacity="0.5"/>',
         labels.band),
        (f'<line x1="0" y1="0" x2="18" y2="0" stroke="{THRESHOLD}" stroke-dasharray="6 4"/>',
         labels.threshold),
        ('<line x1="9" y1="-6" x2="9" y2="6" stroke="#888888" stroke-dasharray="2 3"/>',
         labels.made),
    ]  # fmt: skip
    parts, offset = ['<g class="legend">'], float(TREND_LEFT)
    for mark, label in entries:
        parts.append(f'<g transform="translate({offset:.1f},{y})">{mark}</g>')
        parts.append(_text((offset + 24, y + 4), label, "legend-label"))
        offset += 36 + text_width(label, 11)
    parts.append("</g>")
    return "".join(parts)


@dataclass(frozen=True)
class HeatLabels:
    """The words of the heat-map: its caption and the legend's entry for an empty cell."""

    caption: str
    no_runs: str


CELL_HEIGHT, LABEL_GAP, HEAT_TOP = 20, 8, 28
WIDE_CELL, NARROW_CELL, NARROW_FROM = 40, 20, 17  # narrow cells (day numbers) from 17 days on
LEGEND_ITEM_HEIGHT = 18


def heatmap_chart(heatmap: HeatMap, labels: HeatLabels, describe: Callable[[HeatCell], str]) -> str:
    """One row per task, one column per day, each cell coloured by its worst status, with a
    tooltip (``describe``: what a cell's ``<title>`` says) and a legend of the colours."""
    days = heatmap.days
    cell = WIDE_CELL if len(days) < NARROW_FROM else NARROW_CELL
    left = min(240.0, max((text_width(task, 12) for task in heatmap.tasks), default=40) + 12)
    width = max(left + cell * len(days) + 8, 480.0)
    grid_bottom = HEAT_TOP + CELL_HEIGHT * len(heatmap.tasks)
    legend, legend_height = _heat_legend(labels, width, grid_bottom + 16)
    height = grid_bottom + 16 + legend_height
    parts = [_open("heatmap", width, height, labels.caption)]
    for column, day in enumerate(days):
        label = day.strftime("%m-%d") if cell == WIDE_CELL else f"{day.day}"
        parts.append(
            _text(
                (left + cell * (column + 0.5), HEAT_TOP - 8), label, "day", anchor="middle", size=10
            )
        )
    for row, task in enumerate(heatmap.tasks):
        top = HEAT_TOP + CELL_HEIGHT * row
        parts.append(
            _text(
                (left - LABEL_GAP, top + 14),
                _shorten(task, left - 12),
                "task",
                anchor="end",
                size=12,
            )
        )
        for column, found in enumerate(heatmap.row(task)):
            parts.append(_cell(found, left + cell * column, top, cell, describe(found)))
    parts.append(legend)
    parts.append("</svg>")
    return "".join(parts)


def _cell(found: HeatCell, x: float, y: float, width: float, title: str) -> str:
    colour = STATUS_TO_COLOUR.get(found.worst or "", NO_RUNS_COLOUR)
    status = found.worst or "NONE"
    return (f'<rect class="cell" data-task="{escape(found.task)}" '
            f'data-day="{found.day.isoformat()}" data-status="{status}" x="{x:.1f}" y="{y}" '
            f'width="{width - 2}" height="{CELL_HEIGHT - 2}" fill="{colour}" stroke="{GRID}" '
            f'stroke-width="0.5"><title>{escape(title)}</title></rect>')  # fmt: skip


def _heat_legend(labels: HeatLabels, width: float, top: float) -> tuple[str, float]:
    """The legend, wrapped to ``width``; returns it and its height."""
    entries = [(status.value, STATUS_TO_COLOUR[status.value]) for status in WORST_FIRST]
    entries.append((labels.no_runs, NO_RUNS_COLOUR))
    parts, x, y = ['<g class="legend">'], 8.0, top
    for label, colour in entries:
        item = 22 + text_width(label, 10) + 14
        if x + item > width:
            x, y = 8.0, y + LEGEND_ITEM_HEIGHT
        parts.append(f'<rect class="swatch" x="{x:.1f}" y="{y:.1f}" width="14" height="12" '
                     f'fill="{colour}" stroke="{GRID}"/>')  # fmt: skip
        parts.append(_text((x + 18, y + 10), label, "legend-label", size=10))
        x += item
    parts.append("</g>")
    return "".join(parts), y - top + LEGEND_ITEM_HEIGHT + 4


def _shorten(text: str, width: float) -> str:
    if text_width(text, 12) <= width:
        return text
    while text and text_width(text + "…", 12) > width:
        text = text[:-1]
    return text + "…"


@dataclass(frozen=True)
class Bar:
    """One percentage KPI: its name, its percentage (None: nothing measured), the value as
    written, and the tooltip (the counts behind it)."""

    label: str
    pct: float | None
    value: str
    title: str


BAR_ROW, BAR_TRACK, BAR_HEIGHT = 28, 360, 16


def kpi_bars(bars: Sequence[Bar], caption: str) -> str:
    """Horizontal bars, 0-100 %, one per KPI; a KPI with nothing measured has an empty track."""
    left = max((text_width(bar.label, 12) for bar in bars), default=40) + 16
    width = left + BAR_TRACK + 80
    height = BAR_ROW * len(bars) + 8
    scale = Scale(0, 100, 0, BAR_TRACK)
    parts = [_open("kpi-bars", width, height, caption)]
    for row, bar in enumerate(bars):
        top = 4 + BAR_ROW * row
        middle = top + BAR_HEIGHT / 2 + 4
        parts.append(f'<g class="kpi"><title>{escape(bar.title)}</title>')
        parts.append(_text((left - 8, middle), bar.label, "kpi-label", anchor="end", size=12))
        parts.append(f'<rect class="track" x="{left:.1f}" y="{top}" width="{BAR_TRACK}" '
                     f'height="{BAR_HEIGHT}" fill="{TRACK}"/>')  # fmt: skip
        if bar.pct is not None:
            length = scale(max(0.0, min(100.0, bar.pct)))
            parts.append(f'<rect class="bar" x="{left:.1f}" y="{top}" width="{length:.1f}" '
                         f'height="{BAR_HEIGHT}" fill="{BAR}"/>')  # fmt: skip
        parts.append(_text((left + BAR_TRACK + 8, middle), bar.value, "kpi-value", size=12))
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)
