"""What the KPIs are computed from, read in one transaction: the fires of a period, the
incidents opened in it and the steps of those incidents that the KPIs look at.

Only reads; the arithmetic lives in ``maintd.report.kpi``, which gets these rows as plain dicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from maintd.store.db import reading
from maintd.store.schema import incident_events, incidents, runs

# The timeline steps the KPIs need: when people responded, when a fix happened and whether
# it held. Notes, status changes and flapping say nothing about these.
KPI_STEP_KINDS = ("acknowledged", "resolved", "reopened")


@dataclass(frozen=True)
class KpiRows:
    """The rows of one period, as read together.

    ``runs``: tallies of the period's runs — task, status, trigger and ``count`` — counted in
    the database (a week of a large site is tens of millions of rows; the KPIs need counts).
    ``incidents``: id, task, host, severity, state, opened_at, acknowledged_at, resolved_at,
    respond_due, resolve_due, reopened.
    ``steps``: incident_id, at, kind (acknowledged, resolved, reopened), oldest first.
    """

    runs: list[dict[str, Any]]
    incidents: list[dict[str, Any]]
    steps: list[dict[str, Any]]


def read_kpi_rows(
    engine: Engine, since: datetime, until: datetime, incidents_until: datetime | None = None
) -> KpiRows:
    """Read the runs scheduled in [since, until), the incidents opened in it (or up to
    ``incidents_until``: relapses after the period count against its fixes) and their steps.

    One read transaction, so that an incident the daemon opens meanwhile is either wholly in
    the result or wholly out of it.
    """
    with reading(engine) as connection:
        return KpiRows(
            runs=_runs_in(connection, since, until),
            incidents=_incidents_opened_in(connection, since, incidents_until or until),
            steps=_steps_of_incidents_opened_in(connection, since, incidents_until or until),
        )


def _runs_in(connection: Connection, since: datetime, until: datetime) -> list[dict[str, Any]]:
    in_period = (runs.c.scheduled_for >= since) & (runs.c.scheduled_for < until)
    query = (
        select(runs.c.task, runs.c.status, runs.c.trigger, func.count().label("count"))
        .where(in_period)
        .group_by(runs.c.task, runs.c.status, runs.c.trigger)
        .order_by(runs.c.task, runs.c.status, runs.c.trigger)
    )
    return [dict(row._mapping) for row in connection.execute(query)]


def _incidents_opened_in(
    connection: Connection, since: datetime, until: datetime
) -> list[dict[str, Any]]:
    query = (
        select(
            incidents.c.id, incidents.c.kind, incidents.c.task, incidents.c.host,
            incidents.c.severity,
            incidents.c.state, incidents.c.opened_at, incidents.c.acknowledged_at,
            incidents.c.resolved_at, incidents.c.respond_due, incidents.c.resolve_due,
            incidents.c.reopened,
        )
        .where(incidents.c.opened_at >= since, incidents.c.opened_at < until)
        .order_by(incidents.c.opened_at, incidents.c.id)
    )  # fmt: skip
    return [dict(row._mapping) for row in connection.execute(query)]


def _steps_of_incidents_opened_in(
    connection: Connection, since: datetime, until: datetime
) -> list[dict[str, Any]]:
    # A join rather than `incident_id IN (...)`: a busy month has more incidents than SQLite
    # accepts bound parameters in one statement.
    query = (
        select(incident_events.c.incident_id, incident_events.c.at, incident_events.c.kind)
        .join(incidents, incidents.c.id == incident_events.c.incident_id)
        .where(incidents.c.opened_at >= since, incidents.c.opened_at < until)
        .where(incident_events.c.kind.in_(KPI_STEP_KINDS))
        .order_by(incident_events.c.incident_id, incident_events.c.at, incident_events.c.id)
    )
    return [dict(row._mapping) for row in connection.execute(query)]
