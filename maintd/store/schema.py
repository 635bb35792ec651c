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
Index("ix_runs_scheduled_for", runs.c.scheduled_for)  # a period of the ledger: reports, KPIs
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
    Column("kind", String(20), nullable=False),  # check | manual | predicted | anomaly
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
    # The severity's commitments, as deadlines (windows and business hours already counted in),
    # from when the clocks last started: the opening, or the latest re-opening.
    Column("clock_started_at", UtcDateTime),
    Column("respond_due", UtcDateTime),
    Column("resolve_due", UtcDateTime),
    Column("respond_clock", String(20)),  # NULL while running, then warned | breached
    Column("resolve_clock", String(20)),
    Column("escalation_step", Integer, nullable=False, default=0),  # steps notified so far
    # What people were last told, so that a held notice is sent once the hold lifts.
    Column("notified_state", String(20)),  # open | resolved | NULL (never notified)
    Column("notified_status", String(20)),
    Column("notified_at", UtcDateTime),
    Column("notified_flapping", Integer, nullable=False, default=0),
    Column("remediations", Integer, nullable=False, default=0),
)
Index("ix_incidents_pair_state", incidents.c.task, incidents.c.host, incidents.c.state)
Index("ix_incidents_opened_at", incidents.c.opened_at)
# Open incidents of every pair (the dashboard, /metrics, the response desk): a few among many
# resolved ones, found without reading the table.
Index("ix_incidents_state", incidents.c.state)

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

# Silences hold the notifications of matching incidents until they end. A disruptive task's run
# sets one on its host (origin_task: the task, whose own incidents stay audible).
silences = Table(
    "silences",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("task", String(200)),  # NULL: every task
    Column("host", String(200)),  # NULL: every host
    Column("starts_at", UtcDateTime, nullable=False),
    Column("ends_at", UtcDateTime, nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("created_by", String(200)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("removed_at", UtcDateTime),
    Column("origin_task", String(200)),
    Column("summarized", Integer, nullable=False, default=0),  # end-of-silence notice sent
)
Index("ix_silences_ends_at", silences.c.ends_at)

# Notifications: one row per (message, URL); every sending attempt is a row of its own.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("incident_id", Integer, ForeignKey("incidents.id", ondelete="CASCADE")),
    Column("event", String(30), nullable=False),  # opened, escalated, sla-breach, ...
    Column("target", String(200), nullable=False),  # the `notify` list's name
    Column("url_index", Integer, nullable=False),  # its URL's place in the list (never the URL)
    Column("endpoint", String(200), nullable=False),  # scheme and host only, for people
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("state", String(20), nullable=False),  # queued | sent | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("next_at", UtcDateTime),
    Column("sent_at", UtcDateTime),
)
Index("ix_deliveries_state", deliveries.c.state)
Index("ix_deliveries_incident_id", deliveries.c.incident_id)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("delivery_id", Integer, ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("ok", Integer, nullable=False),
    Column("error", Text),
    Column("duration", Float),
)
Index("ix_delivery_attempts_delivery_id", delivery_attempts.c.delivery_id)

# Forecasts and anomaly judgements: every one the daemon makes, with its inputs, so that a
# warning can be explained afterwards (what was fitted, from when to when, how sure it was).
forecasts = Table(
    "forecasts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(20), nullable=False),  # threshold | anomaly
    Column("task", String(200), nullable=False),
    Column("host", String(200), nullable=False),
    Column("metric", String(200), nullable=False),
    Column("at", UtcDateTime, nullable=False),  # the "now" it was made for
    Column("method", String(40), nullable=False),
    Column("verdict", String(20), nullable=False),
    Column(
        "signal", String(10), nullable=False
    ),  # warn | clear | hold: what it meant for incidents
    Column("reason", Text, nullable=False, default=""),
    # The inputs: the `predict:` / `anomaly:` settings it ran with (durations in seconds).
    Column("reaches", Float),
    Column("direction", String(10)),
    Column("within", Float),
    Column("window", Float),
    Column("min_history", Float),
    Column("coverage", Float),
    # The data it used.
    Column("fitted_from", UtcDateTime),
    Column("fitted_to", UtcDateTime),
    Column("points_used", Integer, nullable=False, default=0),
    Column("segment_started", UtcDateTime),
    Column("level_shift", UtcDateTime),
    Column("reset_every", Float),
    # The estimate and its interval.
    Column("eta", UtcDateTime),
    Column("eta_low", UtcDateTime),
    Column("eta_high", UtcDateTime),
    # The fit, enough to draw the line and its band again (see predict.trend.Fit).
    Column("level_now", Float),
    Column("slope_per_day", Float),
    Column("slope_low_per_day", Float),
    Column("slope_high_per_day", Float),
    Column("pivot", UtcDateTime),
    Column("spread", Float),
    Column("bucket", Float),
    Column("season", Text),  # JSON list of per-bucket offsets, or NULL
    # An anomaly's score against its baseline.
    Column("score", Float),
    Column("expected", Float),
    Column("band_low", Float),
    Column("band_high", Float),
    Column("since", UtcDateTime),
    Column("incident_id", Integer),  # the incident it opened, updated or resolved, if any
)
Index(
    "ix_forecasts_series", forecasts.c.task, forecasts.c.host, forecasts.c.metric,
    forecasts.c.kind, forecasts.c.at,
)  # fmt: skip
Index("ix_forecasts_at", forecasts.c.at)
Index("ix_forecasts_incident_id", forecasts.c.incident_id)
