"""What the daemon's dashboard reads: the latest result of every (task, host) of the calendar,
one run with its measurements, the open incidents by urgency, one incident's timeline, and a
metric's recent readings with its latest forecast.

Every read is bounded by what the page shows, never by how much history the store holds: the
grid costs two index seeks per (task, host) whether a pair ran ten times or a million, and
every list has a LIMIT. Only reads; the dashboard gets plain dicts and tuples, never rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BindParameter, Engine, Select, bindparam, case, func, select
from sqlalchemy.sql.expression import ColumnElement, TableValuedAlias

from maintd.status import Status
from maintd.store.db import fetch_all, reading
from maintd.store.forecasts import ForecastBook
from maintd.store.incidents import OPEN_STATES, IncidentBook
from maintd.store.schema import incident_events, incidents, metrics, runs
from maintd.store.series import Reading, read_series

# A fire in flight or skipped by the plan says nothing about the pair's health: the grid shows
# the result before it.
NOT_A_RESULT = (Status.RUNNING.value, Status.SKIPPED.value)
RUN_LISTING = (
    runs.c.id, runs.c.task, runs.c.host, runs.c.scheduled_for, runs.c.status, runs.c.duration,
    runs.c.summary, runs.c.reason,
)  # fmt: skip


Latest = tuple[int | None, str | None]  # a pair's latest result: its run id and status


class DashboardReader:
    """The dashboard's reads of one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # Built once and executed with parameters, as the ledger's statements are: the grid
        # runs it once per task of the calendar on every view.
        self._latest = _latest_results(engine)

    def latest_results(self, task: str, hosts: Sequence[str]) -> dict[str, Latest]:
        """The latest result of ``task`` on each of ``hosts``, as (run id, status), (None,
        None) for a host it never ran on: the pair's newest run or, when that is still
        running or was skipped, the newest that finished.

        Two index seeks per host, whatever the history: the newest along the unique key
        (task, host, scheduled_for), and only when needed the newest finished along
        ix_runs_task_host_finished. (So a MISSED or INTERRUPTED fire hidden behind a skipped
        one gives way to the run before it: walking past skipped fires would be unbounded.)
        """
        if not hosts:
            return {}
        with reading(self.engine) as connection:
            found = connection.execute(self._latest, {"task": task, "hosts": list(hosts)}).all()
            fallbacks = [row[3] for row in found if row[3] is not None]
            statuses: dict[int | None, str] = {}
            if fallbacks:
                query = select(runs.c.id, runs.c.status).where(runs.c.id.in_(fallbacks))
                statuses.update((run_id, status) for run_id, status in connection.execute(query))
        latest: dict[str, Latest] = {}
        for host, run_id, status, fallback_id in found:
            if status in NOT_A_RESULT:
                latest[host] = (fallback_id, statuses.get(fallback_id))
            else:
                latest[host] = (run_id, status)
        return latest

    def run(self, run_id: int) -> dict[str, Any] | None:
        """One run, every column; None when there is no such run."""
        rows = fetch_all(self.engine, select(runs).where(runs.c.id == run_id))
        return rows[0] if rows else None

    def measurements(self, run_id: int, limit: int) -> list[dict[str, Any]]:
        """The first ``limit`` measurements (perfdata) of one run, in the order written."""
        query = (
            select(metrics).where(metrics.c.run_id == run_id).order_by(metrics.c.id).limit(limit)
        )
        return fetch_all(self.engine, query)

    def runs_of_pair(self, task: str, host: str, limit: int) -> list[dict[str, Any]]:
        """The newest ``limit`` runs of (task, host), newest first (id, task, host,
        scheduled_for, status, duration, summary, reason)."""
        query = (
            select(*RUN_LISTING)
            .where(runs.c.task == task, runs.c.host == host)
            .order_by(runs.c.scheduled_for.desc())
            .limit(limit)
        )
        return fetch_all(self.engine, query)

    def open_incidents(
        self, *, task: str | None = None, hosts: Sequence[str] | None = None, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        """The open (or acknowledged) incidents, the most urgent first, at most ``limit`` of
        them, and how many there are in all; only those of ``task`` and on ``hosts``, when
        given.

        Most urgent: the earliest deadline still running first (the respond deadline until
        someone acknowledges, then the resolve deadline), so breached ones lead; those
        without a deadline last, newest first.
        """
        next_due = case(
            (incidents.c.state == "open", func.coalesce(incidents.c.respond_due,
                                                        incidents.c.resolve_due)),
            else_=incidents.c.resolve_due,
        )  # fmt: skip
        conditions: list[ColumnElement[bool]] = [incidents.c.state.in_(OPEN_STATES)]
        if task is not None:
            conditions.append(incidents.c.task == task)
        if hosts is not None:
            wanted = _each_of(self.engine, bindparam("hosts", list(hosts), type_=JSON))
            conditions.append(incidents.c.host.in_(select(wanted.c.value)))
        query = (
            select(incidents)
            .where(*conditions)
            .order_by(next_due.asc().nulls_last(), incidents.c.opened_at.desc())
            .limit(limit)
        )
        with reading(self.engine) as connection:
            rows = [dict(row._mapping) for row in connection.execute(query)]
            total = connection.execute(select(func.count()).where(*conditions)).scalar_one()
        return rows, int(total)

    def open_incidents_of_pair(self, task: str, host: str) -> list[dict[str, Any]]:
        """The open (or acknowledged) incidents of (task, host), of any kind, newest first
        (along ix_incidents_pair_state)."""
        query = (
            select(incidents.c.id, incidents.c.kind, incidents.c.title, incidents.c.state)
            .where(incidents.c.task == task, incidents.c.host == host)
            .where(incidents.c.state.in_(OPEN_STATES))
            .order_by(incidents.c.id.desc())
            .limit(10)
        )
        return fetch_all(self.engine, query)

    def incident(self, incident_id: int) -> dict[str, Any] | None:
        """One incident, every column; None when there is no such incident."""
        return IncidentBook(self.engine).get(incident_id)

    def timeline(self, incident_id: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """The latest ``limit`` steps of an incident's timeline, oldest first, and how many
        steps it has in all (a flapping incident can gather thousands)."""
        of_incident = incident_events.c.incident_id == incident_id
        query = (
            select(incident_events)
            .where(of_incident)
            .order_by(incident_events.c.at.desc(), incident_events.c.id.desc())
            .limit(limit)
        )
        with reading(self.engine) as connection:
            steps = [dict(row._mapping) for row in connection.execute(query)]
            total = connection.execute(select(func.count()).where(of_incident)).scalar_one()
        return steps[::-1], int(total)

    def readings(  # noqa: PLR0913 - a series' identity, its span and the cap
        self, task: str, host: str, metric: str, *, since: datetime, limit: int
    ) -> list[Reading]:
        """The readings of (task, host, metric) after ``since``, oldest first, through
        ``series.read_series``; at most about ``limit``: a series read every second holds
        600,000 a week, so past the cap only the newest are read."""
        newest_first = (
            select(metrics.c.at)
            .where(metrics.c.task == task, metrics.c.host == host, metrics.c.name == metric)
            .where(metrics.c.at > since)
            .order_by(metrics.c.at.desc())
            .offset(limit)
            .limit(1)
        )  # along ix_metrics_series: a seek and `limit` steps, never the whole series
        with reading(self.engine) as connection:
            cut = connection.execute(newest_first).scalar_one_or_none()
        return read_series(self.engine, task, host, metric, since=cut or since)

    def forecast(self, kind: str, task: str, host: str, metric: str) -> dict[str, Any] | None:
        """The latest forecast of ``kind`` (threshold | anomaly) of one series, or None."""
        return ForecastBook(self.engine).previous(kind, task, host, metric)

    def forecast_of_incident(self, incident_id: int) -> dict[str, Any] | None:
        """The latest forecast that opened, kept or resolved an incident, or None."""
        return ForecastBook(self.engine).of_incident(incident_id)


def _latest_results(engine: Engine) -> Select[str, int | None, str | None, int | None]:
    """Per host of the JSON list ``:hosts``: the host, its newest run of ``:task`` and that
    run's status, and, when that status is not a result, the newest finished run's id."""
    wanted = _each_of(engine, bindparam("hosts", type_=JSON))
    pair = (runs.c.task == bindparam("task"), runs.c.host == wanted.c.value)
    newest_id = (
        select(runs.c.id).where(*pair).order_by(runs.c.scheduled_for.desc()).limit(1)
    ).scalar_subquery()
    finished_id = (
        select(runs.c.id)
        .where(*pair, runs.c.finished_at.is_not(None))
        .order_by(runs.c.finished_at.desc())
        .limit(1)
    ).scalar_subquery()
    newest = runs.alias("newest")
    fallback = case((newest.c.status.in_(NOT_A_RESULT), finished_id))
    return select(wanted.c.value, newest.c.id, newest.c.status, fallback).select_from(
        wanted.outerjoin(newest, newest.c.id == newest_id)
    )


def _each_of(engine: Engine, array: BindParameter[Any]) -> TableValuedAlias:
    """A JSON array parameter as a one-column table (column ``value``): a long list costs one
    bound value, not one each (SQLite caps those at 32,766)."""
    if engine.dialect.name == "postgresql":
        return func.json_array_elements_text(array).table_valued("value").alias("wanted")
    return func.json_each(array).table_valued("value").alias("wanted")
