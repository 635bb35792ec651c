"""Backtests on generated series: maintd against least squares over the same window
(Prometheus predict_linear). maintd must warn earlier or with fewer false alarms — and on a
plain fill still warn in time."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from maintd.predict import series
from maintd.predict.backtest import BacktestResult, backtest, first_breach
from maintd.predict.series import Series
from maintd.predict.trend import Point, horizon_for

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
WITHIN = timedelta(days=14)
START = series.START


def replay(generated: Series, step: timedelta = 6 * HOUR) -> BacktestResult:
    assert generated.reaches is not None
    return backtest(generated.points, reaches=generated.reaches, within=WITHIN,
                    window=7 * DAY, min_history=DAY, step=step)  # fmt: skip


def test_on_a_linear_fill_maintd_still_warns_in_time() -> None:
    result = replay(series.linear_fill())
    assert result.breach is not None and result.breach < START + 25 * DAY
    maintd = result.maintd
    assert maintd.lead_time is not None and maintd.lead_time >= WITHIN - 12 * HOUR
    assert maintd.false_warnings == 0 and maintd.lapses == 0
    assert result.least_squares.lead_time is not None
    assert maintd.lead_time >= result.least_squares.lead_time - 6 * HOUR


def test_on_a_sawtooth_maintd_raises_no_false_alarm_and_least_squares_does() -> None:
    result = replay(series.sawtooth_fill(), step=3 * HOUR)
    assert result.breach is None
    assert result.maintd.warnings == 0 and result.maintd.false_warnings == 0
    assert result.least_squares.false_warnings > 0, "the first days look like a runaway"


def test_after_a_big_file_maintd_raises_fewer_false_alarms() -> None:
    result = replay(series.step_fill(), step=3 * HOUR)
    assert result.breach is None
    assert result.maintd.false_warnings < result.least_squares.false_warnings
    assert result.maintd.false_warnings == 0
    assert result.least_squares.false_warnings > 20


def test_on_a_step_that_does_lead_to_a_breach_maintd_warns_in_time() -> None:
    # A 35 % file on day 8 of a 1 %/d fill from 40: 95 is reached on day 20.
    generated = series.step_fill(rate_per_day=1.0, step_day=8, step=35)
    result = replay(generated, step=3 * HOUR)
    assert result.breach is not None and abs(result.breach - (START + 20 * DAY)) < DAY
    assert result.maintd.lead_time is not None and result.maintd.lead_time >= 11 * DAY
    assert result.maintd.false_warnings <= result.least_squares.false_warnings


def test_on_a_drifting_temperature_maintd_warns_earlier_and_falsely_less() -> None:
    result = replay(series.temperature())
    maintd, least_squares = result.maintd, result.least_squares
    assert maintd.lead_time is not None and least_squares.lead_time is not None
    assert maintd.lead_time > least_squares.lead_time
    assert maintd.false_warnings < least_squares.false_warnings


def test_a_warning_is_judged_by_what_followed() -> None:
    # Rising 5 a day from 50: the breach of 95 comes on day 9.
    points = [Point(START + index * HOUR, 50 + 5 * index / 24) for index in range(12 * 24)]
    result = backtest(points, reaches=95, within=3 * DAY, window=2 * DAY, min_history=DAY,
                      step=DAY)  # fmt: skip
    assert result.breach == START + 9 * DAY
    assert result.first_forecast == START + DAY and result.last_forecast == START + 8 * DAY
    for score in (result.maintd, result.least_squares):
        assert score.forecasts == 8
        assert score.first_warning == START + 6 * DAY
        assert score.lead_time == 3 * DAY
        assert score.false_warnings == 0 and score.unjudged == 0 and score.warnings == 3


def test_a_warning_near_the_end_of_the_data_is_unjudged() -> None:
    points = [Point(START + index * HOUR, 50 + 5 * index / 24) for index in range(6 * 24)]
    result = backtest(points, reaches=95, within=5 * DAY, window=2 * DAY, min_history=DAY,
                      step=DAY)  # fmt: skip
    assert result.breach is None
    assert result.maintd.unjudged == result.maintd.warnings > 0
    assert result.maintd.false_warnings == 0 and result.maintd.lead_time is None


def test_the_breach_is_the_first_reading_past_the_threshold() -> None:
    points = [Point(START + index * HOUR, value) for index, value in enumerate([1, 5, 3, 9])]
    assert first_breach(points, 4.0, "up") == START + HOUR
    assert first_breach(points, 2.0, "down") == START
    assert first_breach(points, 10.0, "up") is None


def test_empty_history_replays_nothing() -> None:
    result = backtest([], reaches=95, within=WITHIN, window=7 * DAY, min_history=DAY, step=HOUR)
    assert result.breach is None and result.first_forecast is None
    assert result.maintd.forecasts == 0 and result.maintd.milliseconds_per_forecast == 0


def test_a_step_must_be_positive() -> None:
    with pytest.raises(ValueError, match="step"):
        backtest([], reaches=95, within=WITHIN, window=7 * DAY, min_history=DAY, step=-HOUR)


def test_thirty_days_of_five_minute_points_replay_in_well_under_two_seconds() -> None:
    generated = series.linear_fill()
    started = time.perf_counter()
    result = replay(generated, step=6 * HOUR)
    elapsed = time.perf_counter() - started
    assert len(generated.points) == 30 * 288
    assert result.maintd.forecasts > 90
    assert elapsed < 2.0, f"{elapsed:.2f} s"


def test_a_within_longer_than_the_horizon_is_replayed_as_the_daemon_forecasts() -> None:
    # A slow fill (0.5/d) watched 60 days ahead on a 7-day window: the daemon looks 60 days
    # ahead (horizon_for), so the replay must too, or it would warn 32 days late.
    points = [Point(START + i * HOUR, 20 + 0.5 * i / 24 + (0.05 if i % 2 else -0.05))
              for i in range(24 * 200)]  # fmt: skip
    result = backtest(points, reaches=95, within=60 * DAY, window=7 * DAY, min_history=DAY,
                      step=DAY)  # fmt: skip
    assert result.breach is not None
    assert result.maintd.lead_time is not None and result.maintd.lead_time > 59 * DAY
    assert horizon_for(7 * DAY, 60 * DAY) == 60 * DAY
    assert horizon_for(7 * DAY, 14 * DAY) == 28 * DAY
