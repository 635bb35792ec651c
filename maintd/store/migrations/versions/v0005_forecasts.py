"""Forecasts and anomaly judgements, each with its inputs, estimate and interval.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from maintd.store.schema import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "forecasts",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("task", sa.String(200), nullable=False),
        sa.Column("host", sa.String(200), nullable=False),
        sa.Column("metric", sa.String(200), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("method", sa.String(40), nullable=False),
        sa.Column("verdict", sa.String(20), nullable=False),
        sa.Column("signal", sa.String(10), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("reaches", sa.Float),
        sa.Column("direction", sa.String(10)),
        sa.Column("within", sa.Float),
        sa.Column("window", sa.Float),
        sa.Column("min_history", sa.Float),
        sa.Column("coverage", sa.Float),
        sa.Column("fitted_from", UtcDateTime),
        sa.Column("fitted_to", UtcDateTime),
        sa.Column("points_used", sa.Integer, nullable=False),
        sa.Column("segment_started", UtcDateTime),
        sa.Column("level_shift", UtcDateTime),
        sa.Column("reset_every", sa.Float),
        sa.Column("eta", UtcDateTime),
        sa.Column("eta_low", UtcDateTime),
        sa.Column("eta_high", UtcDateTime),
        sa.Column("level_now", sa.Float),
        sa.Column("slope_per_day", sa.Float),
        sa.Column("slope_low_per_day", sa.Float),
        sa.Column("slope_high_per_day", sa.Float),
        sa.Column("pivot", UtcDateTime),
        sa.Column("spread", sa.Float),
        sa.Column("bucket", sa.Float),
        sa.Column("season", sa.Text),
        sa.Column("score", sa.Float),
        sa.Column("expected", sa.Float),
        sa.Column("band_low", sa.Float),
        sa.Column("band_high", sa.Float),
        sa.Column("since", UtcDateTime),
        sa.Column("incident_id", sa.Integer),
        sa.PrimaryKeyConstraint("id", name="pk_forecasts"),
    )
    op.create_index("ix_forecasts_series", "forecasts", ["task", "host", "metric", "kind", "at"])
    op.create_index("ix_forecasts_at", "forecasts", ["at"])
    op.create_index("ix_forecasts_incident_id", "forecasts", ["incident_id"])


def downgrade() -> None:
    op.drop_table("forecasts")
