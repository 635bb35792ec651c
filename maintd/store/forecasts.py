"""The forecast book: every forecast and anomaly judgement the daemon made, with its inputs.

A row is written per judgement (see schema.forecasts for its columns); what people usually
want is the latest of each series, and the daemon wants the previous signal of a series to
resolve an incident only after two forecasts in a row no longer warn.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select

from maintd.store.db import fetch_all, fetch_one, writing
from maintd.store.schema import forecasts

KINDS = ("threshold", "anomaly")


class ForecastBook:
    """Reads and writes the forecasts of one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, row: Mapping[str, Any]) -> int:
        """Store one forecast (columns of schema.forecasts); return its id."""
        with writing(self.engine) as connection:
            inserted = connection.execute(forecasts.insert().returning(forecasts.c.id), dict(row))
            return int(inserted.scalar_one())

    def previous(self, kind: str, task: str, host: str, metric: str) -> dict[str, Any] | None:
        """The latest forecast of one series, or None."""
        query = (
            select(forecasts)
            .where(forecasts.c.kind == kind, forecasts.c.task == task)
            .where(forecasts.c.host == host, forecasts.c.metric == metric)
            .order_by(forecasts.c.at.desc(), forecasts.c.id.desc())  # along ix_forecasts_series
        )
        return fetch_one(self.engine, query)

    def of_incident(self, incident_id: int) -> dict[str, Any] | None:
        """The latest forecast that opened, kept or resolved an incident, or None."""
        query = (
            select(forecasts)
            .where(forecasts.c.incident_id == incident_id)
            .order_by(forecasts.c.id.desc())
        )
        return fetch_one(self.engine, query)

    def latest(
        self,
        *,
        kinds: tuple[str, ...] = KINDS,
        tasks: tuple[str, ...] = (),
        hosts: tuple[str, ...] = (),
        metrics: tuple[str, ...] = (),
    ) -> list[dict[str, Any]]:
        """The latest forecast of every series matching the filters (empty: any), ordered by
        task, host, metric and kind. "Latest" is the last written (the highest id): the daemon
        writes a series' forecasts in time order."""
        newest = select(func.max(forecasts.c.id).label("id")).group_by(
            forecasts.c.kind, forecasts.c.task, forecasts.c.host, forecasts.c.metric
        )
        newest = newest.where(forecasts.c.kind.in_(kinds))
        if tasks:
            newest = newest.where(forecasts.c.task.in_(tasks))
        if hosts:
            newest = newest.where(forecasts.c.host.in_(hosts))
        if metrics:
            newest = newest.where(forecasts.c.metric.in_(metrics))
        query = (
            select(forecasts)
            .where(forecasts.c.id.in_(newest.scalar_subquery()))
            .order_by(forecasts.c.task, forecasts.c.host, forecasts.c.metric, forecasts.c.kind)
        )
        return fetch_all(self.engine, query)

    def of_series(
        self, kind: str, task: str, host: str, metric: str, *, since: datetime | None = None
    ) -> list[dict[str, Any]]:
        """Every forecast of one series (since ``since``), oldest first: for reports."""
        query = (
            select(forecasts)
            .where(forecasts.c.kind == kind, forecasts.c.task == task)
            .where(forecasts.c.host == host, forecasts.c.metric == metric)
            .order_by(forecasts.c.at, forecasts.c.id)
        )
        if since is not None:
            query = query.where(forecasts.c.at >= since)
        return fetch_all(self.engine, query)
