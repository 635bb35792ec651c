"""What a maintenance report reads beyond the KPIs' rows: the fires recorded in a period counted
(for comparing with the plan, and by status), the latest failures with their output, and the
incidents opened in the period with what people read about them.

Only reads; ``maintd.report`` turns the counts (``RunTally``) and rows (plain dicts) into the
report.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from sys import intern
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Engine, Integer, bindparam, case, func, literal_column, select

from maintd.store.db import fetch_all, reading
from maintd.store.schema import UtcDateTime, incidents, runs


class RunTally(NamedTuple):
    """How many runs (``runs``) of ``task`` on ``host`` in one piece of a period ended alike."""

    task: str
    host: str
    status: str
    reason: str | None
    trigger: str
    piece: int
    runs: int


def count_period_runs(
    engine: Engine,
    since: datetime,
    until: datetime,
    cuts: Sequence[datetime],
    task_cuts: Mapping[str, Sequence[datetime]],
) -> list[RunTally]:
    """The runs scheduled in [since, until) counted by task, host, status, reason, trigger and
    piece: the number of the piece of the period the run falls in when the period is cut at
    ``task_cuts[task]`` — or at ``cuts`` for the tasks not in it — each sorted. The database
    does the counting: a week of a large site is tens of millions of rows, and a million
    counts at most."""
    names = (runs.c.task, runs.c.host, runs.c.status, runs.c.reason, runs.c.trigger)
    piece = _piece_column(cuts, task_cuts)
    numbered: ColumnElement[int]
    grouping: tuple[ColumnElement[Any], ...]
    if piece is None:  # one piece, numbered 0 and grouped by nothing: GROUP BY 0 names a column
        numbered, grouping = literal_column("0", Integer), names
    else:  # the piece first: SQLite sorts to group, and numbers compare cheapest
        numbered, grouping = piece, (piece, *names)
    query = (
        select(*names, numbered.label("piece"), func.count().label("runs"))
        .where(runs.c.scheduled_for >= since, runs.c.scheduled_for < until)
        .group_by(*grouping)
    )
    with reading(engine) as connection:
        # Names are interned: each comes back once per count, and there are a million counts.
        return [
            RunTally(intern(task), intern(host), intern(status), reason, intern(trigger), piece,
                     count)
            for task, host, status, reason, trigger, piece, count in connection.execute(query)
        ]  # fmt: skip


def _piece_column(
    cuts: Sequence[datetime], task_cuts: Mapping[str, Sequence[datetime]]
) -> ColumnElement[int] | None:
    """The piece number of a run's scheduled time, by its task's cuts (tasks cut alike share
    one branch); None when nothing cuts the period."""
    tasks_by_cuts: dict[tuple[datetime, ...], list[str]] = defaultdict(list)
    for task, own in task_cuts.items():
        if tuple(own) != tuple(cuts):
            tasks_by_cuts[tuple(own)].append(task)
    if not cuts and not tasks_by_cuts:
        return None
    default = _piece_of(runs.c.scheduled_for, cuts)
    if not tasks_by_cuts:
        return default
    branches = [
        (runs.c.task.in_(tasks), _piece_of(runs.c.scheduled_for, own))
        for own, tasks in tasks_by_cuts.items()
    ]
    return case(*branches, else_=default)


def _piece_of(
    column: ColumnElement[datetime], cuts: Sequence[datetime], first: int = 0
) -> ColumnElement[int]:
    """Which of the pieces ``cuts`` makes ``column`` falls in, numbered from ``first``: a
    balanced tree of comparisons, a row costing log2(len(cuts)) of them. The instants are
    written into the statement (a month of hourly windows is thousands of them, more than a
    database takes as parameters)."""
    if not cuts:
        return literal_column(str(first), Integer)
    middle = len(cuts) // 2
    edge = bindparam(None, cuts[middle], type_=UtcDateTime(), literal_execute=True)
    return case(
        (column < edge, _piece_of(column, cuts[:middle], first)),
        else_=_piece_of(column, cuts[middle + 1 :], first + middle + 1),
    )


def read_failures(
    engine: Engine, since: datetime, until: datetime, statuses: Collection[str], limit: int
) -> list[dict[str, Any]]:
    """The latest ``limit`` runs scheduled in [since, until) that ended in one of ``statuses``,
    newest first: task, host, scheduled_for, status, reason, duration, exit_code, summary,
    output."""
    query = (
        select(
            runs.c.task, runs.c.host, runs.c.scheduled_for, runs.c.status, runs.c.reason,
            runs.c.duration, runs.c.exit_code, runs.c.summary, runs.c.output,
        )
        .where(runs.c.scheduled_for >= since, runs.c.scheduled_for < until)
        .where(runs.c.status.in_(list(statuses)))
        .order_by(runs.c.scheduled_for.desc(), runs.c.id.desc())
        .limit(limit)
    )  # fmt: skip
    return fetch_all(engine, query)


def read_period_incidents(engine: Engine, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """The incidents opened in [since, until), oldest first, with their title, state and
    deadlines: id, kind, task, host, title, severity, state, status, opened_at,
    acknowledged_at, resolved_at, respond_due, resolve_due, reopened."""
    query = (
        select(
            incidents.c.id, incidents.c.kind, incidents.c.task, incidents.c.host,
            incidents.c.title, incidents.c.severity, incidents.c.state, incidents.c.status,
            incidents.c.opened_at, incidents.c.acknowledged_at, incidents.c.resolved_at,
            incidents.c.respond_due, incidents.c.resolve_due, incidents.c.reopened,
        )
        .where(incidents.c.opened_at >= since, incidents.c.opened_at < until)
        .order_by(incidents.c.opened_at, incidents.c.id)
    )  # fmt: skip
    return fetch_all(engine, query)
