"""Anomalies against a robust, seasonal baseline: bursts found within minutes and never
before they start, one odd reading never alerting, hours judged by their own usual values,
and a temperature drift flagged before the limit is reached."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta

import pytest

from maintd.predict import series
from maintd.predict.anomaly import (
    Baseline,
    Rule,
    Score,
    detect_anomaly,
    detect_drift,
    fit_baseline,
    judge_scores,
    score_points,
)
from maintd.predict.series import Noise, Sampling
from maintd.predict.trend import Point

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
START = series.START


def test_a_burst_of_errors_is_found_within_minutes() -> None:
    errors = series.error_bursts()
    assert errors.truth is not None
    anomaly = detect_anomaly(errors.points, now=errors.truth + 15 * MINUTE)
    assert anomaly is not None and anomaly.kind == "outlier"
    assert anomaly.direction == "up"
    assert errors.truth <= anomaly.since <= errors.truth + 15 * MINUTE
    assert anomaly.score > 10
    assert anomaly.expected == 0 and anomaly.band[1] < 3
    assert anomaly.reason.startswith("3 of the last 5 readings above its overall median, 0")


def test_no_anomaly_before_the_burst() -> None:
    errors = series.error_bursts()
    assert errors.truth is not None
    now = START + 3 * DAY
    while now < errors.truth:
        assert detect_anomaly(errors.points, now=now) is None, now
        now += 2 * HOUR + 5 * MINUTE
    assert detect_anomaly(errors.points, now=errors.truth - 5 * MINUTE) is None


def test_one_odd_reading_never_alerts() -> None:
    history = [Point(START + index * 5 * MINUTE, 50.0 + index % 3) for index in range(600)]
    now = history[-1].at
    odd = [*history[:-1], Point(now, 500.0)]
    assert detect_anomaly(odd, now=now) is None
    three = [*history[:-5], *(Point(point.at, 500.0) for point in history[-5:-2]), *history[-2:]]
    anomaly = detect_anomaly(three, now=now)
    assert anomaly is not None and anomaly.since == history[-5].at


def test_the_persistence_rule_is_configurable() -> None:
    history = [Point(START + index * 5 * MINUTE, 50.0 + index % 3) for index in range(600)]
    now = history[-1].at
    odd = [*history[:-1], Point(now, 500.0)]
    anomaly = detect_anomaly(odd, now=now, rule=Rule(at_least=1, of_last=1))
    assert anomaly is not None and anomaly.reason.startswith("1 of the last 1 readings above")
    assert detect_anomaly(odd, now=now, rule=Rule(at_least=1, of_last=1, direction="down")) is None


def test_a_low_reading_is_an_anomaly_too() -> None:
    history = [Point(START + index * 5 * MINUTE, 50.0 + index % 3) for index in range(600)]
    low = [*history[:-4], *(Point(point.at, 10.0) for point in history[-4:])]
    anomaly = detect_anomaly(low, now=history[-1].at)
    assert anomaly is not None and anomaly.direction == "down" and anomaly.score < -3.5
    assert detect_anomaly(low, now=history[-1].at, rule=Rule(direction="up")) is None


def test_a_slowdown_at_night_is_judged_against_the_night() -> None:
    response = series.response_time()
    assert response.truth is not None
    anomaly = detect_anomaly(response.points, now=response.truth + 20 * MINUTE)
    assert anomaly is not None and anomaly.direction == "up"
    assert anomaly.season == "weekly"
    assert anomaly.reason.split(",")[0].endswith("its median for this hour of the week")
    slow = [p.value or 0 for p in response.points if response.truth <= p.at < response.truth + HOUR]
    slow_night = statistics.median(slow)
    baseline = fit_baseline([p for p in response.points if p.at < response.truth])
    assert baseline is not None
    tuesday_afternoon = datetime(2026, 3, 17, 14, tzinfo=UTC)
    usual = score_points([Point(tuesday_afternoon, slow_night)], baseline)[0]
    assert abs(usual.score) < 3.5, "the same value is normal on a weekday afternoon"


def test_the_quiet_nights_and_busy_afternoons_raise_no_alarm() -> None:
    response = series.response_time()
    assert response.truth is not None
    now = START + 15 * DAY
    while now < response.truth:
        assert detect_anomaly(response.points, now=now) is None, now
        now += 3 * HOUR + 5 * MINUTE


def test_the_season_follows_the_history_available() -> None:
    response = series.response_time()

    def season_after(days: float) -> str:
        baseline = fit_baseline(p for p in response.points if p.at < START + days * DAY)
        assert baseline is not None
        return baseline.season

    assert season_after(1) == "none"
    assert season_after(3) == "daily"
    assert season_after(15) == "weekly"


def test_noise_without_a_cycle_gets_no_profile() -> None:
    flat = series.linear_fill(rate_per_day=0, sampling=Sampling(days=20, noise=Noise(sigma=1)))
    baseline = fit_baseline(flat.points)
    assert baseline is not None and baseline.season == "none" and baseline.profile == ()
    assert baseline.scale == pytest.approx(1, rel=0.1)


def test_a_constant_metric_alerts_on_any_change_unless_told_its_resolution() -> None:
    history = [Point(START + index * 5 * MINUTE, 7.0) for index in range(100)]
    now = history[-1].at
    changed = [*history[:-3], *(Point(point.at, 7.5) for point in history[-3:])]
    assert detect_anomaly(history, now=now) is None
    assert detect_anomaly(changed, now=now) is not None
    assert detect_anomaly(changed, now=now, rule=Rule(min_deviation=1.0)) is None


def test_too_little_history_gives_no_verdict() -> None:
    few = [Point(START + index * HOUR, 50.0 + (90 if index > 6 else 0)) for index in range(10)]
    assert detect_anomaly(few, now=few[-1].at) is None
    assert fit_baseline(few) is None


def test_scores_are_robust_z_values() -> None:
    history = [Point(START + index * MINUTE, 10.0 + (index % 2)) for index in range(100)]
    baseline = fit_baseline(history)
    assert baseline is not None and baseline.season == "none"
    assert baseline.level == 10.5 and baseline.scale == pytest.approx(1.4826 * 0.5)
    [score] = score_points([Point(START + DAY, 12.0)], baseline)
    assert score == Score(START + DAY, 12.0, 10.5, pytest.approx(1.5 / (1.4826 * 0.5)))


def test_judging_needs_the_same_direction_each_time() -> None:
    baseline = Baseline("none", 0.0, 1.0, (), UTC, 100)
    scores = [Score(START + index * MINUTE, value, 0.0, value)
              for index, value in enumerate([9.0, -9.0, 9.0, -9.0, 0.0])]  # fmt: skip
    assert judge_scores(scores, baseline, Rule()) is None
    assert judge_scores(scores, baseline, Rule(at_least=2)) is not None


def test_a_rule_must_make_sense() -> None:
    with pytest.raises(ValueError, match="at_least"):
        Rule(at_least=6, of_last=5)
    with pytest.raises(ValueError, match="threshold"):
        Rule(threshold=0)


def test_only_aware_datetimes_are_accepted() -> None:
    naive = datetime(2026, 3, 2, 12)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="naive"):
        detect_anomaly([Point(naive, 1.0)], now=START + DAY)


def test_a_temperature_drift_is_flagged_before_the_limit_is_reached() -> None:
    heat = series.temperature()
    assert heat.truth is not None
    first = None
    now = START + 2 * DAY
    while now < heat.truth and first is None:
        drift = detect_drift(heat.points, limit=64.0, within=7 * DAY, now=now)
        if drift is not None:
            first = drift
        now += 6 * HOUR
    assert first is not None, "the limit was reached unannounced"
    assert first.forecast is not None and first.forecast.now < heat.truth
    lead = heat.truth - first.forecast.now
    assert 5 * DAY < lead <= 7 * DAY + 6 * HOUR, lead
    assert first.kind == "drift" and first.direction == "up" and first.season == "daily"
    assert first.reason.startswith("drifting +0.4")
    assert "reaches 64 in" in first.reason and first.score > 3
    assert first.band[0] < first.expected < first.band[1]


def test_a_steady_temperature_is_no_drift() -> None:
    steady = series.temperature(drift_per_day=0.0)
    for day in (3, 10, 20, 29):
        now = START + day * DAY
        assert detect_drift(steady.points, limit=64.0, within=7 * DAY, now=now) is None


def test_a_drift_already_past_the_limit_says_so() -> None:
    heat = series.temperature()
    drift = detect_drift(heat.points, limit=54.0, within=7 * DAY, now=START + 20 * DAY)
    assert drift is not None and drift.reason == "already at or above 54"
