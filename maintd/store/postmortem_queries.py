"""What a post-mortem needs besides the incident and its timeline (``IncidentBook``): the runs
of its (task, host) while it lasted and the notifications sent about it. Only reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select

from maintd.store.db import reading
from maintd.store.schema import deliveries, runs


def runs_of_pair(
    engine: Engine, task: str, host: str, since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """The runs of one (task, host) that ended in [since, until], oldest first.

    A run belongs to the moment it ended (a fire that never ran, to its scheduled time): the
    run that opened an incident was scheduled before the incident but ended at its opening,
    and the recovery that resolved it ended at its resolution; both belong to its story.
    """
    ended = func.coalesce(runs.c.finished_at, runs.c.scheduled_for)
    query = (
        select(runs)
        .where(runs.c.task == task, runs.c.host == host)
        .where(ended >= since, ended <= until)
        .order_by(runs.c.scheduled_for, runs.c.id)
    )
    with reading(engine) as connection:
        return [dict(row._mapping) for row in connection.execute(query)]


def deliveries_of(engine: Engine, incident_id: int) -> list[dict[str, Any]]:
    """The notifications queued about one incident, oldest first (URLs are never stored)."""
    query = (
        select(
            deliveries.c.id, deliveries.c.event, deliveries.c.target, deliveries.c.endpoint,
            deliveries.c.state, deliveries.c.attempts, deliveries.c.last_error,
            deliveries.c.created_at, deliveries.c.sent_at,
        )
        .where(deliveries.c.incident_id == incident_id)
        .order_by(deliveries.c.created_at, deliveries.c.id)
    )  # fmt: skip
    with reading(engine) as connection:
        return [dict(row._mapping) for row in connection.execute(query)]
