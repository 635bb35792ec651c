"""Time to threshold on generated series whose true crossing is known: a linear fill inside
its interval, a sawtooth never read as a runaway, a big file counted once, no forecast
without history, and the edges (flat, sparse, dirty, unsorted, falling, foreign clocks)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest

from maintd.predict import series
from maintd.predict.series import Noise, Sampling
from maintd.predict.trend import (
    Direction,
    Forecast,
    Point,
    Verdict,
    forecast_threshold,
    format_range,
    format_span,
    least_squares_eta,
)

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
WEEK = timedelta(days=7)
START = series.START


def forecast(
    points: list[Point], now: datetime, *, reaches: float = 95.0, window: timedelta = WEEK,
    min_history: timedelta = DAY, coverage: float = 0.8, direction: Direction = "up",
) -> Forecast:  # fmt: skip
    return forecast_threshold(
        points,
        reaches=reaches,
        now=now,
        window=window,
        min_history=min_history,
        coverage=coverage,
        direction=direction,
    )


def line(begin: float, per_day: float, days: float, every: timedelta = HOUR) -> list[Point]:
    count = int(days * DAY / every)
    return [Point(START + index * every, begin + per_day * index * every / DAY)
            for index in range(count + 1)]  # fmt: skip


def test_a_linear_fill_is_predicted_within_its_interval() -> None:
    # An 80 % interval misses one time in five by design (seed 1 misses on day 7, by an hour
    # in 18 days); how often it misses is measured in the next test.
    fill = series.linear_fill(sampling=Sampling(seed=2))
    assert fill.truth == START + timedelta(days=25)
    for day in (3, 7, 12, 20):
        result = forecast(fill.points, START + day * DAY)
        assert result.verdict is Verdict.REACHES, result.reason
        assert result.eta_low is not None and result.eta_high is not None and result.eta
        assert result.eta_low <= fill.truth <= result.eta_high
        assert result.eta_low <= result.eta <= result.eta_high
        assert result.eta_high - result.eta_low < DAY, "an interval that says nothing"
        assert result.reached_within(timedelta(days=25 - day) + HOUR)
        assert result.slope_per_day == pytest.approx(2.0, abs=0.05)


def test_the_interval_covers_the_truth_at_least_as_often_as_it_says() -> None:
    inside = total = 0
    for seed in range(30):
        fill = series.linear_fill(sampling=Sampling(seed=seed, noise=Noise(sigma=0.5)))
        for day in (3, 8, 14):
            result = forecast(fill.points, START + day * DAY)
            assert result.eta_low is not None and fill.truth is not None
            total += 1
            inside += result.eta_low <= fill.truth <= (result.eta_high or fill.truth)
    assert inside / total >= 0.8


def test_the_reason_reads_like_a_sentence_with_the_interval() -> None:
    result = forecast(series.linear_fill().points, START + 14 * DAY)
    assert result.reason.startswith("reaches 95 in 11-")
    assert result.reason.endswith("(median 11 d, 80 % interval)")
    assert result.method == "theil-sen"
    assert result.coverage == 0.8
    assert result.points_used == 7 * 288


def test_a_sawtooth_fill_is_never_mistaken_for_a_runaway() -> None:
    sawtooth = series.sawtooth_fill()
    for hours in range(24, 30 * 24, 5):
        now = START + hours * HOUR
        result = forecast(sawtooth.points, now)
        assert not result.reached_within(timedelta(days=14)), (now, result.reason)
        assert result.verdict is Verdict.INSUFFICIENT, result.reason
        assert result.segment_started is not None
        assert result.segment_started.hour == 3, "the segment starts at the nightly rotation"
        assert "since the reset at" in result.reason


def test_a_sawtooth_with_a_short_min_history_waits_for_the_next_rotation() -> None:
    sawtooth = series.sawtooth_fill()
    for hours in range(3 * 24, 30 * 24, 7):
        now = START + hours * HOUR
        result = forecast(sawtooth.points, now, min_history=4 * HOUR)
        assert not result.reached_within(timedelta(days=14)), (now, result.reason)
        if result.verdict is Verdict.RESET_FIRST:
            assert result.reset_every == DAY
            assert "but it is reset every 1 d, next due" in result.reason


def test_a_sawtooth_whose_peaks_creep_up_is_still_announced() -> None:
    points = [Point(point.at, point.value + 6 * (point.at - START) / DAY)
              for point in series.sawtooth_fill().points if point.value is not None]  # fmt: skip
    # The level creeps up 6 a day: the cycle from 03:00 on day 4 reaches 95 near 23:00.
    result = forecast(points, START + timedelta(days=4, hours=10), min_history=4 * HOUR)
    assert result.verdict is Verdict.REACHES, result.reason
    assert result.eta is not None
    assert abs(result.eta - (START + timedelta(days=4, hours=23))) < HOUR


def test_the_fit_is_not_bent_by_the_drop() -> None:
    sawtooth = series.sawtooth_fill()
    result = forecast(sawtooth.points, START + timedelta(days=9, hours=2), min_history=4 * HOUR)
    assert result.slope_per_day == pytest.approx(30, rel=0.03)
    assert result.level_now == pytest.approx(68.75, abs=0.5)


def test_a_big_file_is_a_level_shift_not_a_runaway() -> None:
    step = series.step_fill()
    for day in (6.5, 8, 9, 10, 12):
        result = forecast(step.points, START + day * DAY)
        assert result.slope_per_day == pytest.approx(0.5, abs=0.05), (day, result.reason)
        assert result.level_now == pytest.approx(70 + 0.5 * day, abs=0.3)
        assert result.level_shift == START + 6 * DAY
        assert "counted as a one-off" in result.reason
        assert not result.reached_within(timedelta(days=14))


def test_a_staircase_of_jumps_is_the_trend_itself() -> None:
    points = [Point(START + index * HOUR, 40 + 3 * (index // 12)) for index in range(7 * 24)]
    result = forecast(points, START + WEEK)
    assert result.level_shift is None and result.segment_started is None
    assert result.slope_per_day == pytest.approx(6, rel=0.1)
    assert result.verdict is Verdict.REACHES


def test_no_prediction_below_min_history() -> None:
    fill = series.linear_fill()
    result = forecast(fill.points, START + 10 * HOUR)
    assert result.verdict is Verdict.INSUFFICIENT
    assert result.reason == "not enough history: 10 h of 1 d"
    assert result.eta is result.eta_low is result.eta_high is None
    assert result.fit is None and result.slope_per_day is None
    assert not result.reached_within(timedelta(days=365))


def test_no_prediction_from_too_few_readings() -> None:
    points = [Point(START + index * DAY, 50.0 + index) for index in range(3)]
    result = forecast(points, START + 2 * DAY + HOUR)
    assert result.verdict is Verdict.INSUFFICIENT
    assert result.reason == "not enough history: 3 readings of 5"


def test_no_data_in_the_window_says_so() -> None:
    result = forecast(series.linear_fill().points, START - DAY)
    assert result.verdict is Verdict.INSUFFICIENT
    assert result.reason == "no data in the last 7 d"
    assert result.points_used == 0 and result.fitted_from is None


def test_a_constant_series_is_flat() -> None:
    points = line(50, 0, days=3)
    result = forecast(points, START + 3 * DAY)
    assert result.verdict is Verdict.NOT_HEADING
    assert result.reason == "flat or falling"
    assert result.slope_per_day == 0
    assert result.eta is None and not result.reached_within(timedelta(days=365))
    assert result.fit is not None and result.fit.band_at(START + 10 * DAY) == (50, 50)


def test_a_trend_lost_in_noise_gives_no_eta() -> None:
    sampling = Sampling(days=2, noise=Noise(sigma=5))
    points = series.linear_fill(begin=50, rate_per_day=0.2, sampling=sampling).points
    result = forecast(points, START + 2 * DAY)
    assert result.verdict in (Verdict.UNCLEAR, Verdict.NOT_HEADING), result.reason
    assert result.eta is None


def test_a_metric_already_past_the_threshold_says_so() -> None:
    result = forecast(line(90, 5, days=2), START + 2 * DAY)
    assert result.verdict is Verdict.ALREADY
    assert result.reason == "already at or above 95"
    assert result.eta == result.eta_low == result.eta_high == START + 2 * DAY


def test_dirty_readings_are_dropped() -> None:
    clean = series.linear_fill(sampling=Sampling(days=10)).points
    dirty = list(clean)
    for index in range(0, len(clean), 7):
        dirty.insert(index, Point(clean[index].at, math.nan))
    dirty += [Point(START + DAY, None), Point(START + 2 * DAY, math.inf)]
    now = START + 9 * DAY
    assert forecast(dirty, now) == forecast(clean, now)


def test_spikes_and_gaps_do_not_move_the_forecast_much() -> None:
    noisy = Noise(sigma=0.2, spikes=0.02, spike_size=30, missing=0.2, invalid=0.02)
    fill = series.linear_fill(sampling=Sampling(noise=noisy))
    result = forecast(fill.points, START + 10 * DAY)
    assert result.eta_low is not None and result.eta_high is not None
    assert result.eta_low <= START + 25 * DAY <= result.eta_high


def test_the_order_of_the_points_does_not_matter() -> None:
    points = series.linear_fill(sampling=Sampling(days=9)).points
    shuffled = points[1::2] + points[0::2][::-1]
    now = START + 8 * DAY
    assert forecast(shuffled, now) == forecast(points, now)


def test_points_after_now_are_not_used() -> None:
    points = series.linear_fill().points
    now = START + 5 * DAY
    assert forecast(points, now) == forecast([p for p in points if p.at <= now], now)


def test_a_falling_metric_reaches_its_floor() -> None:
    points = [Point(START + index * HOUR, 60 - 2 * index / 24) for index in range(8 * 24)]
    result = forecast(points, START + 8 * DAY, reaches=5.0, direction="down")
    assert result.verdict is Verdict.REACHES, result.reason
    assert result.eta is not None and abs(result.eta - (START + 27.5 * DAY)) < HOUR
    assert result.slope_per_day == pytest.approx(-2)
    rising = forecast(points, START + 8 * DAY, reaches=95.0, direction="down")
    assert rising.verdict is Verdict.ALREADY and rising.reason == "already at or below 95"


def test_a_cleanup_resets_a_falling_metric() -> None:
    points = [Point(START + index * HOUR, 60 - 2 * index / 24 + (30 if index >= 120 else 0))
              for index in range(8 * 24)]  # fmt: skip
    result = forecast(points, START + 8 * DAY, reaches=5.0, direction="down")
    assert result.segment_started == START + 120 * HOUR
    assert result.slope_per_day == pytest.approx(-2)
    growing = forecast(points, START + 8 * DAY, reaches=95.0)
    assert growing.segment_started is None, "for a metric going up, a jump up is no reset"


def test_a_daily_cycle_is_taken_out_and_its_peak_forecast() -> None:
    heat = series.temperature()
    assert heat.truth is not None
    result = forecast(heat.points, heat.truth - 5 * DAY, reaches=64.0)
    assert result.fit is not None and len(result.fit.season) == 24
    assert max(result.fit.season) == pytest.approx(5, abs=0.5)
    assert result.verdict is Verdict.REACHES and result.reason.endswith("at the daily peak")
    assert result.eta_low is not None and result.eta_high is not None
    assert result.eta_low <= heat.truth <= result.eta_high
    afternoon = heat.truth - 5 * DAY
    assert result.fit.fit_at(afternoon) - result.fit.trend_at(afternoon) > 4


def test_a_plain_fill_has_no_daily_cycle() -> None:
    result = forecast(series.linear_fill().points, START + 10 * DAY)
    assert result.fit is not None and result.fit.season == ()


def test_the_fit_and_band_give_reports_what_to_draw() -> None:
    result = forecast(series.linear_fill().points, START + 10 * DAY)
    fit = result.fit
    assert fit is not None and result.eta and result.eta_low and result.eta_high
    assert fit.fit_at(result.now) == pytest.approx(result.level_now)
    assert fit.fit_at(result.eta) == pytest.approx(95)
    low, high = fit.band_at(result.eta_low)
    assert high == pytest.approx(95, abs=1e-6) and low < 95
    low, high = fit.band_at(result.eta_high)
    assert low == pytest.approx(95, abs=1e-6) and high > 95
    assert fit.band_at(fit.pivot)[1] - fit.band_at(fit.pivot)[0] == pytest.approx(2 * fit.spread)
    assert fit.bucket == HOUR


def test_only_aware_datetimes_are_accepted() -> None:
    naive = datetime(2026, 3, 2, 12)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="naive datetime"):
        forecast([Point(naive, 1.0)], START + DAY)
    with pytest.raises(ValueError, match="naive now"):
        forecast([], naive)
    with pytest.raises(ValueError, match="naive"):
        least_squares_eta([Point(naive, 1.0)], 95.0, START + DAY, WEEK)


def test_any_aware_clock_gives_the_same_forecast() -> None:
    points = series.linear_fill(sampling=Sampling(days=9)).points
    paris = timezone(timedelta(hours=2))
    moved = [Point(point.at.astimezone(paris), point.value) for point in points]
    now = START + 8 * DAY
    here, there = forecast(points, now), forecast(moved, now.astimezone(paris))
    assert here.eta == there.eta and here.eta_low == there.eta_low
    assert here.reason == there.reason


def test_arguments_out_of_range_are_refused() -> None:
    with pytest.raises(ValueError, match="coverage"):
        forecast([], START, coverage=1.0)
    with pytest.raises(ValueError, match="window"):
        forecast([], START, window=timedelta(0))


def test_least_squares_is_predict_linear() -> None:
    points = line(45, 2, days=5)
    eta = least_squares_eta(points, 95.0, START + 5 * DAY, WEEK)
    assert eta is not None and abs(eta - (START + 25 * DAY)) < timedelta(seconds=1)
    assert least_squares_eta(line(50, 0, days=3), 95.0, START + 3 * DAY, WEEK) is None
    assert least_squares_eta(line(96, 0, days=3), 95.0, START + 3 * DAY, WEEK) == START + 3 * DAY
    assert least_squares_eta(points[:1], 95.0, START + DAY, WEEK) is None


def test_least_squares_reads_a_rotation_as_a_runaway() -> None:
    sawtooth = series.sawtooth_fill()
    eta = least_squares_eta(sawtooth.points, 95.0, START + timedelta(days=1, hours=2), WEEK)
    assert eta is not None and eta - START < 5 * DAY, "the baseline's false alarm"


def test_durations_read_the_way_people_say_them() -> None:
    assert format_span(timedelta(minutes=45)) == "45 min"
    assert format_span(timedelta(hours=10)) == "10 h"
    assert format_span(DAY) == "1 d"
    assert format_span(timedelta(days=3.5)) == "3.5 d"
    assert format_span(timedelta(days=12.4)) == "12 d"
    assert format_range(timedelta(days=9), timedelta(days=13)) == "9-13 d"
    assert format_range(timedelta(hours=5), timedelta(days=2.5)) == "5 h-2.5 d"
    assert format_range(timedelta(days=4), None) == "4 d-never"


def test_the_forecast_is_timed_at_now_in_utc() -> None:
    result = forecast(series.linear_fill().points, START + 10 * DAY)
    assert result.now.tzinfo is UTC and result.horizon == result.now + 4 * WEEK
    assert result.fitted_to is not None and result.fitted_to <= result.now
