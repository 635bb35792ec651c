"""Keeping the database to the calendar's `retention:`.

Runs older than `retention.runs` go (their metrics with them). Raw metrics older than
`retention.metrics` are folded into hourly min / max / average rows first, then deleted; hourly
rows older than `retention.metrics_hourly` go. Each step is its own short write transaction, so
readers and the daemon's fires are never held up for long.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, select

from maintd.store.db import writing
from maintd.store.schema import metrics, metrics_hourly, runs


@dataclass(frozen=True)
class Pruned:
    """What one retention pass removed or folded."""

    runs: int
    metrics_folded: int
    hourly_rows: int
    hourly_deleted: int


def apply_retention(
    engine: Engine,
    *,
    runs_for: timedelta,
    metrics_for: timedelta,
    hourly_for: timedelta,
    now: datetime | None = None,
) -> Pruned:
    """Prune and downsample; return the counts."""
    now = now or datetime.now(UTC)
    folded, hourly_rows = _fold_old_metrics(engine, now - metrics_for)
    with writing(engine) as connection:
        hourly_deleted = connection.execute(
            delete(metrics_hourly).where(metrics_hourly.c.hour < now - hourly_for)
        ).rowcount
        old_runs = select(runs.c.id).where(runs.c.scheduled_for < now - runs_for)
        connection.execute(delete(metrics).where(metrics.c.run_id.in_(old_runs)))
        removed_runs = connection.execute(
            delete(runs).where(runs.c.scheduled_for < now - runs_for)
        ).rowcount
    return Pruned(int(removed_runs or 0), folded, hourly_rows, int(hourly_deleted or 0))


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
