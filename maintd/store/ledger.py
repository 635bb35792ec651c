"""The run ledger: one row per fire, claimed before it runs and completed after.

The unique key (task, host, scheduled_for) is what makes a fire run once: a claim is an
``INSERT … ON CONFLICT DO NOTHING``, so a restarted daemon, a catch-up and a second node on the
same PostgreSQL database can never run the same fire twice.

A write the database refuses (a full disk, a lock held too long, an I/O error) raises
``LedgerWriteError`` with the database's own reason; until a write succeeds again,
``write_problem(engine)`` says what is wrong (for /readyz).
"""

from __future__ import annotations

import socket
import weakref
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError

from maintd.results import Perfdatum
from maintd.status import Status
from maintd.store.db import reading, writing
from maintd.store.schema import metrics, runs

OUTPUT_LIMIT = 16 * 1024  # characters of long output kept in the ledger
NODE = socket.gethostname()
# Why the last write to each database failed, until one succeeds again.
_WRITE_PROBLEMS: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


class LedgerWriteError(Exception):
    """The database refused a write; ``reason`` is its own one-line explanation
    ("database or disk is full"). Nothing of the write was kept."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def write_problem(engine: Engine) -> str | None:
    """Why the last write to ``engine``'s database failed, or None when it succeeded."""
    return _WRITE_PROBLEMS.get(engine)


@dataclass(frozen=True)
class FireKey:
    """What identifies a fire in the ledger (scheduled_for is aware, jitter included)."""

    task: str
    host: str
    scheduled_for: datetime


@dataclass(frozen=True)
class Outcome:
    """How a claimed fire ended, as the store records it."""

    status: Status
    summary: str
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration: float | None = None
    exit_code: int | None = None
    output: str = ""
    attempt: int = 1
    reason: str | None = None


@dataclass(frozen=True)
class Claim:
    """A fire's row, claimed and not yet completed."""

    id: int
    fire: FireKey


class Ledger:
    """Reads and writes the run ledger of one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # Built once and executed with parameters: building a statement with its values on
        # every fire cost more CPU than running it.
        self._claim = _insert_ignoring_duplicates(engine).returning(runs.c.id)
        # Only a row still RUNNING: one a stop (or the next start) marked INTERRUPTED keeps
        # that word, though its check ends a moment later.
        self._complete = update(runs).where(
            runs.c.id == bindparam("run_id"), runs.c.status == Status.RUNNING.value
        )
        self._measure = metrics.insert()

    def close(self) -> None:
        """Close the database connections."""
        self.engine.dispose()

    def claim(
        self,
        fire: FireKey,
        trigger: str,
        *,
        status: Status = Status.RUNNING,
        reason: str | None = None,
    ) -> Claim | None:
        """Insert the fire's row; return the claim, or None when the fire already has a row.
        Raises LedgerWriteError."""
        values = {
            "task": fire.task,
            "host": fire.host,
            "scheduled_for": fire.scheduled_for,
            "trigger": trigger,
            "status": status.value,
            "reason": reason,
            "attempt": 1,
            "node": NODE,
        }
        with self._writing() as connection:
            row = connection.execute(self._claim, values).first()
        return None if row is None else Claim(int(row[0]), fire)

    def record(self, fire: FireKey, trigger: str, *, status: Status, reason: str) -> bool:
        """Record a fire that does not run (SKIPPED, MISSED); False when it had a row. Raises
        LedgerWriteError."""
        return self.claim(fire, trigger, status=status, reason=reason) is not None

    def complete(
        self, claim: Claim, outcome: Outcome, measurements: Sequence[Perfdatum] = ()
    ) -> None:
        """Write how a claimed fire ended and what it measured, in one transaction. Raises
        LedgerWriteError."""
        values = {
            "run_id": claim.id,
            "status": outcome.status.value,
            "summary": outcome.summary,
            "reason": outcome.reason,
            "started_at": outcome.started_at,
            "finished_at": outcome.finished_at,
            "duration": outcome.duration,
            "exit_code": outcome.exit_code,
            "output": outcome.output[:OUTPUT_LIMIT],
            "attempt": outcome.attempt,
        }
        with self._writing() as connection:
            if connection.execute(self._complete, values).rowcount == 0:
                return  # interrupted meanwhile: what it measured belongs to no recorded run
            if measurements:
                at = outcome.finished_at
                rows = [_metric_row(claim, at, item) for item in measurements]
                connection.execute(self._measure, rows)

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A write transaction whose refusal by the database becomes LedgerWriteError."""
        try:
            with writing(self.engine) as connection:
                yield connection
        except OperationalError as error:
            reason = _reason_of(error)
            _WRITE_PROBLEMS[self.engine] = reason
            raise LedgerWriteError(reason) from error
        _WRITE_PROBLEMS.pop(self.engine, None)

    def interrupt_running(self, reason: str, node: str = NODE) -> int:
        """Mark this node's RUNNING rows INTERRUPTED (left by a process that died or stopped);
        return how many. Raises LedgerWriteError."""
        with self._writing() as connection:
            result = connection.execute(
                update(runs)
                .where(runs.c.status == Status.RUNNING.value, runs.c.node == node)
                .values(status=Status.INTERRUPTED.value, reason=reason)
            )
        return int(result.rowcount or 0)

    def last_fires(self) -> dict[tuple[str, str], datetime]:
        """The latest recorded scheduled_for of every (task, host)."""
        with reading(self.engine) as connection:
            rows = connection.execute(
                select(runs.c.task, runs.c.host, func.max(runs.c.scheduled_for)).group_by(
                    runs.c.task, runs.c.host
                )
            ).all()
        return {(task, host): value for task, host, value in rows}

    def runs_of_pair(
        self, task: str, host: str, since: datetime, until: datetime
    ) -> list[dict[str, Any]]:
        """The runs of one (task, host) that ended in [since, until], oldest first.

        A run belongs to the moment it ended (a fire that never ran, to its scheduled time): the
        run that opened an incident was scheduled before the incident but ended at its opening,
        and the recovery that resolved it ended at its resolution; both belong to its story.
        """
        ended = func.coalesce(runs.c.finished_at, runs.c.scheduled_for)
        query = (
            select(runs)
            .where(runs.c.task == task, runs.c.host == host)
            .where(ended >= since, ended <= until)
            .order_by(runs.c.scheduled_for, runs.c.id)
        )
        with reading(self.engine) as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def history(
        self,
        *,
        tasks: Iterable[str] = (),
        hosts: Iterable[str] = (),
        statuses: Iterable[str] = (),
        since: datetime | None = None,
        limit: int = 1000,
    ) -> list[dict[str, Any]]:
        """Runs, newest first, filtered by task, host, status and scheduled time."""
        query = select(runs).order_by(runs.c.scheduled_for.desc(), runs.c.id.desc()).limit(limit)
        if tasks := list(tasks):
            query = query.where(runs.c.task.in_(tasks))
        if hosts := list(hosts):
            query = query.where(runs.c.host.in_(hosts))
        if statuses := list(statuses):
            query = query.where(runs.c.status.in_(statuses))
        if since is not None:
            query = query.where(runs.c.scheduled_for >= since)
        with reading(self.engine) as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def latest_per_pair(self) -> dict[tuple[str, str], list[dict[str, Any]]]:
        """For every (task, host), its finished runs newest first (for status and streaks)."""
        finished = [s.value for s in Status if s not in (Status.RUNNING, Status.SKIPPED)]
        query = (
            select(runs)
            .where(runs.c.status.in_(finished))
            .order_by(runs.c.task, runs.c.host, runs.c.scheduled_for.desc())
        )
        grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
        with reading(self.engine) as connection:
            for row in connection.execute(query):
                grouped.setdefault((row.task, row.host), []).append(dict(row._mapping))
        return grouped

    def metrics_of(self, run_id: int) -> list[dict[str, Any]]:
        """The measurements recorded by one run."""
        with reading(self.engine) as connection:
            rows = connection.execute(select(metrics).where(metrics.c.run_id == run_id))
            return [dict(row._mapping) for row in rows]


def _reason_of(error: OperationalError) -> str:
    """The driver's own message ("database or disk is full"), on one line."""
    text = str(error.orig or error).strip()
    return text.splitlines()[0] if text else type(error.orig or error).__name__


def _insert_ignoring_duplicates(engine: Engine) -> Any:
    if engine.dialect.name == "postgresql":
        return postgresql.insert(runs).on_conflict_do_nothing(
            index_elements=["task", "host", "scheduled_for"]
        )
    return sqlite.insert(runs).on_conflict_do_nothing(
        index_elements=["task", "host", "scheduled_for"]
    )


def _metric_row(claim: Claim, at: datetime | None, item: Perfdatum) -> dict[str, Any]:
    return {
        "run_id": claim.id,
        "task": claim.fire.task,
        "host": claim.fire.host,
        "name": item.label,
        "value": item.value,
        "unit": item.unit,
        "warn": item.warn_text,
        "crit": item.crit_text,
        "minimum": item.minimum,
        "maximum": item.maximum,
        "at": at,
    }
