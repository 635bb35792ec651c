"""The response process: SLA clocks and notification state of incidents, silences, deliveries.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from maintd.store.schema import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ZERO = sa.text("0")


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("clock_started_at", UtcDateTime))
        batch.add_column(sa.Column("respond_due", UtcDateTime))
        batch.add_column(sa.Column("resolve_due", UtcDateTime))
        batch.add_column(sa.Column("respond_clock", sa.String(20)))
        batch.add_column(sa.Column("resolve_clock", sa.String(20)))
        batch.add_column(
            sa.Column("escalation_step", sa.Integer, nullable=False, server_default=ZERO)
        )
        batch.add_column(sa.Column("notified_state", sa.String(20)))
        batch.add_column(sa.Column("notified_status", sa.String(20)))
        batch.add_column(sa.Column("notified_at", UtcDateTime))
        batch.add_column(
            sa.Column("notified_flapping", sa.Integer, nullable=False, server_default=ZERO)
        )
        batch.add_column(sa.Column("remediations", sa.Integer, nullable=False, server_default=ZERO))
    op.create_table(
        "silences",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("task", sa.String(200)),
        sa.Column("host", sa.String(200)),
        sa.Column("starts_at", UtcDateTime, nullable=False),
        sa.Column("ends_at", UtcDateTime, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(200)),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("removed_at", UtcDateTime),
        sa.Column("origin_task", sa.String(200)),
        sa.Column("summarized", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_silences"),
    )
    op.create_index("ix_silences_ends_at", "silences", ["ends_at"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("incident_id", sa.Integer),
        sa.Column("event", sa.String(30), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("url_index", sa.Integer, nullable=False),
        sa.Column("endpoint", sa.String(200), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("next_at", UtcDateTime),
        sa.Column("sent_at", UtcDateTime),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], ondelete="CASCADE",
            name="fk_deliveries_incident_id_incidents",
        ),
    )  # fmt: skip
    op.create_index("ix_deliveries_state", "deliveries", ["state"])
    op.create_index("ix_deliveries_incident_id", "deliveries", ["incident_id"])
    op.create_table(
        "delivery_attempts",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("delivery_id", sa.Integer, nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("ok", sa.Integer, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("duration", sa.Float),
        sa.PrimaryKeyConstraint("id", name="pk_delivery_attempts"),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["deliveries.id"], ondelete="CASCADE",
            name="fk_delivery_attempts_delivery_id_deliveries",
        ),
    )  # fmt: skip
    op.create_index("ix_delivery_attempts_delivery_id", "delivery_attempts", ["delivery_id"])


def downgrade() -> None:
    op.drop_table("delivery_attempts")
    op.drop_table("deliveries")
    op.drop_table("silences")
    with op.batch_alter_table("incidents") as batch:
        for column in (
            "remediations", "notified_flapping", "notified_at", "notified_status",
            "notified_state", "escalation_step", "resolve_clock", "respond_clock",
            "resolve_due", "respond_due", "clock_started_at",
        ):  # fmt: skip
            batch.drop_column(column)
