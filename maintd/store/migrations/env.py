"""Alembic environment: maintd runs its migrations itself (``store.migrate``), on the
connection it is given, with foreign keys off while tables are rebuilt (a batch "recreate" of a
parent table with foreign keys on would cascade-delete its children)."""

from __future__ import annotations

from alembic import context

from maintd.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
