"""The daemon's HTTP endpoint wired to the running service: /metrics, /healthz, /readyz and
the dashboard, each page reading the service only through callables asked at every request, so
a reload (which replaces the calendar, the planner and the runner) needs no rewiring. The
endpoint follows the calendar's `http:`: started, moved or stopped on every (re)load.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from maintd import __version__, web
from maintd.config.model import Calendar
from maintd.errors import EndpointError
from maintd.pipeline import FireProcessor
from maintd.report.maintlog import MaintenanceLog
from maintd.store import Ledger, dashboard_queries, status_queries

if TYPE_CHECKING:
    from maintd.service import MaintenanceService

log = logging.getLogger("maintd.service")


class DaemonEndpoint:
    """The endpoint of one service, and the run metrics it serves."""

    def __init__(self, service: MaintenanceService) -> None:
        self.service = service
        self.run_metrics = web.RunMetrics()
        self.http = web.HttpEndpoint(self._pages(), route=self._dashboard())

    def count_runs(
        self, ledger: Ledger, processor: FireProcessor, pairs: set[tuple[str, str]]
    ) -> None:
        """Feed the metrics from every recorded fire, starting from the last successes in the
        ledger (so a restart does not make every check look overdue)."""
        self.run_metrics.remember_successes(status_queries.last_successes(ledger.engine))
        self.run_metrics.retain_pairs(pairs)
        processor.after_recording = self.run_metrics.observe_run
        processor.on_lateness = self.run_metrics.observe_lag

    def retain_pairs(self, pairs: set[tuple[str, str]]) -> None:
        """Forget the metrics of (task, host) pairs a reload removed."""
        self.run_metrics.retain_pairs(pairs)

    def follow(self, calendar: Calendar, maintenance_log: MaintenanceLog) -> None:
        """Serve the endpoint where the calendar's `http.listen` says, move it, or stop it. An
        address it cannot listen on is reported; the daemon runs on without the endpoint (a
        reload tries again)."""
        listen = calendar.http.listen if calendar.http else None
        previous = self.http.listen
        try:
            changed = self.http.follow(listen)
        except EndpointError as error:
            log.error("%s; running without the HTTP endpoint", error)
            maintenance_log.event(f"HTTP endpoint off: {error}")
            return
        if changed and listen is not None:
            log.info("HTTP endpoint on http://%s (dashboard, /metrics, /healthz, /readyz)", listen)
            maintenance_log.event(f"HTTP endpoint on {listen}")
        elif changed:
            log.info("HTTP endpoint on %s stopped (no http: in the calendar)", previous)
            maintenance_log.event(f"HTTP endpoint on {previous} stopped (no http: in the calendar)")

    def stop(self) -> None:
        self.http.stop()

    def _pages(self) -> dict[str, web.Page]:
        service = self.service
        readings = web.Readings(
            open_incidents=self._open_incidents,
            running_checks=lambda: service.processor.running if service.processor else 0,
            ssh_connections=self._ssh_connections,
            fire_workers=lambda: service.fire_workers,
        )
        metrics = web.MetricsPage(
            self.run_metrics, readings, version=__version__, started_at=time.time()
        )
        readiness = {
            "store": self._store_problem,
            "calendar": lambda: None if service.processor else "not loaded yet",
            "scheduler": self._scheduler_problem,
        }
        return web.build_pages(metrics, service.heartbeat_age, readiness)

    def _dashboard(self) -> web.Route:
        """The dashboard's pages, reading the ledger's database and the planner in force."""
        service = self.service
        sources = web.Sources(
            store=lambda: (
                dashboard_queries.DashboardReader(service.ledger.engine) if service.ledger else None
            ),
            planner=lambda: service.processor.site.planner if service.processor else None,
        )
        return web.build_dashboard_route(web.Dashboard(sources))

    def _open_incidents(self) -> dict[str, int]:
        """Open incidents by severity; every severity of the calendar is there, 0 or more."""
        ledger, processor = self.service.ledger, self.service.processor
        if ledger is None or processor is None:
            return {}
        counts = status_queries.open_incidents_by_severity(ledger.engine)
        return dict.fromkeys(processor.site.calendar.severities, 0) | counts

    def _ssh_connections(self) -> int:
        processor = self.service.processor
        return processor.site.runner.ssh.open_connections() if processor else 0

    def _store_problem(self) -> str | None:
        ledger = self.service.ledger
        if ledger is None:
            return "not open yet"
        return status_queries.probe_reading(ledger.engine)

    def _scheduler_problem(self) -> str | None:
        processor = self.service.processor
        if processor is not None and processor.stopping.is_set():
            return "stopping"
        return None if self.service.scheduling else "not started yet"
