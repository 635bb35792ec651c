"""Incidents by state: the open ones (the dashboard, /metrics' open-incident gauge, the response
desk's rounds) are a few among many resolved ones, found without reading the whole table.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_incidents_state", "incidents", ["state"])


def downgrade() -> None:
    op.drop_index("ix_incidents_state", table_name="incidents")
