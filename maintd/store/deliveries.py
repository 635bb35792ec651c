"""The delivery book: the notification outbox and the record of every sending attempt.

A delivery (one message to one URL of a `notify` list) is written as 'queued' before anything
is sent, so a crash or a restart loses nothing; each attempt then appends a row and moves the
delivery on — to 'sent', back to 'queued' with the time of its retry, or to 'failed' — in the
same transaction, so the attempts always tell the delivery's whole story. No URL is ever
written: a row names its list and the URL's place in it, and an endpoint safe to show.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update

from maintd.store.db import reading, writing
from maintd.store.schema import deliveries, delivery_attempts


class DeliveryBook:
    """Reads and writes the deliveries of one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def queue(  # noqa: PLR0913 - a delivery is written with everything it is about
        self,
        *,
        incident_id: int | None,
        event: str,
        target: str,
        url_index: int,
        endpoint: str,
        title: str,
        body: str,
        at: datetime,
    ) -> int:
        """Write a delivery in state 'queued', due at once; return its id."""
        with writing(self.engine) as connection:
            inserted = connection.execute(
                deliveries.insert().returning(deliveries.c.id),
                {
                    "incident_id": incident_id,
                    "event": event,
                    "target": target,
                    "url_index": url_index,
                    "endpoint": endpoint,
                    "title": title,
                    "body": body,
                    "state": "queued",
                    "attempts": 0,
                    "created_at": at,
                    "next_at": at,
                },  # fmt: skip
            )
            return int(inserted.scalar_one())

    def record_attempt(  # noqa: PLR0913 - one attempt is all of these
        self,
        delivery_id: int,
        *,
        at: datetime,
        ok: bool,
        error: str | None,
        duration: float,
        next_at: datetime | None,
    ) -> None:
        """Append one attempt and move the delivery on, in one transaction.

        A success makes it 'sent' (at ``at``); a failure keeps it 'queued' until ``next_at``,
        or makes it 'failed' when ``next_at`` is None (no retry left). ``last_error`` is the
        error of this attempt (None after a success).
        """
        if ok:
            values: dict[str, Any] = {"state": "sent", "sent_at": at, "next_at": None}
        elif next_at is not None:
            values = {"state": "queued", "next_at": next_at}
        else:
            values = {"state": "failed", "next_at": None}
        with writing(self.engine) as connection:
            connection.execute(
                delivery_attempts.insert(),
                {
                    "delivery_id": delivery_id,
                    "at": at,
                    "ok": int(ok),
                    "error": error,
                    "duration": duration,
                },  # fmt: skip
            )
            connection.execute(
                update(deliveries)
                .where(deliveries.c.id == delivery_id)
                .values(attempts=deliveries.c.attempts + 1, last_error=error, **values)
            )

    def pending(self) -> list[dict[str, Any]]:
        """The deliveries still 'queued' (what a restarted sender takes over), oldest first."""
        query = (
            select(deliveries)
            .where(deliveries.c.state == "queued")
            .order_by(deliveries.c.created_at, deliveries.c.id)
        )
        with reading(self.engine) as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def get(self, delivery_id: int) -> dict[str, Any] | None:
        """One delivery, or None."""
        query = select(deliveries).where(deliveries.c.id == delivery_id)
        with reading(self.engine) as connection:
            row = connection.execute(query).first()
        return None if row is None else dict(row._mapping)

    def listing(self, limit: int = 100) -> list[dict[str, Any]]:
        """Deliveries, newest first."""
        query = select(deliveries).order_by(deliveries.c.created_at.desc(), deliveries.c.id.desc())
        with reading(self.engine) as connection:
            return [dict(row._mapping) for row in connection.execute(query.limit(limit))]

    def of_incident(self, incident_id: int) -> list[dict[str, Any]]:
        """The notifications queued about one incident, oldest first, as people see them
        (URLs are never stored; titles and bodies are left out)."""
        query = (
            select(
                deliveries.c.id, deliveries.c.event, deliveries.c.target, deliveries.c.endpoint,
                deliveries.c.state, deliveries.c.attempts, deliveries.c.last_error,
                deliveries.c.created_at, deliveries.c.sent_at,
            )
            .where(deliveries.c.incident_id == incident_id)
            .order_by(deliveries.c.created_at, deliveries.c.id)
        )  # fmt: skip
        with reading(self.engine) as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def attempts(self, delivery_id: int) -> list[dict[str, Any]]:
        """Every attempt of one delivery, oldest first."""
        query = (
            select(delivery_attempts)
            .where(delivery_attempts.c.delivery_id == delivery_id)
            .order_by(delivery_attempts.c.at, delivery_attempts.c.id)
        )
        with reading(self.engine) as connection:
            return [dict(row._mapping) for row in connection.execute(query)]
