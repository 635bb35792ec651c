"""Silences: periods in which the notifications of matching incidents are held.

A silence matches by task and host (either may be empty: every one). People add and remove
them; a disruptive task's run adds one on its host and shortens it to a grace period when the
run ends. Ended silences stay in the table (the record of who silenced what, and why) with
``summarized`` set once the notice of their end went out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, or_, select, update

from maintd.store.db import reading, writing
from maintd.store.schema import silences


class SilenceBook:
    """Reads and writes the silences of one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(  # noqa: PLR0913 - a silence is made of all of these
        self,
        *,
        task: str | None,
        host: str | None,
        starts_at: datetime,
        ends_at: datetime,
        reason: str,
        by: str | None,
        origin_task: str | None = None,
    ) -> int:
        """Record a silence; return its id."""
        with writing(self.engine) as connection:
            inserted = connection.execute(
                silences.insert().returning(silences.c.id),
                {
                    "task": task,
                    "host": host,
                    "starts_at": starts_at,
                    "ends_at": ends_at,
                    "reason": reason,
                    "created_by": by,
                    "created_at": starts_at,
                    "origin_task": origin_task,
                    "summarized": 0,
                },  # fmt: skip
            )
            return int(inserted.scalar_one())

    def active(self, now: datetime) -> list[dict[str, Any]]:
        """Silences in force at ``now``."""
        query = (
            select(silences)
            .where(silences.c.removed_at.is_(None))
            .where(silences.c.starts_at <= now, silences.c.ends_at > now)
            .order_by(silences.c.id)
        )
        return self._rows(query)

    def listing(self, now: datetime, include_ended: bool = False) -> list[dict[str, Any]]:
        """Silences in force or still to come (and, when asked, the ended ones), newest first."""
        query = select(silences).order_by(silences.c.id.desc()).limit(1000)
        if not include_ended:
            query = query.where(silences.c.removed_at.is_(None), silences.c.ends_at > now)
        return self._rows(query)

    def ended(self, now: datetime) -> list[dict[str, Any]]:
        """Silences that ended (expired or removed) whose end has not been summarized yet."""
        query = (
            select(silences)
            .where(silences.c.summarized == 0)
            .where(or_(silences.c.ends_at <= now, silences.c.removed_at.is_not(None)))
            .order_by(silences.c.id)
        )
        return self._rows(query)

    def get(self, silence_id: int) -> dict[str, Any] | None:
        """One silence, or None."""
        rows = self._rows(select(silences).where(silences.c.id == silence_id))
        return rows[0] if rows else None

    def remove(self, silence_id: int, at: datetime) -> bool:
        """End a silence now; False when it had ended already."""
        with writing(self.engine) as connection:
            changed = connection.execute(
                update(silences)
                .where(silences.c.id == silence_id, silences.c.removed_at.is_(None))
                .where(silences.c.ends_at > at)
                .values(removed_at=at)
            )
            return changed.rowcount == 1

    def end_at(self, silence_id: int, ends_at: datetime) -> None:
        """Move the end of a silence (a disruptive run finished: grace from now on)."""
        with writing(self.engine) as connection:
            connection.execute(
                update(silences).where(silences.c.id == silence_id).values(ends_at=ends_at)
            )

    def summarized(self, silence_id: int) -> None:
        """The notice of this silence's end went out."""
        with writing(self.engine) as connection:
            connection.execute(
                update(silences).where(silences.c.id == silence_id).values(summarized=1)
            )

    def _rows(self, query: Any) -> list[dict[str, Any]]:
        with reading(self.engine) as connection:
            return [dict(row._mapping) for row in connection.execute(query)]
