"""A forecast's chart drawn again from its row: the fit stored in the forecast book rebuilds the
daemon's own ``Fit``, the line and band follow it, the chart runs past the forecast."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from maintd.config.predict import Predict
from maintd.predict.rows import fit_from_row, threshold_row
from maintd.predict.trend import Forecast, Point, forecast_threshold
from maintd.report.trends import (
    MAX_READINGS,
    SAMPLES,
    build_chart,
    readings_span,
    thin_readings,
    view_forecast,
)

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
PREDICT = Predict(metric="used_pct", reaches=95, within=timedelta(days=14))


def cycling_disk() -> list[Point]:
    """Three days every 10 minutes: +2 a day, a daily swing of 3, a little noise."""
    points = []
    for index in range(432):
        at = NOW - timedelta(minutes=10 * index)
        days = (at - NOW).total_seconds() / 86400
        swing = 3 * math.sin(2 * math.pi * at.hour / 24)
        points.append(Point(at, 80 + 2 * days + swing + 0.3 * math.sin(index * 1.7)))
    return points


def book_row(forecast: Forecast) -> dict[str, Any]:
    """The row as the forecast book returns it: every column, the unset ones None."""
    columns = ("level_now", "slope_per_day", "slope_low_per_day", "slope_high_per_day", "pivot",
               "spread", "bucket", "season", "expected", "band_low", "band_high", "score",
               "incident_id")  # fmt: skip
    row: dict[str, Any] = dict.fromkeys(columns)
    return row | threshold_row(forecast, PREDICT) | {
        "task": "disk", "host": "db1", "at": forecast.now, "signal": "warn",
    }  # fmt: skip


@pytest.fixture(scope="module")
def forecast() -> Forecast:
    made = forecast_threshold(cycling_disk(), reaches=95, now=NOW, window=PREDICT.window,
                              min_history=PREDICT.min_history)  # fmt: skip
    assert made.fit is not None and made.fit.season, made.reason
    return made


def test_the_row_rebuilds_the_fit_the_daemon_made(forecast: Forecast) -> None:
    fit = fit_from_row(book_row(forecast))
    assert fit is not None and forecast.fit is not None
    for hours in (-48, -5, 0, 7, 24 * 5):
        at = NOW + timedelta(hours=hours)
        assert fit.fit_at(at) == pytest.approx(forecast.fit.fit_at(at), abs=1e-5)
        assert fit.band_at(at) == pytest.approx(forecast.fit.band_at(at), abs=1e-5)


def test_rows_without_a_fit_have_no_chart(forecast: Forecast) -> None:
    row = book_row(forecast) | {"level_now": None}
    assert fit_from_row(row) is None and build_chart(row, []) is None
    assert fit_from_row(book_row(forecast) | {"kind": "anomaly"}) is None


def test_the_chart_runs_from_the_first_reading_past_the_forecast(forecast: Forecast) -> None:
    row = book_row(forecast)
    since, until = readings_span(row)
    assert (since, until) == (NOW - PREDICT.window, NOW)
    readings = [(point.at, point.value) for point in reversed(cycling_disk())]
    chart = build_chart(row, [*readings, (NOW, None)])
    assert chart is not None
    assert chart.start == readings[0][0] and chart.made == NOW
    assert chart.end > (forecast.eta_high or NOW) and chart.threshold == 95
    assert len(chart.fitted) == len(chart.band) == SAMPLES
    assert all(low <= value <= high for (_, value), (_, low, high) in
               zip(chart.fitted, chart.band, strict=True))  # fmt: skip
    assert len(chart.readings) == MAX_READINGS < len(readings)  # thinned, the None dropped


def test_many_readings_are_averaged_into_slices_of_time() -> None:
    points = [(NOW + timedelta(seconds=second), float(second % 2)) for second in range(1000)]
    thinned = thin_readings(points, 100)
    assert len(thinned) == 100
    assert thinned[0] == (NOW + timedelta(seconds=4.5), 0.5)
    assert thin_readings(points[:5], 100) == points[:5]


def test_a_view_keeps_what_the_table_shows(forecast: Forecast) -> None:
    view = view_forecast(book_row(forecast) | {"reason": "reaches  95\n in 7 d"})
    assert (view.task, view.metric, view.made, view.reason) == ("disk", "used_pct", NOW,
                                                                "reaches 95 in 7 d")  # fmt: skip
    assert view.eta == forecast.eta and view.chart is None
