"""A forecast or an anomaly judgement as the forecast book's columns (store.schema.forecasts),
and a threshold forecast's ``Fit`` rebuilt from them.

Plain dicts: the store takes them as they are, and reports and the dashboard draw the fit and
its band again from the columns (``fit_from_row``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from maintd.config.predict import AnomalyWatch, Predict
from maintd.predict.anomaly import Anomaly, Baseline, Score
from maintd.predict.trend import Fit, Forecast

Row = Mapping[str, Any]
# The columns a threshold forecast's Fit is rebuilt from (``fit_from_row``).
FIT_COLUMNS = ("level_now", "slope_per_day", "slope_low_per_day", "slope_high_per_day", "pivot",
               "spread", "bucket")  # fmt: skip


@dataclass(frozen=True)
class BaselineSpan:
    """A baseline and the readings it was fitted on (their first and last times)."""

    baseline: Baseline | None
    first: datetime | None
    last: datetime | None


def threshold_row(forecast: Forecast, predict: Predict) -> dict[str, Any]:
    """The forecast book's columns for a time-to-threshold forecast."""
    fit = forecast.fit
    row: dict[str, Any] = {
        "kind": "threshold", "metric": predict.metric, "method": forecast.method,
        "verdict": forecast.verdict.value, "reason": forecast.reason,
        "reaches": forecast.reaches, "direction": forecast.direction,
        "within": predict.within.total_seconds(), "window": predict.window.total_seconds(),
        "min_history": predict.min_history.total_seconds(), "coverage": forecast.coverage,
        "fitted_from": forecast.fitted_from, "fitted_to": forecast.fitted_to,
        "points_used": forecast.points_used, "segment_started": forecast.segment_started,
        "level_shift": forecast.level_shift,
        "reset_every": forecast.reset_every.total_seconds() if forecast.reset_every else None,
        "eta": forecast.eta, "eta_low": forecast.eta_low, "eta_high": forecast.eta_high,
    }  # fmt: skip
    if fit is not None:
        row |= {
            "level_now": fit.level_now, "slope_per_day": fit.slope_per_day,
            "slope_low_per_day": fit.slope_low_per_day,
            "slope_high_per_day": fit.slope_high_per_day, "pivot": fit.pivot,
            "spread": fit.spread, "bucket": fit.bucket.total_seconds(),
            "season": _season_json(fit.season),
        }  # fmt: skip
    return row


def _season_json(season: tuple[float, ...]) -> str | None:
    return json.dumps([round(offset, 6) for offset in season]) if season else None


def season_from_json(text: str | None) -> tuple[float, ...]:
    """The daily cycle's offsets a forecast row stored (empty: none)."""
    return tuple(float(offset) for offset in json.loads(text)) if text else ()


def fit_from_row(row: Row) -> Fit | None:
    """The ``Fit`` a forecast row stored, or None when it has none (too little data, or an
    anomaly judgement)."""
    if row["kind"] != "threshold" or any(row.get(column) is None for column in FIT_COLUMNS):
        return None
    season = season_from_json(row["season"])
    return Fit(
        now=row["at"], level_now=row["level_now"], slope_per_day=row["slope_per_day"],
        slope_low_per_day=row["slope_low_per_day"], slope_high_per_day=row["slope_high_per_day"],
        pivot=row["pivot"], spread=row["spread"], bucket=timedelta(seconds=row["bucket"]),
        season=season,
    )  # fmt: skip


def anomaly_row(
    watch: AnomalyWatch, span: BaselineSpan, scores: list[Score], anomaly: Anomaly | None
) -> dict[str, Any]:
    """The forecast book's columns for an anomaly judgement: the baseline it used (its season
    in the method; `window` holds its `history`), the readings from the baseline's first to
    the latest judged, and the latest reading's score — or the anomaly's, when there is one."""
    baseline = span.baseline
    row: dict[str, Any] = {
        "kind": "anomaly", "metric": watch.metric,
        "method": f"robust-z/{baseline.season}" if baseline else "robust-z",
        "verdict": "insufficient" if baseline is None else ("anomaly" if anomaly else "normal"),
        "direction": watch.direction, "window": watch.history.total_seconds(),
        "fitted_from": span.first, "fitted_to": scores[-1].at if scores else span.last,
        "points_used": (baseline.points if baseline else 0) + len(scores),
    }  # fmt: skip
    if anomaly is not None:
        row |= {"score": anomaly.score, "expected": anomaly.expected, "since": anomaly.since,
                "band_low": anomaly.band[0], "band_high": anomaly.band[1]}  # fmt: skip
    elif scores and baseline is not None:
        latest, allowed = scores[-1], watch.threshold * baseline.scale
        low, high = latest.expected - allowed, latest.expected + allowed
        row |= {"score": latest.score, "expected": latest.expected,
                "band_low": low, "band_high": high}  # fmt: skip
    return row
