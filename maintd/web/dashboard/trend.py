"""A metric's trend page (``/trend/<task>/<host>/<metric>``): its readings of the last days as
a chart, with the latest forecast's fitted line and band carried forward when there is one,
and what that forecast (and the latest anomaly judgement) said.

The chart is the report's (``report.svg.trend_chart`` over ``report.trends.build_chart``), so
the dashboard draws exactly what the daemon computed, as the weekly report does. Only the span
differs: the chart starts where the page's readings start, not where the fit began.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from maintd.report import svg, trends
from maintd.report.trends import TrendChart
from maintd.store.series import Reading
from maintd.web.dashboard.markup import NOTHING, facts, local_time, text, when

Row = Mapping[str, Any]
SPAN = timedelta(days=7)
AXIS_FORMAT = "%m-%d %H:%M"


def title_of(task: str, host: str, metric: str) -> str:
    """``used_pct of disk on db1``."""
    return f"{metric} of {task} on {host}"


def build_trend(
    readings: Sequence[Reading],
    forecast: Row | None,
    *,
    since: datetime,
    now: datetime,
    threshold: float | None,
) -> TrendChart | None:
    """What the chart draws: the readings after ``since`` and, when ``forecast`` holds a fit
    made within the span, its line and band; ``threshold`` (the calendar's, when the task
    forecasts this metric) for a chart without a forecast. None with neither a reading nor a
    fit to draw."""
    points = [(at, float(value)) for at, value in readings
              if value is not None and math.isfinite(value)]  # fmt: skip
    if forecast is not None and forecast["at"] >= since:
        fitted_from = max(forecast["fitted_from"] or since, since)
        chart = trends.build_chart({**forecast, "fitted_from": fitted_from}, points)
        if chart is not None:
            return chart
    if not points:
        return None
    return TrendChart(
        start=points[0][0],
        made=now,
        end=now,
        readings=tuple(trends.thin_readings(points, trends.MAX_READINGS)),
        fitted=(),
        band=(),
        threshold=threshold,
    )


@dataclass(frozen=True)
class TrendView:
    """A metric's readings and judgements, as its page shows them."""

    title: str
    readings: Sequence[Reading]
    chart: TrendChart | None
    forecast: Row | None  # the latest time-to-threshold forecast
    anomaly: Row | None  # the latest anomaly judgement
    now: datetime
    zone: tzinfo


def render_trend(view: TrendView) -> str:
    """The body of a trend page: the latest reading, the chart, what was forecast."""
    chart, zone = view.chart, view.zone
    drawn = chart is not None and bool(chart.fitted)
    return "".join([
        render_latest(view.readings, view.now, zone),
        render_chart(chart, view.title, zone, drawn) if chart is not None else "",
        "<h2>Forecast</h2>",
        render_forecast(view.forecast, view.now, zone),
        render_anomaly(view.anomaly, view.now, zone),
    ])  # fmt: skip


def render_chart(chart: TrendChart, caption: str, zone: tzinfo, forecast: bool) -> str:
    """The chart as inline SVG, its times on the calendar's clock."""
    absent = "" if forecast else " (no forecast)"
    labels = svg.TrendLabels(
        caption=caption,
        readings="readings",
        fit="fitted trend" + absent,
        band="interval" + absent,
        threshold="threshold",
        made="forecast made" if forecast else "now",
        start_time=chart.start.astimezone(zone).strftime(AXIS_FORMAT),
        made_time=chart.made.astimezone(zone).strftime(AXIS_FORMAT),
        end_time=chart.end.astimezone(zone).strftime(AXIS_FORMAT),
    )
    return f'<figure id="trend">{svg.trend_chart(chart, labels)}</figure>'


def render_forecast(row: Row | None, now: datetime, zone: tzinfo) -> str:
    """What the latest time-to-threshold forecast said, or a note that there is none."""
    if row is None:
        return (
            '<p class="note">No forecast of this metric: its task has no <code>predict:</code> '
            "for it, or the daemon has not made one yet.</p>"
        )
    coverage = f"{row['coverage']:.0%} " if row["coverage"] is not None else ""
    interval = (
        f"{local_time(row['eta_low'], zone)} … {local_time(row['eta_high'], zone)}"
        if row["eta_low"] or row["eta_high"] else NOTHING
    )  # fmt: skip
    return facts([
        ("verdict", text(row["verdict"])),
        ("why", text(row["reason"] or NOTHING)),
        ("made", when(row["at"], now, zone)),
        ("reaches", text(_number(row["reaches"]))),
        ("expected", when(row["eta"], now, zone)),
        (f"{coverage}interval", text(interval)),
        ("trend per day", text(_number(row["slope_per_day"]))),
        ("level now", text(_number(row["level_now"]))),
        ("readings used", text(f"{row['points_used']} from "
                               f"{local_time(row['fitted_from'], zone)}")),
    ])  # fmt: skip


def render_anomaly(row: Row | None, now: datetime, zone: tzinfo) -> str:
    """What the latest anomaly judgement said; nothing when there is none."""
    if row is None:
        return ""
    band = f"{_number(row['band_low'])} … {_number(row['band_high'])}"
    return "<h2>Anomaly</h2>" + facts([
        ("verdict", text(row["verdict"])),
        ("why", text(row["reason"] or NOTHING)),
        ("made", when(row["at"], now, zone)),
        ("expected", text(_number(row["expected"]))),
        ("usual band", text(band)),
        ("score", text(_number(row["score"]))),
    ])  # fmt: skip


def render_latest(readings: Sequence[Reading], now: datetime, zone: tzinfo) -> str:
    """The newest reading and how many the chart holds."""
    if not readings:
        return '<p class="note">No reading in the last 7 days.</p>'
    at, value = readings[-1]
    return (
        f"<p>Latest reading <strong>{text(_number(value))}</strong> at "
        f"{when(at, now, zone)}; {len(readings):,} readings since "
        f"{text(local_time(readings[0][0], zone))}.</p>"
    )


def _number(value: float | None) -> str:
    return NOTHING if value is None else f"{value:.6g}"
