"""What a maintenance report reads beyond the KPIs' rows: the fires recorded in a period (slim,
for comparing with the plan and counting by status), the latest failures with their output,
and the incidents opened in the period with what people read about them.

Only reads; ``maintd.report`` turns the rows (plain dicts) into the report.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from maintd.store.db import fetch_all
from maintd.store.schema import incidents, runs


def read_period_runs(engine: Engine, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """The runs scheduled in [since, until), oldest first: task, host, scheduled_for, trigger,
    status, reason. No output: a month of a busy site is many rows, and only failures need it."""
    query = (
        select(
            runs.c.task, runs.c.host, runs.c.scheduled_for, runs.c.trigger, runs.c.status,
            runs.c.reason,
        )
        .where(runs.c.scheduled_for >= since, runs.c.scheduled_for < until)
        .order_by(runs.c.scheduled_for, runs.c.id)
    )  # fmt: skip
    return fetch_all(engine, query)


def read_failures(
    engine: Engine, since: datetime, until: datetime, statuses: Collection[str], limit: int
) -> list[dict[str, Any]]:
    """The latest ``limit`` runs scheduled in [since, until) that ended in one of ``statuses``,
    newest first: task, host, scheduled_for, status, reason, duration, exit_code, summary,
    output."""
    query = (
        select(
            runs.c.task, runs.c.host, runs.c.scheduled_for, runs.c.status, runs.c.reason,
            runs.c.duration, runs.c.exit_code, runs.c.summary, runs.c.output,
        )
        .where(runs.c.scheduled_for >= since, runs.c.scheduled_for < until)
        .where(runs.c.status.in_(list(statuses)))
        .order_by(runs.c.scheduled_for.desc(), runs.c.id.desc())
        .limit(limit)
    )  # fmt: skip
    return fetch_all(engine, query)


def read_period_incidents(engine: Engine, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """The incidents opened in [since, until), oldest first, with their title, state and
    deadlines: id, kind, task, host, title, severity, state, status, opened_at,
    acknowledged_at, resolved_at, respond_due, resolve_due, reopened."""
    query = (
        select(
            incidents.c.id, incidents.c.kind, incidents.c.task, incidents.c.host,
            incidents.c.title, incidents.c.severity, incidents.c.state, incidents.c.status,
            incidents.c.opened_at, incidents.c.acknowledged_at, incidents.c.resolved_at,
            incidents.c.respond_due, incidents.c.resolve_due, incidents.c.reopened,
        )
        .where(incidents.c.opened_at >= since, incidents.c.opened_at < until)
        .order_by(incidents.c.opened_at, incidents.c.id)
    )  # fmt: skip
    return fetch_all(engine, query)
