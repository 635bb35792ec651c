"""The incident book: incidents and their timelines, one transaction per step.

Every change to an incident (opened, changed, acknowledged, noted, resolved, re-opened,
flapping) updates its row and appends one row to its timeline, together, so the timeline is
always the incident's full story.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, or_, select, update

from maintd.store.db import fetch_one, reading, writing
from maintd.store.schema import incident_events, incidents

OPEN_STATES = ("open", "acknowledged")


@dataclass(frozen=True)
class Step:
    """One entry of an incident's timeline."""

    at: datetime
    kind: str
    text: str = ""
    status: str | None = None
    by: str | None = None


class IncidentBook:
    """Reads and writes the incidents of one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def open(  # noqa: PLR0913 - an incident is opened with everything it is about
        self,
        *,
        kind: str,
        task: str | None,
        host: str | None,
        title: str,
        severity: str,
        step: Step,
    ) -> int:
        """Open a new incident; return its id."""
        with writing(self.engine) as connection:
            inserted = connection.execute(
                incidents.insert().returning(incidents.c.id),
                {
                    "kind": kind,
                    "task": task,
                    "host": host,
                    "title": title,
                    "severity": severity,
                    "state": "open",
                    "status": step.status,
                    "summary": step.text,
                    "flapping": 0,
                    "reopened": 0,
                    "opened_at": step.at,
                    "clock_started_at": step.at,
                    "escalation_step": 0,
                    "notified_flapping": 0,
                    "remediations": 0,
                },  # fmt: skip
            )
            incident_id = int(inserted.scalar_one())
            _append(connection, incident_id, step)
        return incident_id

    def current(self, task: str, host: str, kind: str = "check") -> dict[str, Any] | None:
        """The open (or acknowledged) incident of ``kind`` of a (task, host), if any."""
        return self._one(
            select(incidents)
            .where(incidents.c.task == task, incidents.c.host == host, incidents.c.kind == kind)
            .where(incidents.c.state.in_(OPEN_STATES))
            .order_by(incidents.c.id.desc())
        )

    def last_resolved(self, task: str, host: str, kind: str = "check") -> dict[str, Any] | None:
        """The most recently resolved incident of ``kind`` of a (task, host), if any."""
        return self._one(
            select(incidents)
            .where(incidents.c.task == task, incidents.c.host == host, incidents.c.kind == kind)
            .where(incidents.c.state == "resolved")
            .order_by(incidents.c.resolved_at.desc(), incidents.c.id.desc())
        )

    def reopen(
        self, incident_id: int, step: Step, *, severity: str | None = None, flapping: bool = False
    ) -> None:
        """Open a resolved incident again (the same problem came back soon). Its response
        starts over: clocks from now, escalation from the first step (those told of it hear
        that it is back)."""
        values: dict[str, Any] = {"severity": severity} if severity else {}
        self._change(
            incident_id, step, state="open", resolved_at=None, acknowledged_at=None,
            acknowledged_by=None, reopened=incidents.c.reopened + 1, status=step.status,
            summary=step.text, flapping=int(flapping), clock_started_at=step.at,
            respond_due=None, resolve_due=None, respond_clock=None, resolve_clock=None,
            escalation_step=0, **values,
        )  # fmt: skip

    def update(self, incident_id: int, step: Step, *, severity: str | None = None) -> None:
        """Record a new status of the problem (WARNING became CRITICAL, say), and the severity
        that status calls for."""
        values: dict[str, Any] = {"severity": severity} if severity else {}
        self._change(incident_id, step, status=step.status, summary=step.text, **values)

    def acknowledge(self, incident_id: int, step: Step) -> None:
        """Someone took it on: the respond clock stops."""
        self._change(
            incident_id, step, state="acknowledged", acknowledged_at=step.at,
            acknowledged_by=step.by,
        )  # fmt: skip

    def resolve(self, incident_id: int, step: Step) -> None:
        """The problem is gone (a recovery, or a person said so): the resolve clock stops."""
        self._change(incident_id, step, state="resolved", resolved_at=step.at)

    def note(self, incident_id: int, step: Step) -> None:
        """Add a remark to the timeline."""
        self._change(incident_id, step)

    def set_flapping(self, incident_id: int, flapping: bool, step: Step) -> None:
        """Mark whether the problem flaps (its notifications are held while it does)."""
        self._change(incident_id, step, flapping=int(flapping))

    def listing(
        self, states: Iterable[str] = OPEN_STATES, limit: int = 1000
    ) -> list[dict[str, Any]]:
        """Incidents in ``states``, newest first."""
        query = (
            select(incidents)
            .where(incidents.c.state.in_(list(states)))
            .order_by(incidents.c.opened_at.desc(), incidents.c.id.desc())
            .limit(limit)
        )
        with reading(self.engine) as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def timeline(self, incident_id: int) -> list[dict[str, Any]]:
        """Every step of one incident, oldest first."""
        query = (
            select(incident_events)
            .where(incident_events.c.incident_id == incident_id)
            .order_by(incident_events.c.at, incident_events.c.id)
        )
        with reading(self.engine) as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def needing_attention(self) -> list[dict[str, Any]]:
        """Incidents the response desk looks at: every unresolved one, and resolved ones whose
        people have not heard of the resolution (or of the end of their flapping) yet."""
        told = incidents.c.notified_state.in_(OPEN_STATES)
        query = (
            select(incidents)
            .where(
                or_(
                    incidents.c.state.in_(OPEN_STATES),
                    told,
                    incidents.c.notified_flapping == 1,
                )
            )
            .order_by(incidents.c.id)
        )
        with reading(self.engine) as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def mark(self, incident_id: int, step: Step | None = None, **values: Any) -> None:
        """Set columns of an incident (its clocks, what people were told), with a timeline step
        when ``step`` is given."""
        self._change(incident_id, step, **values)

    def count_remediation(self, incident_id: int, limit: int) -> bool:
        """Take one of an incident's ``limit`` remediation runs; False when all are used."""
        with writing(self.engine) as connection:
            taken = connection.execute(
                update(incidents)
                .where(incidents.c.id == incident_id, incidents.c.remediations < limit)
                .values(remediations=incidents.c.remediations + 1)
            )
            return taken.rowcount == 1

    def get(self, incident_id: int) -> dict[str, Any] | None:
        """One incident, or None."""
        return self._one(select(incidents).where(incidents.c.id == incident_id))

    def _one(self, query: Any) -> dict[str, Any] | None:
        return fetch_one(self.engine, query)

    def _change(self, incident_id: int, step: Step | None, **values: Any) -> None:
        with writing(self.engine) as connection:
            if values:
                connection.execute(
                    update(incidents).where(incidents.c.id == incident_id).values(**values)
                )
            if step is not None:
                _append(connection, incident_id, step)


def _append(connection: Connection, incident_id: int, step: Step) -> None:
    connection.execute(
        incident_events.insert(),
        {
            "incident_id": incident_id,
            "at": step.at,
            "kind": step.kind,
            "status": step.status,
            "text": step.text,
            "by": step.by,
        },  # fmt: skip
    )
