"""After a run, the predict stage for its series, in one place:

    metrics ──read──▶ predict (forecast, anomaly) ──▶ signal ──▶ forecast book
                                                          └──▶ ForesightDesk ──▶ incidents
                                                                        └──▶ `prevent:` plugin

``Forecaster.after_run`` is what the fire pipeline calls once a run of a task with `predict:`
or `anomaly:` has recorded the plugin's verdict (a run that never reached the plugin measured
nothing new: it is not judged). A threshold forecast is made at most every `predict.every` per
(task, host) — a week of history moves little in minutes — while an anomaly rule judges the
latest readings after every run against a baseline refitted hourly. Every judgement is a row
of the forecast book; incidents follow the signal (``predict.signal``). ``reconcile`` resolves
the incidents of series the calendar no longer watches. Nothing here may stop a fire: errors
are logged and the run stays recorded.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from maintd.config.model import Task
from maintd.config.predict import AnomalyWatch
from maintd.predict import Point, Rule, fit_baseline, forecast_threshold, judge_scores, score_points
from maintd.predict.rows import BaselineSpan, anomaly_row, threshold_row
from maintd.predict.signal import Signal, anomaly_signal, threshold_signal
from maintd.predict.trend import Forecast, clean_points, horizon_for
from maintd.report.maintlog import MaintenanceLog
from maintd.respond.foresight import Change, ForesightDesk, Judgement
from maintd.respond.remedy import run_for_incident
from maintd.status import Status
from maintd.store.forecasts import ForecastBook
from maintd.store.incidents import IncidentBook, Step
from maintd.store.series import read_latest, read_series

if TYPE_CHECKING:
    from maintd.pipeline import Site

log = logging.getLogger("maintd.predict")
BASELINE_REFIT_SECONDS = 3600.0  # a baseline of weeks barely moves in an hour
JUST_BEFORE = timedelta(microseconds=1)  # the baseline ends before the readings it judges
KIND_TO_WATCH = {"predicted": "predict", "anomaly": "anomaly"}  # incident kind → task key


@dataclass(frozen=True)
class _CachedBaseline:
    fitted: float  # time.monotonic() of the fit
    zone: tzinfo
    span: BaselineSpan


class Forecaster:
    """Forecasts and anomaly judgements after runs; safe to call from the fire threads."""

    def __init__(
        self,
        incidents: IncidentBook,
        maintenance_log: MaintenanceLog,
        on_incident: Callable[[], None],
        stopping: threading.Event | None = None,
    ) -> None:
        self.engine = incidents.engine
        self.forecasts = ForecastBook(self.engine)
        self.incidents = incidents
        self.desk = ForesightDesk(incidents)
        self.log = maintenance_log
        self.on_incident = on_incident
        self.stopping = stopping or threading.Event()  # set: no prevention starts any more
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

    def reconcile(self, site: Site, now: datetime | None = None) -> int:
        """Resolve the open predicted and anomaly incidents whose series the calendar no longer
        watches (task, host or watch removed, metric renamed): no forecast would ever clear
        them. Return how many were resolved."""
        now = now or datetime.now(UTC)
        resolved = 0
        for incident in self.incidents.listing():
            reason = self._unwatched(site, incident)
            if reason is None:
                continue
            text = f"no longer forecast: {reason}"
            self.incidents.resolve(incident["id"], Step(now, "resolved", text, incident["status"]))
            self.log.event(f"incident resolved: #{incident['id']} {incident['title']}: {text}")
            resolved += 1
        if resolved:
            self.on_incident()
        return resolved

    def _unwatched(self, site: Site, incident: dict[str, Any]) -> str | None:
        """Why an open incident's series is no longer watched, or None (also for incidents
        that are not forecasts)."""
        key = KIND_TO_WATCH.get(incident["kind"])
        if key is None:
            return None
        task = site.planner.tasks.get(incident["task"])
        watch = getattr(task, key) if task is not None else None
        if task is None or watch is None:
            return f"the calendar has no task {incident['task']} with `{key}:`"
        if incident["host"] not in site.planner.hosts.get(task.name, ()):
            return f"{task.name} no longer runs on {incident['host']}"
        last = self.forecasts.of_incident(incident["id"])
        if last is not None and last["metric"] != watch.metric:
            return f"{task.name} now watches {watch.metric}, not {last['metric']}"
        return None

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
            horizon=horizon_for(predict.window, predict.within),
        )  # fmt: skip
        signal = threshold_signal(forecast, predict.within)
        previous = self.forecasts.previous("threshold", task.name, host, predict.metric)
        verb = "reach" if predict.direction == "up" else "fall to"
        incident_id = self._respond(
            site, task, host, now, kind="predicted", signal=signal, previous=previous,
            title=f"{task.name} on {host}: {predict.metric} forecast to {verb} {predict.reaches:g}",
            summary=f"{predict.metric} {forecast.reason}", severity=predict.severity,
        )  # fmt: skip
        self.forecasts.record(
            {**threshold_row(forecast, predict), "task": task.name, "host": host, "at": now,
             "signal": signal.value, "incident_id": incident_id}
        )  # fmt: skip
        if incident_id is not None and signal is Signal.WARN:
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
        first = latest[0].at if latest else now
        span = self._baseline(task.name, host, watch, now, before=first, zone=site.calendar.zone)
        baseline = span.baseline
        scores = score_points(latest, baseline) if baseline is not None else []
        anomaly = judge_scores(scores, baseline, rule) if baseline is not None and scores else None
        previous = self.forecasts.previous("anomaly", task.name, host, watch.metric)
        # An anomaly row's fitted_to is the latest reading it judged (predict.rows).
        seen = previous is not None and bool(scores) and previous["fitted_to"] == scores[-1].at
        signal = anomaly_signal(anomaly is not None, bool(scores), new_reading=not seen)
        if anomaly is not None:
            reason = anomaly.reason
        elif baseline is None:
            reason = "too little history for a baseline"
        else:
            reason = f"the last {len(scores)} readings are within the baseline"
        incident_id = self._respond(
            site, task, host, now, kind="anomaly", signal=signal, previous=previous,
            title=f"{task.name} on {host}: {watch.metric} unlike its own past",
            summary=f"{watch.metric}: {reason}", severity=watch.severity,
        )  # fmt: skip
        self.forecasts.record(
            anomaly_row(watch, span, scores, anomaly)
            | {"task": task.name, "host": host, "at": now, "reason": reason,
               "signal": signal.value, "incident_id": incident_id}
        )  # fmt: skip

    def _baseline(  # noqa: PLR0913 - a series, its settings, where its history ends, its zone
        self, task: str, host: str, watch: AnomalyWatch, now: datetime, *, before: datetime,
        zone: tzinfo,
    ) -> BaselineSpan:  # fmt: skip
        """The series' baseline from the history before the readings judged, refitted hourly,
        its daily and weekly profiles in the calendar's local time (a business-hours load
        keeps its shape across a daylight-saving change)."""
        key = (task, host, watch.metric)
        cached = self._baselines.get(key)
        fresh = cached is not None and time.monotonic() - cached.fitted < BASELINE_REFIT_SECONDS
        if cached is not None and fresh and cached.zone == zone:
            return cached.span
        readings = read_series(self.engine, task, host, watch.metric,
                               since=now - watch.history, until=before - JUST_BEFORE)  # fmt: skip
        history = clean_points(Point(at, value) for at, value in readings)
        span = BaselineSpan(fit_baseline(history, zone=zone),
                            history[0].at if history else None,
                            history[-1].at if history else None)  # fmt: skip
        self._baselines[key] = _CachedBaseline(time.monotonic(), zone, span)
        return span

    def _respond(  # noqa: PLR0913 - a series' judgement and how to word it
        self, site: Site, task: Task, host: str, now: datetime, *, kind: str, signal: Signal,
        previous: dict[str, Any] | None, title: str, summary: str, severity: str | None,
    ) -> int | None:  # fmt: skip
        """Apply a judgement to the series' incident (return its id, None without one); log
        and wake the desk on a change."""
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
        return incident_id

    def _prevent(  # noqa: PLR0913 - the incident and the forecast it is for
        self, site: Site, task: Task, host: str, *, incident_id: int, forecast: Forecast,
        now: datetime,
    ) -> None:  # fmt: skip
        """Run the `prevent:` plugin once the earliest predicted time is `before` away.

        A prevention changes the host (it deletes, restarts, rotates), so it is planned as a
        disruptive run of its task: not in a blackout that holds disruptive work (a change
        freeze), not while the task's window is closed. Deferred, it uses no attempt and is
        tried again after the next forecast."""
        prevent = task.predict.prevent if task.predict else None
        if prevent is None or forecast.eta_low is None or now < forecast.eta_low - prevent.before:
            return
        if self.stopping.is_set():
            return
        held = site.planner.skip_reason(task.model_copy(update={"disruptive": True}), now)
        if held is not None:
            log.info("prevention %s for %s@%s deferred: %s", prevent.check, task.name, host, held)
            return
        ran = run_for_incident(self.incidents, incident_id, task, host, helper=prevent,
                               label="prevention", run=site.run_plugin)  # fmt: skip
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
