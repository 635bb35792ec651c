"""After a run, the predict stage for its series, in one place:

    metrics ──read──▶ predict (forecast, anomaly) ──▶ signal ──▶ forecast book
                                                          └──▶ ForesightDesk ──▶ incidents
                                                                        └──▶ `prevent:` plugin

``Forecaster.after_run`` is what the fire pipeline calls once a run of a task with `predict:`
or `anomaly:` is recorded. A threshold forecast is made at most every `predict.every` per
(task, host) — a week of history moves little in minutes — while an anomaly rule judges the
latest readings after every run against a baseline refitted hourly. Every judgement is a row
of the forecast book; incidents follow the signal (``predict.signal``). Nothing here may stop
a fire: errors are logged and the run stays recorded.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from maintd.config.model import Task
from maintd.config.predict import AnomalyWatch, Predict
from maintd.predict import Point, Rule, fit_baseline, forecast_threshold, judge_scores, score_points
from maintd.predict.anomaly import Anomaly, Baseline, Score
from maintd.predict.signal import Signal, anomaly_signal, threshold_signal
from maintd.predict.trend import EXTRAPOLATION, Forecast, clean_points
from maintd.report.maintlog import MaintenanceLog
from maintd.respond.foresight import Change, ForesightDesk, Judgement
from maintd.respond.remedy import run_for_incident
from maintd.results import interpret
from maintd.status import Status
from maintd.store.forecasts import ForecastBook
from maintd.store.incidents import IncidentBook
from maintd.store.series import read_latest, read_series

if TYPE_CHECKING:
    from maintd.pipeline import Site

log = logging.getLogger("maintd.predict")
BASELINE_REFIT_SECONDS = 3600.0  # a baseline of weeks barely moves in an hour
JUST_BEFORE = timedelta(microseconds=1)  # the baseline ends before the readings it judges


@dataclass
class _CachedBaseline:
    fitted: float  # time.monotonic() of the fit
    baseline: Baseline | None
    first: datetime | None
    last: datetime | None


class Forecaster:
    """Forecasts and anomaly judgements after runs; safe to call from the fire threads."""

    def __init__(
        self,
        incidents: IncidentBook,
        maintenance_log: MaintenanceLog,
        on_incident: Callable[[], None],
    ) -> None:
        engine = incidents.engine
        self.engine = engine
        self.forecasts = ForecastBook(engine)
        self.incidents = incidents
        self.desk = ForesightDesk(incidents)
        self.log = maintenance_log
        self.on_incident = on_incident
        self._last_forecast: dict[tuple[str, str], float] = {}
        self._baselines: dict[tuple[str, str, str], _CachedBaseline] = {}
        self._lock = threading.Lock()

    def after_run(self, site: Site, task: Task, host: str, now: datetime | None = None) -> None:
        """Judge the series of ``task`` on ``host`` that its settings ask for."""
        now = now or datetime.now(UTC)
        for watch, judge in ((task.predict, self._forecast), (task.anomaly, self._judge_anomaly)):
            if watch is None:
                continue
            try:
                judge(site, task, host, now)
            except Exception:  # a forecast must never take a fire down
                log.exception("forecast of %s@%s failed", task.name, host)

    def _forecast(self, site: Site, task: Task, host: str, now: datetime) -> None:
        predict = task.predict
        assert predict is not None  # noqa: S101 - after_run checked
        if not self._due((task.name, host), predict.every.total_seconds()):
            return
        readings = read_series(self.engine, task.name, host, predict.metric,
                               since=now - predict.window, until=now)  # fmt: skip
        forecast = forecast_threshold(
            [Point(at, value) for at, value in readings], reaches=predict.reaches, now=now,
            window=predict.window, min_history=predict.min_history, coverage=predict.coverage,
            direction=predict.direction,
            horizon=max(EXTRAPOLATION * predict.window, predict.within),
        )  # fmt: skip
        signal = threshold_signal(forecast, predict.within)
        previous = self.forecasts.previous("threshold", task.name, host, predict.metric)
        verb = "reach" if predict.direction == "up" else "fall to"
        change, incident_id = self._respond(
            site, task, host, now, kind="predicted", signal=signal, previous=previous,
            title=f"{task.name} on {host}: {predict.metric} forecast to {verb} {predict.reaches:g}",
            summary=f"{predict.metric} {forecast.reason}", severity=predict.severity,
        )  # fmt: skip
        self.forecasts.record(
            {**threshold_row(forecast, predict), "task": task.name, "host": host, "at": now,
             "signal": signal.value, "incident_id": incident_id}
        )  # fmt: skip
        if incident_id is not None and change is not Change.RESOLVED:
            self._prevent(site, task, host, incident_id=incident_id, forecast=forecast, now=now)

    def _judge_anomaly(self, site: Site, task: Task, host: str, now: datetime) -> None:
        watch = task.anomaly
        assert watch is not None  # noqa: S101 - after_run checked
        rule = Rule(threshold=watch.threshold, at_least=watch.at_least, of_last=watch.of_last,
                    direction=watch.direction, min_deviation=watch.min_deviation)  # fmt: skip
        latest = clean_points(
            Point(at, value)
            for at, value in read_latest(self.engine, task.name, host, watch.metric, rule.of_last)
        )
        cached = self._baseline(task.name, host, watch, now, before=latest[0].at if latest else now)
        baseline = cached.baseline
        anomaly = None
        scores = []
        if baseline is not None and latest:
            scores = score_points(latest, baseline)
            anomaly = judge_scores(scores, baseline, rule)
        signal = anomaly_signal(anomaly is not None, baseline is not None and bool(latest))
        previous = self.forecasts.previous("anomaly", task.name, host, watch.metric)
        if anomaly is not None:
            reason = anomaly.reason
        elif baseline is None:
            reason = "too little history for a baseline"
        else:
            reason = f"the last {len(scores)} readings are within the baseline"
        _, incident_id = self._respond(
            site, task, host, now, kind="anomaly", signal=signal, previous=previous,
            title=f"{task.name} on {host}: {watch.metric} unlike its own past",
            summary=f"{watch.metric}: {reason}", severity=watch.severity,
        )  # fmt: skip
        self.forecasts.record(
            anomaly_row(watch, cached, scores, anomaly)
            | {"task": task.name, "host": host, "at": now, "reason": reason,
               "signal": signal.value, "incident_id": incident_id}
        )  # fmt: skip

    def _baseline(
        self, task: str, host: str, watch: AnomalyWatch, now: datetime, before: datetime
    ) -> _CachedBaseline:
        """The series' baseline from the history before the readings judged, refitted hourly."""
        key = (task, host, watch.metric)
        cached = self._baselines.get(key)
        if cached is not None and time.monotonic() - cached.fitted < BASELINE_REFIT_SECONDS:
            return cached
        readings = read_series(self.engine, task, host, watch.metric,
                               since=now - watch.history, until=before - JUST_BEFORE)  # fmt: skip
        history = clean_points(Point(at, value) for at, value in readings)
        cached = _CachedBaseline(
            time.monotonic(), fit_baseline(history),
            history[0].at if history else None, history[-1].at if history else None,
        )  # fmt: skip
        self._baselines[key] = cached
        return cached

    def _respond(  # noqa: PLR0913 - a series' judgement and how to word it
        self, site: Site, task: Task, host: str, now: datetime, *, kind: str, signal: Signal,
        previous: dict[str, Any] | None, title: str, summary: str, severity: str | None,
    ) -> tuple[Change, int | None]:  # fmt: skip
        """Apply a judgement to the series' incident; log and wake the desk on a change."""
        judgement = Judgement(
            kind=kind, task=task.name, host=host, at=now, signal=signal,
            previous=Signal(previous["signal"]) if previous else None, title=title,
            summary=summary, severity=severity or site.severity(task.name, Status.WARNING),
            reopen_within=site.policy(task.name).reopen_within,
        )  # fmt: skip
        change, incident_id = self.desk.apply(judgement)
        if change not in (Change.NONE, Change.UPDATED):
            self.log.event(f"incident {change}: {task.name}@{host} {kind}: {summary}", now)
            self.on_incident()
        return change, incident_id

    def _prevent(  # noqa: PLR0913 - the incident and the forecast it is for
        self, site: Site, task: Task, host: str, *, incident_id: int, forecast: Forecast,
        now: datetime,
    ) -> None:  # fmt: skip
        """Run the `prevent:` plugin once the earliest predicted time is `before` away. It runs
        right after a run of its task, so inside the task's window and outside its blackouts
        (change freezes) by construction: the planner let that run start."""
        prevent = task.predict.prevent if task.predict else None
        if prevent is None or forecast.eta_low is None or now < forecast.eta_low - prevent.before:
            return

        def run(helper: Task, on: str) -> tuple[Status, str]:
            result = interpret(site.runner.run_one(helper, on).raw)
            return result.status, result.summary

        ran = run_for_incident(
            self.incidents, incident_id, task, host, helper=prevent, label="prevention", run=run
        )
        if ran:
            self.log.event(f"prevention {prevent.check} ran for {task.name}@{host}", now)

    def _due(self, key: tuple[str, str], every: float) -> bool:
        """Whether the series' forecast is due (and note that it is being made)."""
        with self._lock:
            last = self._last_forecast.get(key)
            if last is not None and time.monotonic() - last < every:
                return False
            self._last_forecast[key] = time.monotonic()
            return True


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


def anomaly_row(
    watch: AnomalyWatch, cached: _CachedBaseline, scores: list[Score], anomaly: Anomaly | None
) -> dict[str, Any]:
    """The forecast book's columns for an anomaly judgement: the baseline it used (its season
    in the method), and the latest reading's score — or the anomaly's, when there is one."""
    baseline = cached.baseline
    row: dict[str, Any] = {
        "kind": "anomaly", "metric": watch.metric,
        "method": f"robust-z/{baseline.season}" if baseline else "robust-z",
        "verdict": "insufficient" if baseline is None else ("anomaly" if anomaly else "normal"),
        "direction": watch.direction, "window": watch.history.total_seconds(),
        "fitted_from": cached.first, "fitted_to": cached.last,
        "points_used": baseline.points if baseline else 0,
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
