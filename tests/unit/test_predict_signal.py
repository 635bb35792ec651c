"""What forecasts mean for incidents: warn inside `within`, hold just beyond it and on missing
data, clear when the forecast no longer says so; an incident resolves on the second clear."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from maintd.predict import Forecast, Point, Verdict, forecast_threshold
from maintd.predict.signal import Signal, anomaly_signal, resolves, threshold_signal

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
WITHIN = timedelta(days=14)


def a_forecast() -> Forecast:
    points = [Point(NOW - timedelta(hours=i), 50 + (72 - i) * 0.1) for i in range(72)]
    return forecast_threshold(points, reaches=95, now=NOW, window=timedelta(days=7),
                              min_history=timedelta(days=1))  # fmt: skip


def eta_in(days: float, verdict: Verdict = Verdict.REACHES) -> Forecast:
    eta = NOW + timedelta(days=days)
    return replace(a_forecast(), verdict=verdict, eta=eta, eta_low=eta, eta_high=eta)


def test_the_generated_forecast_is_a_real_one() -> None:
    forecast = a_forecast()
    assert forecast.verdict is Verdict.REACHES and forecast.eta is not None


@pytest.mark.parametrize(
    ("days", "expected"),
    [(1, Signal.WARN), (14, Signal.WARN), (15, Signal.HOLD), (17.5, Signal.HOLD),
     (17.6, Signal.CLEAR), (40, Signal.CLEAR)],
)  # fmt: skip
def test_an_eta_warns_within_holds_in_the_margin_and_clears_beyond(
    days: float, expected: Signal
) -> None:
    assert threshold_signal(eta_in(days), WITHIN) is expected


def test_already_there_warns() -> None:
    assert threshold_signal(eta_in(0, Verdict.ALREADY), WITHIN) is Signal.WARN


@pytest.mark.parametrize(
    "verdict", [Verdict.NOT_HEADING, Verdict.BEYOND, Verdict.RESET_FIRST, Verdict.UNCLEAR]
)
def test_a_forecast_that_no_longer_says_so_clears(verdict: Verdict) -> None:
    forecast = replace(a_forecast(), verdict=verdict, eta=None, eta_low=None, eta_high=None)
    assert threshold_signal(forecast, WITHIN) is Signal.CLEAR


def test_too_little_data_holds_unless_a_reset_started_the_history_over() -> None:
    bare = replace(a_forecast(), verdict=Verdict.INSUFFICIENT, eta=None, segment_started=None)
    assert threshold_signal(bare, WITHIN) is Signal.HOLD
    after_reset = replace(bare, segment_started=NOW - timedelta(hours=2))
    assert threshold_signal(after_reset, WITHIN) is Signal.CLEAR


def test_anomaly_signals() -> None:
    assert anomaly_signal(found=True, judged=True) is Signal.WARN
    assert anomaly_signal(found=False, judged=True) is Signal.CLEAR
    assert anomaly_signal(found=False, judged=False) is Signal.HOLD
    assert anomaly_signal(found=True, judged=True, new_reading=False) is Signal.HOLD


def test_only_the_second_clear_in_a_row_resolves() -> None:
    assert resolves(Signal.CLEAR, Signal.CLEAR)
    for previous in (None, Signal.WARN, Signal.HOLD):
        assert not resolves(Signal.CLEAR, previous)
    assert not resolves(Signal.HOLD, Signal.CLEAR)
    assert not resolves(Signal.WARN, Signal.CLEAR)
