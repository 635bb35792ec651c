"""One metric's recorded readings, as far back as they are kept.

Raw points are kept for `retention.metrics`; older ones survive as hourly averages in
metrics_hourly. A trend over a window longer than the raw retention reads both: the hourly
rows stand for the hours before the first raw point, each as one reading at the middle of
its hour (the bucket the forecast folds readings into is never finer than an hour for
windows that long, so nothing is lost).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, select, union

from maintd.store.db import reading
from maintd.store.schema import metrics, metrics_hourly

HOUR = timedelta(hours=1)
HALF_HOUR = HOUR / 2
Reading = tuple[datetime, float | None]


def read_series(  # noqa: PLR0913 - a series' identity and its time span
    engine: Engine,
    task: str,
    host: str,
    metric: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Reading]:
    """The readings of (task, host, metric) in (since, until], oldest first: hourly averages
    for the time before the oldest raw reading, then every raw one."""
    raw = select(metrics.c.at, metrics.c.value).where(
        metrics.c.task == task, metrics.c.host == host, metrics.c.name == metric
    )
    if since is not None:
        raw = raw.where(metrics.c.at > since)
    if until is not None:
        raw = raw.where(metrics.c.at <= until)
    with reading(engine) as connection:
        # One fetch of all rows, then tuples: iterating the result fetches row by row (1.4x).
        points: list[Reading] = [
            (at, value) for at, value in connection.execute(raw.order_by(metrics.c.at)).all()
        ]
        oldest_raw = points[0][0] if points else until
        if since is not None and oldest_raw is not None and oldest_raw - since <= HOUR:
            return points  # raw readings cover the span: no hour of it was folded
        hourly = select(metrics_hourly.c.hour, metrics_hourly.c.average).where(
            metrics_hourly.c.task == task,
            metrics_hourly.c.host == host,
            metrics_hourly.c.name == metric,
        )
        if since is not None:
            hourly = hourly.where(metrics_hourly.c.hour > since - HALF_HOUR)
        if oldest_raw is not None:
            hourly = hourly.where(metrics_hourly.c.hour < oldest_raw - HALF_HOUR)
        older = [
            (row.hour + HALF_HOUR, row.average)
            for row in connection.execute(hourly.order_by(metrics_hourly.c.hour))
        ]
    return older + points


def read_latest(engine: Engine, task: str, host: str, metric: str, count: int) -> list[Reading]:
    """The last ``count`` raw readings of (task, host, metric), oldest first."""
    query = (
        select(metrics.c.at, metrics.c.value)
        .where(metrics.c.task == task, metrics.c.host == host, metrics.c.name == metric)
        .order_by(metrics.c.at.desc())
        .limit(count)
    )
    with reading(engine) as connection:
        return [(row.at, row.value) for row in connection.execute(query)][::-1]


def hosts_with_readings(engine: Engine, task: str, metric: str) -> list[str]:
    """The hosts with readings of ``metric`` from ``task``, raw or hourly, sorted by name."""
    raw = select(metrics.c.host).where(metrics.c.task == task, metrics.c.name == metric)
    hourly = select(metrics_hourly.c.host).where(
        metrics_hourly.c.task == task, metrics_hourly.c.name == metric
    )
    with reading(engine) as connection:
        # UNION, not UNION ALL: a host is listed once however many readings it has.
        return sorted(connection.execute(union(raw, hourly)).scalars())
