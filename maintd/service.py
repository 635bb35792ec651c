"""`maintd run`: the stages wired into the long-running service.

Start: load and check the calendar, open (and migrate) the store, mark this node's RUNNING rows
INTERRUPTED, record or run the fires that fell due while it was down (by each task's catch-up
policy), then schedule every (task, host). Reload: a new calendar is validated first and only
then replaces the old one; jobs that did not change are kept. Stop: no new fires, running ones
get a grace period, whatever is still running is recorded INTERRUPTED. The HTTP endpoint
(/metrics, /healthz, /readyz and the dashboard; service_endpoint.py) follows the calendar's
`http:` through all three.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from maintd.config.model import Calendar
from maintd.config.types import EnvSecret, FileSecret
from maintd.errors import ConfigError
from maintd.execute import Runner
from maintd.forecasting import Forecaster
from maintd.pipeline import FireProcessor, Site
from maintd.plan import Planner
from maintd.plugins import Catalog
from maintd.plugins.isolated import load_checked_isolated
from maintd.report.maintlog import MaintenanceLog
from maintd.respond import Responder, Result
from maintd.respond.desk import ResponseDesk
from maintd.respond.notify import Notifier
from maintd.runtime import release_free_memory
from maintd.schedule.catchup import Action, Overdue, overdue_fires
from maintd.schedule.gate import LateFires
from maintd.schedule.scheduler import Scheduler
from maintd.service_endpoint import DaemonEndpoint
from maintd.status import Status
from maintd.store import (
    DeliveryBook,
    IncidentBook,
    Ledger,
    SilenceBook,
    apply_retention,
    checkpoint,
    open_store,
)
from maintd.store.ledger import LedgerWriteError

log = logging.getLogger("maintd.service")
STOP_GRACE_SECONDS = 30.0
IDLE_CONNECTION_SECONDS = 300.0
RETENTION_EVERY_SECONDS = 3600.0
RESPOND_EVERY_SECONDS = 10.0  # the response desk's pace (it is also woken by every incident)
REMEMBER_RESULTS = timedelta(days=2)  # how far back the responder's memory is rebuilt
REMEMBER_ROWS = 200_000


@dataclass(frozen=True)
class Settings:
    """Where the service reads and writes."""

    calendar: Path
    database: str
    log_dir: Path
    stop_grace: float = STOP_GRACE_SECONDS
    respond_every: float = RESPOND_EVERY_SECONDS


class MaintenanceService:
    """The daemon's stages, started, reloaded and stopped by ``schedule.process.serve``."""

    def __init__(self, settings: Settings, loaded: tuple[Calendar, Catalog] | None = None) -> None:
        """``loaded``: the calendar already read for ``settings.calendar``, if any."""
        self.settings = settings
        self._first = loaded
        self.ledger: Ledger | None = None
        self.processor: FireProcessor | None = None
        self.scheduler: Scheduler | None = None
        self.notifier: Notifier | None = None
        self.desk: ResponseDesk | None = None
        self.forecaster: Forecaster | None = None
        self.late = LateFires()
        self.left_running = 0  # checks still running when the stop grace ran out
        self.last_retention = 0.0
        self.scheduling = False  # the scheduler has started taking fires
        self.fire_workers = 0
        self.endpoint = DaemonEndpoint(self)

    def start(self) -> str:
        """Bring the service up; return the READY status. Raises ConfigError for a bad
        calendar (the daemon does not start on one)."""
        first, self._first = self._first, None
        site = self._site(*first) if first else self._load_site(None)
        self.ledger = open_store(self.settings.database)
        maintenance_log = MaintenanceLog(self.settings.log_dir, site.calendar.zone)
        self.endpoint.follow(site.calendar, maintenance_log)  # /readyz says what is not up yet
        interrupted = self.ledger.interrupt_running("maintd stopped while this check ran")
        self.processor = FireProcessor(site, self.ledger, maintenance_log)
        self.processor.responder = self._responder()
        self.endpoint.count_runs(self.ledger, self.processor, _pairs(site))
        self._start_response(site, maintenance_log)
        limits = site.calendar.defaults.concurrency
        self.fire_workers = limits.total
        processor = self.processor
        self.scheduler = Scheduler(
            self.late.held(processor.handle),
            self.late.held_dropped(processor.dropped),
            limits.total,
        )
        # The catch-up covers the fires before this instant, the scheduler those from it on:
        # none falls between them, however long the catch-up takes to write.
        cut = datetime.now(UTC)
        caught_up = self._catch_up(site, cut)
        changes = self.scheduler.apply(site.calendar, site.planner, since=cut)
        self.scheduler.start()
        self.scheduling = True
        release_free_memory()
        maintenance_log.event(
            f"started: {changes.added} jobs from {self.settings.calendar}, "
            f"{interrupted} interrupted runs closed, {caught_up}"
        )
        return self.status_text()

    def reload(self) -> str:
        """Apply a changed calendar, or keep the running one when the new one is wrong."""
        assert self.processor is not None and self.scheduler is not None  # noqa: S101
        old = self.processor.site
        try:
            site = self._load_site(old.runner)
        except ConfigError as error:
            for problem in error.problems:
                log.error("reload refused: %s", problem)
            summary = _first_problem(error)
            self.processor.log.event(f"reload refused, old calendar kept: {summary}")
            return f"reload refused: {summary}; {self.status_text()}"
        self.processor.site = site
        if self.desk is not None:
            self.desk.configure(site.calendar, site.planner)
        self._reconcile_forecasts(site)
        changes = self.scheduler.apply(site.calendar, site.planner)
        self.endpoint.retain_pairs(_pairs(site))
        self.endpoint.follow(site.calendar, self.processor.log)
        release_free_memory()
        self.processor.log.event(
            f"reload applied: {changes.added} jobs added or changed, {changes.removed} removed, "
            f"{changes.kept} kept"
        )
        return self.status_text()

    def stop(self) -> None:
        """Take no new fires, give running ones a grace period, record the rest INTERRUPTED.
        Checks still running then are left to the caller, who ends the process without
        waiting for them (``left_running`` says how many)."""
        if self.processor is None or self.scheduler is None or self.ledger is None:
            return
        self.processor.stopping.set()
        self.scheduler.pause()
        self.late.stop()
        deadline = time.monotonic() + self.settings.stop_grace
        while self.processor.running and time.monotonic() < deadline:
            time.sleep(0.1)
        left = self.left_running = self.processor.running
        self.scheduler.shutdown(wait=False)
        self.processor.flush_pending()
        try:
            interrupted = self.ledger.interrupt_running("maintd stopped before the check finished")
        except LedgerWriteError as error:  # the next start marks them INTERRUPTED instead
            log.error("could not mark the running checks interrupted: %s", error.reason)
            interrupted = 0
        self.endpoint.stop()
        if self.desk is not None and self.notifier is not None:
            self.desk.stop()
            self.notifier.stop()  # what is still queued is sent after the next start
        if not left:
            # With checks still running, closing their connections would wake them to complete
            # their INTERRUPTED rows with a connection error; the process exit closes them.
            self.processor.site.runner.close()
        self.processor.log.event(
            f"stopped ({left} checks still running, {interrupted} interrupted)"
        )
        self.processor.log.close()
        self.ledger.close()

    def heartbeat_age(self) -> float:
        return self.scheduler.heartbeat_age() if self.scheduler else 0.0

    def status_text(self) -> str:
        """One line for `systemctl status`: next fire and checks running."""
        if self.scheduler is None or self.processor is None:
            return "starting"
        upcoming = self.scheduler.next_fire()
        when = upcoming.isoformat(timespec="seconds") if upcoming else "none"
        text = f"{self.processor.running} checks running; next fire {when}"
        problem = self.problem()
        return text if problem is None else f"{problem}; {text}"

    def problem(self) -> str | None:
        """What keeps the daemon from recording its work (rows waiting for a database that
        refuses writes), or None."""
        return None if self.processor is None else self.processor.store_problem()

    def housekeeping(self) -> None:
        """Write rows that waited for the database, close idle SSH connections, apply
        retention hourly, fold the SQLite WAL back. A step that fails (the database's disk is
        full) is logged and the others go on: housekeeping never stops the daemon."""
        if self.processor is None or self.ledger is None:
            return
        for step in (
            self.processor.flush_pending,
            lambda: self.processor.site.runner.ssh.close_idle(IDLE_CONNECTION_SECONDS),
            self._apply_retention,
            functools.partial(checkpoint, self.ledger.engine),
        ):
            try:
                step()
            except Exception:
                log.exception("housekeeping step failed; the daemon goes on")

    def _apply_retention(self) -> None:
        """Hourly: remove or fold what the calendar's retention no longer keeps."""
        assert self.processor is not None and self.ledger is not None  # noqa: S101
        if time.monotonic() - self.last_retention > RETENTION_EVERY_SECONDS:
            self.last_retention = time.monotonic()
            keep = self.processor.site.calendar.retention
            pruned = apply_retention(
                self.ledger.engine,
                runs_for=keep.runs,
                metrics_for=keep.metrics,
                hourly_for=keep.metrics_hourly,
                incidents_for=keep.incidents,
                forecasts_for=keep.forecasts,
            )
            if any(dataclasses.astuple(pruned)):
                self.processor.log.event(
                    f"retention: {pruned.runs} old runs removed, {pruned.metrics_folded} metric "
                    f"points folded into {pruned.hourly_rows} hourly rows, {pruned.incidents} "
                    f"closed incidents and {pruned.forecasts} old forecasts removed"
                )

    def _start_response(self, site: Site, maintenance_log: MaintenanceLog) -> None:
        """Start the notification queue and the response desk; disruptive runs get silences,
        runs of tasks with `predict:` or `anomaly:` get forecasts."""
        assert self.ledger is not None and self.processor is not None  # noqa: S101
        engine = self.ledger.engine
        silences = SilenceBook(engine)
        self.notifier = Notifier(DeliveryBook(engine), self._notify_urls)
        self.desk = ResponseDesk(
            IncidentBook(engine), silences, self.notifier.send, maintenance_log.event
        )
        self.desk.configure(site.calendar, site.planner)
        self.processor.silences = silences
        self.processor.on_incident = self.desk.wake
        self.forecaster = Forecaster(
            IncidentBook(engine), maintenance_log, self.desk.wake, self.processor.stopping
        )
        self.processor.after_measuring = self.forecaster.after_run
        self._reconcile_forecasts(site)
        self.notifier.start()
        self.desk.start(self.settings.respond_every)

    def _reconcile_forecasts(self, site: Site) -> None:
        """Resolve forecast incidents of series the calendar stopped watching (never fatal)."""
        if self.forecaster is None:
            return
        try:
            self.forecaster.reconcile(site)
        except Exception:  # a start or a reload must not fail on bookkeeping
            log.exception("could not reconcile forecast incidents with the calendar")

    def _notify_urls(self, name: str) -> list[str | EnvSecret | FileSecret]:
        """The URLs of a notify list of the calendar in force (read when a message is sent)."""
        assert self.processor is not None  # noqa: S101
        return list(self.processor.site.calendar.notify.get(name, []))

    def _responder(self) -> Responder:
        """The responder, its memory rebuilt from the last two days of the ledger."""
        assert self.ledger is not None and self.processor is not None  # noqa: S101
        processor = self.processor
        responder = Responder(
            IncidentBook(self.ledger.engine), processor.policy, processor.severity
        )
        since = datetime.now(UTC) - REMEMBER_RESULTS
        rows = self.ledger.history(since=since, limit=REMEMBER_ROWS)
        responder.warm(
            Result(row["task"], row["host"], Status(row["status"]), row["summary"] or "",
                   row["finished_at"] or row["scheduled_for"])
            for row in reversed(rows)
        )  # fmt: skip
        return responder

    def _load_site(self, previous: Runner | None) -> Site:
        calendar, catalog = load_checked_isolated(self.settings.calendar)
        return self._site(calendar, catalog, previous)

    @staticmethod
    def _site(calendar: Calendar, catalog: Catalog, previous: Runner | None = None) -> Site:
        runner = Runner(calendar, catalog, ssh_pool=previous.ssh if previous else None)
        return Site(calendar, Planner(calendar), runner)

    def _catch_up(self, site: Site, until: datetime) -> str:
        """Record or run the fires missed while maintd was down (those before ``until``), each
        pair's in the order of its fires (see schedule.gate); return a summary."""
        assert self.ledger is not None  # noqa: S101
        overdue = overdue_fires(site.calendar, site.planner, self.ledger.last_fires(), until)
        self.late.settle(overdue, functools.partial(self._settle, site))
        counts = Counter(item.action for item in overdue)
        return (
            f"catch-up: {counts[Action.RUN]} run, {counts[Action.MISSED]} missed, "
            f"{counts[Action.SKIPPED]} skipped"
        )

    def _settle(self, site: Site, item: Overdue) -> None:
        """Run one late fire as a catch-up, or record it as its policy says."""
        assert self.processor is not None  # noqa: S101
        fire = item.fire
        if item.action == Action.RUN:
            task = site.planner.tasks[fire.task]
            self.processor.run_fire(site, task, fire.host, fire.at, "catch-up")
            return
        status = Status.SKIPPED if item.action == Action.SKIPPED else Status.MISSED
        # Left out by the task's own catch-up policy: recorded, but no incident.
        self.processor.record(fire.task, fire.host, fire.at, status, item.reason, respond=False)


def _pairs(site: Site) -> set[tuple[str, str]]:
    """Every (task, host) the calendar schedules."""
    planner = site.planner
    return {(task.name, host) for task in site.calendar.tasks for host in planner.hosts[task.name]}


def _first_problem(error: ConfigError) -> str:
    """The first problem of a refused calendar (file:line and field), and how many more."""
    if not error.problems:
        return str(error)
    more = len(error.problems) - 1
    return str(error.problems[0]) + (f" (and {more} more)" if more else "")
