"""What the daemon's HTTP endpoint reads from the store: the last success of every (task, host),
the open incidents by severity, and whether the database answers at all.

Only reads, each in one short transaction; the endpoint gets plain values, never rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from maintd.status import Status
from maintd.store import ledger
from maintd.store.db import reading
from maintd.store.incidents import OPEN_STATES
from maintd.store.schema import incidents, runs


def last_successes(engine: Engine) -> dict[tuple[str, str], datetime]:
    """When each (task, host) last finished OK, from the whole ledger."""
    query = (
        select(runs.c.task, runs.c.host, func.max(runs.c.finished_at))
        .where(runs.c.status == Status.OK.value, runs.c.finished_at.is_not(None))
        .group_by(runs.c.task, runs.c.host)
    )
    with reading(engine) as connection:
        return {(task, host): finished for task, host, finished in connection.execute(query)}


def open_incidents_by_severity(engine: Engine) -> dict[str, int]:
    """How many incidents are open or acknowledged, by severity (severities with none are
    absent)."""
    query = (
        select(incidents.c.severity, func.count())
        .where(incidents.c.state.in_(OPEN_STATES))
        .group_by(incidents.c.severity)
    )
    with reading(engine) as connection:
        return {severity: int(count) for severity, count in connection.execute(query)}


def probe_reading(engine: Engine) -> str | None:
    """Read one row of the ledger; return None when that worked and the last write to it
    worked too, else why not (one line).

    A bare ``SELECT 1`` proves little on SQLite: it never touches the database file. A full
    disk still lets every read through: only the writes tell (``ledger.write_problem``).
    """
    try:
        with reading(engine) as connection:
            connection.execute(select(runs.c.id).limit(1)).first()
    except SQLAlchemyError as error:
        # The driver's own message ("database is locked", "connection refused"), not
        # SQLAlchemy's wrapping of it with the statement and a link.
        text = str(getattr(error, "orig", None) or error).strip()
        return text.splitlines()[0] if text else type(error).__name__
    refused = ledger.write_problem(engine)
    return f"writes fail: {refused}" if refused else None
