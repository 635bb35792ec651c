"""The tables: the run ledger and the measurements taken by runs.

Constraint names follow one convention from the first migration on (Alembic's batch mode on
SQLite needs names to alter anything later).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; stored as naive UTC (SQLite keeps no
    offsets, PostgreSQL's timestamptz would, and both then compare the same way)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        return moment.replace(tzinfo=UTC)


runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("task", String(200), nullable=False),
    Column("host", String(200), nullable=False),
    Column("scheduled_for", UtcDateTime, nullable=False),
    Column("trigger", String(20), nullable=False),  # schedule | catch-up | manual
    Column("status", String(20), nullable=False),
    Column("reason", Text),  # why SKIPPED / MISSED / INTERRUPTED, or maintd's failure reason
    Column("attempt", Integer, nullable=False, default=1),
    Column("started_at", UtcDateTime),
    Column("finished_at", UtcDateTime),
    Column("duration", Float),
    Column("exit_code", Integer),
    Column("summary", Text),
    Column("output", Text),
    Column("node", String(200)),  # which maintd node claimed it
    UniqueConstraint("task", "host", "scheduled_for"),
)
Index("ix_runs_status", runs.c.status)
Index("ix_runs_finished_at", runs.c.finished_at)
Index("ix_runs_task_host_finished", runs.c.task, runs.c.host, runs.c.finished_at)

metrics = Table(
    "metrics",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("task", String(200), nullable=False),
    Column("host", String(200), nullable=False),
    Column("name", String(200), nullable=False),
    Column("value", Float),
    Column("unit", String(20), nullable=False, default=""),
    Column("warn", String(60)),
    Column("crit", String(60)),
    Column("minimum", Float),
    Column("maximum", Float),
    Column("at", UtcDateTime, nullable=False),
)
Index("ix_metrics_series", metrics.c.task, metrics.c.host, metrics.c.name, metrics.c.at)
Index("ix_metrics_run_id", metrics.c.run_id)

# Raw metrics older than `retention.metrics` are folded into one row per series and hour,
# so trends over months stay cheap to keep and to read.
metrics_hourly = Table(
    "metrics_hourly",
    metadata,
    Column("task", String(200), primary_key=True),
    Column("host", String(200), primary_key=True),
    Column("name", String(200), primary_key=True),
    Column("hour", UtcDateTime, primary_key=True),
    Column("unit", String(20), nullable=False, default=""),
    Column("minimum", Float),
    Column("maximum", Float),
    Column("average", Float),
    Column("count", Integer, nullable=False),
)

# Incidents: one per problem of a (task, host) — or reported by a person (task NULL) — from
# opening to resolution; every step of its life is a row of incident_events (the timeline).
incidents = Table(
    "incidents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(20), nullable=False),  # check | manual | predicted
    Column("task", String(200)),
    Column("host", String(200)),
    Column("title", Text, nullable=False),
    Column("severity", String(60), nullable=False),
    Column("state", String(20), nullable=False),  # open | acknowledged | resolved
    Column("status", String(20)),  # the latest check status while it lasts
    Column("summary", Text),
    Column("flapping", Integer, nullable=False, default=0),
    Column("reopened", Integer, nullable=False, default=0),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("acknowledged_at", UtcDateTime),
    Column("acknowledged_by", String(200)),
    Column("resolved_at", UtcDateTime),
)
Index("ix_incidents_pair_state", incidents.c.task, incidents.c.host, incidents.c.state)
Index("ix_incidents_opened_at", incidents.c.opened_at)

incident_events = Table(
    "incident_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("incident_id", Integer, ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("kind", String(30), nullable=False),  # opened, changed, acknowledged, note, ...
    Column("status", String(20)),
    Column("text", Text, nullable=False, default=""),
    Column("by", String(200)),  # a person, or NULL for maintd itself
)
Index("ix_incident_events_incident_id", incident_events.c.incident_id)
