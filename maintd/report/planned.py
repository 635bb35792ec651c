"""Planned against done: the planner's fires of a period matched with the ledger's rows, and the
work the planner has in store for the next period.

Takes ``Fire``s (``maintd.plan``) and the ledger's rows of the same period (plain dicts: task,
host, scheduled_for, trigger, status, reason); returns frozen summaries. Pure: the caller
passes now. A fire and a row are the same fire when task, host and time agree — the daemon
records each fire at the instant the planner gave it.

- **planned**: every fire of the calendar in the period.
- **skipped**: fires the planner says may not run (a blackout, a closed window, a disabled
  task) or the ledger recorded SKIPPED. Planned, not missed: they leave the compliance alone.
- **due**: the others, once their time has come.
- **done**: due fires whose check ran and answered (OK, WARNING, CRITICAL, UNKNOWN): the work
  was carried out, whatever it found (failures are reported on their own). ``late``: done by
  catch-up after maintd was down.
- **not done**: due fires without an answer — MISSED, INTERRUPTED, TIMEOUT, UNREACHABLE,
  ERROR, still RUNNING, or no row at all (maintd was not running) — grouped by status and
  reason.
- **unplanned**: rows of the period that no planned fire matches (manual runs, fires of an
  earlier calendar).

The planner plans from today's calendar: fires of a task since renamed or re-scheduled show as
not done, and their rows as unplanned.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from maintd.plan import Fire
from maintd.status import Status

Row = Mapping[str, Any]
FireKey = tuple[str, str, datetime]
GroupKey = tuple[str | None, str | None]  # (status, reason)

ANSWERED = frozenset({Status.OK, Status.WARNING, Status.CRITICAL, Status.UNKNOWN})
ON_SCHEDULE = "schedule"
EXAMPLES = 5  # task@host pairs named per group; the count says how many more


@dataclass(frozen=True)
class TaskCompliance:
    """How one task's planned fires went (``task`` empty for the total of all tasks)."""

    task: str
    planned: int = 0
    skipped: int = 0
    not_yet_due: int = 0
    due: int = 0
    done: int = 0
    late: int = 0

    @property
    def not_done(self) -> int:
        """Due fires that did not run."""
        return self.due - self.done

    @property
    def pct(self) -> float | None:
        """Done of due, in percent; None when nothing was due (100 % of nothing is no news)."""
        return None if self.due == 0 else 100.0 * self.done / self.due


@dataclass(frozen=True)
class ReasonGroup:
    """Fires that share an outcome: the ledger's ``status`` (None: no row) and ``reason``."""

    status: str | None
    reason: str | None
    count: int
    pairs: tuple[str, ...]  # the first EXAMPLES task@host pairs, sorted
    more_pairs: int  # how many further pairs


@dataclass(frozen=True)
class Compliance:
    """Planned against done over a period, per task and in total."""

    tasks: tuple[TaskCompliance, ...]
    total: TaskCompliance
    not_done: tuple[ReasonGroup, ...]
    skipped: tuple[ReasonGroup, ...]
    unplanned: int


def compare_plan(fires: Iterable[Fire], rows: Iterable[Row], now: datetime) -> Compliance:
    """Match the planned ``fires`` of a period with the ledger's ``rows`` of it, as of ``now``."""
    recorded: dict[FireKey, Row] = {
        (row["task"], row["host"], row["scheduled_for"]): row for row in rows
    }
    matched: set[FireKey] = set()
    tallies: dict[str, Counter[str]] = defaultdict(Counter)
    not_done: dict[GroupKey, Counter[str]] = defaultdict(Counter)
    skipped: dict[GroupKey, Counter[str]] = defaultdict(Counter)
    for fire in fires:
        key = (fire.task, fire.host, fire.at)
        row = recorded.get(key)
        if row is not None:
            matched.add(key)
        counts = tallies[fire.task]
        counts["planned"] += 1
        pair = f"{fire.task}@{fire.host}"
        if not fire.runs or (row is not None and row["status"] == Status.SKIPPED):
            counts["skipped"] += 1
            # The planner's reason when it planned the skip, the daemon's when it found one.
            reason = fire.reason if not fire.runs or row is None else row["reason"]
            skipped[(Status.SKIPPED.value, reason)][pair] += 1
        elif fire.at >= now:
            counts["not_yet_due"] += 1
        elif row is not None and row["status"] in ANSWERED:
            counts["due"] += 1
            counts["done"] += 1
            counts["late"] += int(row["trigger"] != ON_SCHEDULE)
        else:
            counts["due"] += 1
            status, reason = (row["status"], row["reason"]) if row else (None, None)
            not_done[(status, reason)][pair] += 1
    tasks = tuple(TaskCompliance(task, **counts) for task, counts in tallies.items())
    return Compliance(
        tasks=tasks,
        total=_add_up(tasks),
        not_done=_groups(not_done),
        skipped=_groups(skipped),
        unplanned=len(recorded.keys() - matched),
    )


def _add_up(tasks: Sequence[TaskCompliance]) -> TaskCompliance:
    total: Counter[str] = Counter()
    for task in tasks:
        for field in ("planned", "skipped", "not_yet_due", "due", "done", "late"):
            total[field] += getattr(task, field)
    return TaskCompliance("", **total)


def _groups(grouped: Mapping[GroupKey, Counter[str]]) -> tuple[ReasonGroup, ...]:
    """The groups, largest first; within each, its pairs by name."""
    groups = []
    for (status, reason), pairs in grouped.items():
        names = sorted(pairs)
        count = sum(pairs.values())
        extra = max(0, len(names) - EXAMPLES)
        groups.append(ReasonGroup(status, reason, count, tuple(names[:EXAMPLES]), extra))
    return tuple(sorted(groups, key=lambda group: (-group.count, group.status or "",
                                                   group.reason or "")))  # fmt: skip


@dataclass(frozen=True)
class UpcomingTask:
    """One task's fires in the next period: how many, on how many hosts, when it first runs,
    and how many will not run, by reason (most frequent first)."""

    task: str
    fires: int
    hosts: int
    first_run: datetime | None
    will_not_run: int
    reasons: tuple[tuple[str, int], ...]


def summarise_upcoming(fires: Iterable[Fire]) -> tuple[UpcomingTask, ...]:
    """Per task, in the order tasks first appear in ``fires`` (the planner's time order)."""
    by_task: dict[str, list[Fire]] = defaultdict(list)
    for fire in fires:
        by_task[fire.task].append(fire)
    summaries = []
    for task, planned in by_task.items():
        running = [fire.at for fire in planned if fire.runs]
        reasons = Counter(fire.reason or "" for fire in planned if not fire.runs)
        summaries.append(
            UpcomingTask(
                task=task,
                fires=len(planned),
                hosts=len({fire.host for fire in planned}),
                first_run=min(running, default=None),
                will_not_run=sum(reasons.values()),
                reasons=tuple(sorted(reasons.items(), key=lambda item: (-item[1], item[0]))),
            )
        )
    return tuple(summaries)
