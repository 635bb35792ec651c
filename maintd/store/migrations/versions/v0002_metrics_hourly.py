"""Hourly summaries of old metrics.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from maintd.store.schema import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "metrics_hourly",
        sa.Column("task", sa.String(200), nullable=False),
        sa.Column("host", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("hour", UtcDateTime, nullable=False),
        sa.Column("unit", sa.String(20), nullable=False),
        sa.Column("minimum", sa.Float),
        sa.Column("maximum", sa.Float),
        sa.Column("average", sa.Float),
        sa.Column("count", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("task", "host", "name", "hour", name="pk_metrics_hourly"),
    )


def downgrade() -> None:
    op.drop_table("metrics_hourly")
