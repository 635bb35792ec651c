"""The predict stage: recorded metrics become warnings before anything breaks.

Takes one metric's readings — ``Point(at, value)`` for a (task, host, perfdata label), raw or
the store's hourly rows, with the time now — and hands on typed verdicts for the store, the
CLI and incidents: a ``Forecast`` of when a threshold is reached, with an interval and a
reason (``trend``); an ``Anomaly``, readings unlike the metric's own past or a drift toward
a limit (``anomaly``); and for recorded history a ``BacktestResult`` scoring how early and
how falsely forecasts warned (``backtest``). ``robust`` holds the median-based statistics
they build on; ``series`` generates realistic series with a known answer for tests and
benchmarks. Pure: no database, no clock, no I/O, standard library only.
"""

from maintd.predict.anomaly import (
    Anomaly,
    Baseline,
    Rule,
    Score,
    detect_anomaly,
    detect_drift,
    fit_baseline,
    judge_scores,
    score_points,
)
from maintd.predict.backtest import BacktestResult, MethodScore, backtest
from maintd.predict.trend import (
    Fit,
    Forecast,
    Point,
    Verdict,
    forecast_threshold,
    least_squares_eta,
)

__all__ = [
    "Anomaly",
    "BacktestResult",
    "Baseline",
    "Fit",
    "Forecast",
    "MethodScore",
    "Point",
    "Rule",
    "Score",
    "Verdict",
    "backtest",
    "detect_anomaly",
    "detect_drift",
    "fit_baseline",
    "forecast_threshold",
    "judge_scores",
    "least_squares_eta",
    "score_points",
]
