"""Forecasts as a report shows them: the latest judgement of each series and, for a
time-to-threshold forecast, what its chart draws — the readings it was fitted on, the fitted
line and its band carried forward, and the threshold.

Takes forecast book rows (``maintd.store.forecasts``, plain dicts) and readings
(``maintd.store.series``); the line and band are drawn again from the fit stored in the row,
through ``maintd.predict.trend.Fit`` itself, so the chart shows what the daemon computed. Pure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from maintd.predict.rows import fit_from_row

Row = Mapping[str, Any]
Reading = tuple[datetime, float | None]

SAMPLES = 120  # points along the fitted line and its band: smooth enough to show a daily cycle
MAX_READINGS = 400  # more than a chart's width can show apart; the rest are averaged together
AHEAD_MARGIN = 1.15  # the chart runs a little past the late end of the interval
DEFAULT_SPAN = timedelta(days=1)


@dataclass(frozen=True)
class TrendChart:
    """What a trend chart draws, in the metric's units, between ``start`` and ``end``;
    ``made`` is when the forecast was made (the boundary of past and future)."""

    start: datetime
    made: datetime
    end: datetime
    readings: tuple[tuple[datetime, float], ...]
    fitted: tuple[tuple[datetime, float], ...]
    band: tuple[tuple[datetime, float, float], ...]  # (at, low, high)
    threshold: float | None


@dataclass(frozen=True)
class ForecastView:
    """The latest judgement of one series, as the report shows it."""

    kind: str
    task: str
    host: str
    metric: str
    made: datetime
    verdict: str
    signal: str
    reason: str
    reaches: float | None
    coverage: float | None
    eta: datetime | None
    eta_low: datetime | None
    eta_high: datetime | None
    slope_per_day: float | None
    expected: float | None
    band_low: float | None
    band_high: float | None
    score: float | None
    incident_id: int | None
    chart: TrendChart | None = None


def view_forecast(row: Row, chart: TrendChart | None = None) -> ForecastView:
    """A forecast book row as a ``ForecastView`` (with its chart, when one was built)."""
    return ForecastView(
        kind=row["kind"], task=row["task"], host=row["host"], metric=row["metric"],
        made=row["at"], verdict=row["verdict"], signal=row["signal"],
        reason=" ".join((row["reason"] or "").split()), reaches=row["reaches"],
        coverage=row["coverage"], eta=row["eta"], eta_low=row["eta_low"],
        eta_high=row["eta_high"], slope_per_day=row["slope_per_day"], expected=row["expected"],
        band_low=row["band_low"], band_high=row["band_high"], score=row["score"],
        incident_id=row["incident_id"], chart=chart,
    )  # fmt: skip


def readings_span(row: Row) -> tuple[datetime, datetime]:
    """The (since, until] whose readings the forecast was made from: its window up to it."""
    window = timedelta(seconds=row["window"]) if row["window"] else DEFAULT_SPAN
    return row["at"] - window, row["at"]


def build_chart(row: Row, readings: Sequence[Reading]) -> TrendChart | None:
    """The chart of a threshold forecast ``row`` over ``readings`` (oldest first), or None
    when the row holds no fit to draw.

    It starts at the first reading (or where the fit starts, if earlier) and runs past the
    forecast into the future: up to the late end of the interval when that comes within the
    forecast's ``within``, else ``within`` ahead (a quarter of the window without one).
    """
    fit = fit_from_row(row)
    if fit is None:
        return None
    made = row["at"]
    points = [(at, float(value)) for at, value in readings
              if value is not None and math.isfinite(value)]  # fmt: skip
    fitted_from = row["fitted_from"] or made
    start = min(points[0][0], fitted_from) if points else fitted_from
    end = made + _ahead(row, made - start)
    fit_start = max(start, fitted_from)
    times = [fit_start + (end - fit_start) * index / (SAMPLES - 1) for index in range(SAMPLES)]
    return TrendChart(
        start=start,
        made=made,
        end=end,
        readings=tuple(thin_readings(points, MAX_READINGS)),
        fitted=tuple((at, fit.fit_at(at)) for at in times),
        band=tuple((at, *fit.band_at(at)) for at in times),
        threshold=row["reaches"],
    )


def _ahead(row: Row, history: timedelta) -> timedelta:
    made = row["at"]
    within = timedelta(seconds=row["within"]) if row["within"] else None
    ahead = within if within is not None else max(history, DEFAULT_SPAN) / 4
    late = row["eta_high"] or row["eta"]
    if late is not None and late - made < ahead:
        ahead = max((late - made) * AHEAD_MARGIN, history / 8, timedelta(minutes=1))
    return ahead


def thin_readings(
    points: Sequence[tuple[datetime, float]], limit: int
) -> list[tuple[datetime, float]]:
    """``points`` (oldest first) as at most ``limit`` points: past the limit, the readings of
    each of ``limit`` equal slices of time are averaged into one, at their mean time."""
    if len(points) <= limit or limit < 1:
        return list(points)
    first, last = points[0][0], points[-1][0]
    width = (last - first) / limit
    slices: dict[int, list[tuple[datetime, float]]] = {}
    for at, value in points:
        index = min(limit - 1, int((at - first) / width)) if width else 0
        slices.setdefault(index, []).append((at, value))
    thinned = []
    for index in sorted(slices):
        group = slices[index]
        mean_offset = sum(((at - first) for at, _ in group), timedelta()) / len(group)
        thinned.append((first + mean_offset, sum(value for _, value in group) / len(group)))
    return thinned
