"""Keeping the database to the calendar's `retention:`.

Runs older than `retention.runs` go (their metrics with them). Raw metrics older than
`retention.metrics` are folded into hourly min / max / average rows first, then deleted; hourly
rows older than `retention.metrics_hourly` go; incidents resolved longer than
`retention.incidents` ago go with their timelines and notifications, and so do silences that
ended that long ago; forecasts older than `retention.forecasts` go. Each step is its own short
write transaction, so readers and the daemon's fires are never held up for long.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, or_, select

from maintd.store.db import writing
from maintd.store.schema import (
    deliveries,
    delivery_attempts,
    forecasts,
    incident_events,
    incidents,
    metrics,
    metrics_hourly,
    runs,
    silences,
)


@dataclass(frozen=True)
class Pruned:
    """What one retention pass removed or folded."""

    runs: int
    metrics_folded: int
    hourly_rows: int
    hourly_deleted: int
    incidents: int = 0
    forecasts: int = 0


def apply_retention(  # noqa: PLR0913 - one keyword per retention setting
    engine: Engine,
    *,
    runs_for: timedelta,
    metrics_for: timedelta,
    hourly_for: timedelta,
    incidents_for: timedelta | None = None,
    forecasts_for: timedelta | None = None,
    now: datetime | None = None,
) -> Pruned:
    """Prune and downsample; return the counts."""
    now = now or datetime.now(UTC)
    folded, hourly_rows = _fold_old_metrics(engine, now - metrics_for)
    with writing(engine) as connection:
        hourly_deleted = connection.execute(
            delete(metrics_hourly).where(metrics_hourly.c.hour < now - hourly_for)
        ).rowcount
        too_old = runs.c.scheduled_for < now - runs_for
        connection.execute(
            delete(metrics).where(metrics.c.run_id.in_(select(runs.c.id).where(too_old)))
        )
        removed_runs = connection.execute(delete(runs).where(too_old)).rowcount
    closed = _prune_incidents(engine, now - incidents_for) if incidents_for else 0
    forecasts_gone = 0
    if forecasts_for:
        with writing(engine) as connection:
            too_old = forecasts.c.at < now - forecasts_for
            forecasts_gone = int(connection.execute(delete(forecasts).where(too_old)).rowcount or 0)
    return Pruned(
        int(removed_runs or 0), folded, hourly_rows, int(hourly_deleted or 0), closed,
        forecasts_gone,
    )  # fmt: skip


def _prune_incidents(engine: Engine, before: datetime) -> int:
    """Delete incidents resolved before ``before`` with everything that hangs off them
    (explicitly: SQLite enforces ON DELETE CASCADE only with foreign keys switched on)."""
    old = select(incidents.c.id).where(
        incidents.c.state == "resolved", incidents.c.resolved_at < before
    )
    with writing(engine) as connection:
        sent = select(deliveries.c.id).where(
            or_(deliveries.c.incident_id.in_(old),
                deliveries.c.incident_id.is_(None) & (deliveries.c.created_at < before))
        )  # fmt: skip
        connection.execute(
            delete(delivery_attempts).where(delivery_attempts.c.delivery_id.in_(sent))
        )
        connection.execute(delete(deliveries).where(deliveries.c.id.in_(sent)))
        connection.execute(delete(incident_events).where(incident_events.c.incident_id.in_(old)))
        removed = connection.execute(delete(incidents).where(incidents.c.id.in_(old))).rowcount
        connection.execute(delete(silences).where(silences.c.ends_at < before))
    return int(removed or 0)


def _fold_old_metrics(engine: Engine, before: datetime) -> tuple[int, int]:
    """Summarise raw points older than ``before`` per series and hour, merging with any
    summary already there; delete the raw points. Returns (points folded, hourly rows)."""
    with writing(engine) as connection:
        points = connection.execute(
            select(
                metrics.c.task, metrics.c.host, metrics.c.name, metrics.c.unit,
                metrics.c.value, metrics.c.at,
            ).where(metrics.c.at < before, metrics.c.value.is_not(None))
        ).all()  # fmt: skip
        if not points:
            return 0, 0
        buckets: dict[tuple[str, str, str, datetime], dict[str, Any]] = {}
        for task, host, name, unit, value, at in points:
            hour = at.replace(minute=0, second=0, microsecond=0)
            bucket = buckets.setdefault(
                (task, host, name, hour),
                {"unit": unit, "minimum": value, "maximum": value, "total": 0.0, "count": 0},
            )
            bucket["minimum"] = min(bucket["minimum"], value)
            bucket["maximum"] = max(bucket["maximum"], value)
            bucket["total"] += value
            bucket["count"] += 1
        for (task, host, name, hour), bucket in buckets.items():
            key = (
                (metrics_hourly.c.task == task) & (metrics_hourly.c.host == host)
                & (metrics_hourly.c.name == name) & (metrics_hourly.c.hour == hour)
            )  # fmt: skip
            existing = connection.execute(select(metrics_hourly).where(key)).first()
            if existing is not None:
                bucket["minimum"] = min(bucket["minimum"], existing.minimum)
                bucket["maximum"] = max(bucket["maximum"], existing.maximum)
                bucket["total"] += existing.average * existing.count
                bucket["count"] += existing.count
                connection.execute(delete(metrics_hourly).where(key))
            connection.execute(
                metrics_hourly.insert().values(
                    task=task, host=host, name=name, hour=hour, unit=bucket["unit"],
                    minimum=bucket["minimum"], maximum=bucket["maximum"],
                    average=bucket["total"] / bucket["count"], count=bucket["count"],
                )
            )  # fmt: skip
        connection.execute(delete(metrics).where(metrics.c.at < before))
    return len(points), len(buckets)
