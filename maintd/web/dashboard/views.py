"""The dashboard's pages, each read and written for one request: what it reads from the store
and the planner in force, and the reply.

The daemon hands in its parts as callables (``Sources``): the store opens after the endpoint
may already answer, and a reload replaces the planner, so each view asks for the current ones
and answers 503 while there are none. A view reads nothing else and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from maintd.plan import Planner
from maintd.plan.upcoming import plan_upcoming
from maintd.respond.message import describe
from maintd.store.dashboard_queries import DashboardReader
from maintd.web.dashboard import incidents, runs, trend
from maintd.web.dashboard.filters import Filters, parse_filters
from maintd.web.dashboard.grid import build_grid
from maintd.web.dashboard.markup import HTML, page, text
from maintd.web.dashboard.overview import REFRESH_SECONDS, Overview, render_overview
from maintd.web.server import Reply

UPCOMING_SPAN = timedelta(hours=24)
FIRES_SHOWN = 50
INCIDENTS_SHOWN = 50
MEASUREMENTS_SHOWN = 200
NEIGHBOURS_SHOWN = 10
TIMELINE_SHOWN = 500
READINGS_READ = 20_000  # about 2.3 days of a metric read every 10 s; a week at 30 s


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Sources:
    """Where the dashboard reads, as the daemon has them at the moment of a request: the
    store's reader and the planner of the calendar in force, each None until there is one."""

    store: Callable[[], DashboardReader | None]
    planner: Callable[[], Planner | None]
    now: Callable[[], datetime] = field(default=_utc_now)


class Dashboard:
    """Answers the dashboard's pages; ``root`` arguments are the relative way back to ``/``
    from the page asked for (``./``, ``../``, ...)."""

    def __init__(self, sources: Sources) -> None:
        self.sources = sources

    def overview(self, query: Mapping[str, str]) -> Reply:
        """``/``: counts, open incidents, the grid, the next 24 hours."""
        parts = self._parts("./")
        if isinstance(parts, Reply):
            return parts
        reader, planner = parts
        filters = parse_filters(query, planner.tasks)
        if isinstance(filters, str):
            return self.refuse(400, filters, "./")
        view = self._overview(reader, planner, filters)
        if filters.page > view.grid.pages:
            return self.refuse(404, f"there is no page {filters.page} of these hosts", "./")
        body = render_overview(view)
        return self._reply("Maintenance status", body, "./", view.zone, REFRESH_SECONDS)

    def run(self, run_id: int) -> Reply:
        """``/runs/<id>``."""
        parts = self._parts("../")
        if isinstance(parts, Reply):
            return parts
        reader, planner = parts
        found = reader.run(run_id)
        if found is None:
            return self.refuse(404, f"there is no run {run_id}", "../")
        pair = (found["task"], found["host"])
        view = runs.RunView(
            run=found,
            measurements=reader.measurements(run_id, MEASUREMENTS_SHOWN),
            neighbours=reader.runs_of_pair(*pair, NEIGHBOURS_SHOWN),
            incidents=reader.open_incidents_of_pair(*pair),
            now=self.sources.now(),
            zone=planner.zone,
        )
        body = runs.render_run(view)
        return self._reply(runs.title_of(found), body, "../", planner.zone)

    def incident(self, incident_id: int) -> Reply:
        """``/incidents/<id>``, where notifications link."""
        parts = self._parts("../")
        if isinstance(parts, Reply):
            return parts
        reader, planner = parts
        found = reader.incident(incident_id)
        if found is None:
            return self.refuse(404, f"there is no incident {incident_id}", "../")
        steps, total = reader.timeline(incident_id, TIMELINE_SHOWN)
        latest = None
        if found["task"] and found["host"]:
            newest = reader.runs_of_pair(found["task"], found["host"], 1)
            latest = newest[0]["id"] if newest else None
        forecast = reader.forecast_of_incident(incident_id)
        links = incidents.pair_links(found, latest, forecast, "../")
        task = planner.tasks.get(found["task"] or "")
        runbook = task.runbook if task is not None else None
        view = incidents.IncidentView(
            found, steps, total, links, runbook, self.sources.now(), planner.zone
        )
        body = incidents.render_incident(view)
        title = f"Incident #{incident_id}: {describe(found)}"
        return self._reply(title, body, "../", planner.zone, REFRESH_SECONDS)

    def trend(self, task: str, host: str, metric: str) -> Reply:
        """``/trend/<task>/<host>/<metric>``: the last 7 days and the latest forecast."""
        root = "../../../"
        parts = self._parts(root)
        if isinstance(parts, Reply):
            return parts
        reader, planner = parts
        now = self.sources.now()
        since = now - trend.SPAN
        readings = reader.readings(task, host, metric, since=since, limit=READINGS_READ)
        forecast = reader.forecast("threshold", task, host, metric)
        anomaly = reader.forecast("anomaly", task, host, metric)
        if not readings and forecast is None and anomaly is None:
            return self.refuse(404, f"no reading of {metric} by {task} on {host}", root)
        task_of = planner.tasks.get(task)
        predict = task_of.predict if task_of is not None else None
        threshold = predict.reaches if predict is not None and predict.metric == metric else None
        chart = trend.build_trend(readings, forecast, since=since, now=now, threshold=threshold)
        title = trend.title_of(task, host, metric)
        view = trend.TrendView(title, readings, chart, forecast, anomaly, now, planner.zone)
        return self._reply(title, trend.render_trend(view), root, planner.zone)

    def refuse(self, status: int, why: str, root: str) -> Reply:
        """An error page: ``status`` (400, 404, 503) and why, in words."""
        planner = self.sources.planner()
        zone = planner.zone if planner is not None else UTC
        words = {400: "Bad request", 404: "Not found", 503: "Not ready"}.get(status, "Error")
        body = f'<p class="note">{text(why)}</p>'
        document = page(words, body, root=root, now=self.sources.now(), zone=zone)
        return Reply(status, document, HTML)

    def _overview(self, reader: DashboardReader, planner: Planner, filters: Filters) -> Overview:
        names = [task.name for task in planner.calendar.tasks]
        columns = [filters.task] if filters.task else names
        results = {
            task: reader.latest_results(task, filters.hosts_of(planner.hosts[task]))
            for task in columns
        }
        grid = build_grid(columns, results, status=filters.status, page=filters.page)
        hosts = filters.hosts_of(planner.calendar.hosts) if filters.host else None
        rows, total = reader.open_incidents(task=filters.task, hosts=hosts, limit=INCIDENTS_SHOWN)
        now = self.sources.now()
        upcoming = plan_upcoming(
            planner, now, now + UPCOMING_SPAN, FIRES_SHOWN,
            tasks=[filters.task] if filters.task else None,
            hosts=None if hosts is None else set(hosts),
        )  # fmt: skip
        return Overview(filters, names, grid, rows, total, upcoming, now, planner.zone)

    def _parts(self, root: str) -> tuple[DashboardReader, Planner] | Reply:
        """The store and the planner, or a 503 while the daemon is starting."""
        reader, planner = self.sources.store(), self.sources.planner()
        if reader is None or planner is None:
            return self.refuse(503, "maintd is starting: the calendar or the store is not "
                               "loaded yet", root)  # fmt: skip
        return reader, planner

    def _reply(
        self, title: str, body: str, root: str, zone: tzinfo, refresh: int | None = None
    ) -> Reply:
        document = page(title, body, root=root, now=self.sources.now(), zone=zone, refresh=refresh)
        return Reply(200, document, HTML)
