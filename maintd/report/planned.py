"""Planned against done: the planner's fires of a period matched with the ledger's rows, and the
work the planner has in store for the next period — on counts, never lists: a week of a large
site is tens of millions of fires and as many rows.

Takes the fires counted per task, host and stretch (``maintd.plan.counting``, the period cut
at now among other instants) and the ledger's rows counted per task, host, status, reason,
trigger and the same stretch (``maintd.store.report_queries.count_period_runs``); returns
frozen summaries. Pure: the caller passes now. A fire and a row are the same fire when task,
host and time agree — the daemon records each fire once, at the instant the planner gave it —
so within a stretch the rows of a (task, host) lie on its fires, one row to a fire.

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

The planner plans from today's calendar: fires of a task since renamed show as not done, and
its rows as unplanned. Counting is exact for the rows the daemon writes under today's
calendar, each on a planned instant, one to a fire. Two cases differ from matching row by row:

- a manual run (trigger ``manual``) counts as unplanned even if it started on a planned instant;
- the rows that a task re-scheduled during the period (or given another jitter) left off
  today's instants are taken for fires of today's plan that have no row in the same stretch
  (a local day at most, cut at now and wherever the planner's decision changes); only rows
  beyond the stretch's fires count as unplanned, taken from the answered rows first, so that
  compliance is never overstated.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from maintd.plan.counting import TaskFires
from maintd.plan.planner import Stretch
from maintd.status import PLUGIN_STATUSES, Status

if TYPE_CHECKING:  # the store's counts, read by attribute: no database needed here
    from maintd.store.report_queries import RunTally

GroupKey = tuple[str | None, str | None]  # (status, reason)

ANSWERED = PLUGIN_STATUSES  # done: the check ran and answered, whatever it found
ON_SCHEDULE = "schedule"
MANUAL = "manual"
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


def compare_plan(
    planned: Sequence[TaskFires], recorded: Iterable[RunTally], now: datetime
) -> Compliance:
    """Match the ``planned`` fires of a period, counted with ``now`` among their cuts, with
    the ledger's ``recorded`` rows of it counted by task, host, status, reason, trigger and
    piece — the index of the task's stretch the rows lie in. Tasks come in the order of their
    first fire (the planner's time order)."""
    pieces: dict[tuple[str, str], dict[int, list[RunTally]]] = defaultdict(
        lambda: defaultdict(list)
    )
    matcher = _Matcher(now)
    for row in recorded:
        if row.trigger == MANUAL:
            matcher.unplanned += row.runs
        else:
            pieces[(row.task, row.host)][row.piece].append(row)
    for fires in in_time_order(planned):
        for host, counts in fires.per_host.items():
            found = pieces.pop((fires.task, host), {})
            for index, stretch in enumerate(fires.stretches):
                matcher.match(fires.task, host, stretch, counts[index], found.pop(index, []))
            matcher.unplanned += sum(row.runs for rows in found.values() for row in rows)
    matcher.unplanned += sum(
        row.runs for found in pieces.values() for rows in found.values() for row in rows
    )
    return matcher.compliance()


def in_time_order(planned: Iterable[TaskFires]) -> list[TaskFires]:
    """The tasks that have fires, by their first fire, then by name."""
    having = [fires for fires in planned if fires.first is not None]
    return sorted(having, key=lambda fires: (fires.first, fires.task))


class _Matcher:
    """Adds up planned against done, stretch by stretch, for ``compare_plan``."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.tallies: dict[str, Counter[str]] = defaultdict(Counter)
        self.not_done: dict[GroupKey, Counter[str]] = defaultdict(Counter)
        self.skipped: dict[GroupKey, Counter[str]] = defaultdict(Counter)
        self.unplanned = 0

    def match(  # noqa: PLR0913 - one stretch of one (task, host): its fires and its rows
        self, task: str, host: str, stretch: Stretch, planned: int, rows: Sequence[RunTally]
    ) -> None:
        """Count the ``planned`` fires of ``task`` on ``host`` in ``stretch`` and the ledger's
        ``rows`` there."""
        counts = self.tallies[task]
        counts["planned"] += planned
        pair = f"{task}@{host}"
        matched, beyond = _on_plan(rows, planned)
        self.unplanned += beyond
        if stretch.reason is not None:  # the planner's reason wins over whatever was recorded
            counts["skipped"] += planned
            if planned:
                self.skipped[(Status.SKIPPED.value, stretch.reason)][pair] += planned
            return
        ran = planned
        for row, count in matched:
            if row.status == Status.SKIPPED:
                counts["skipped"] += count
                self.skipped[(Status.SKIPPED.value, row.reason)][pair] += count
                ran -= count
        if stretch.start >= self.now:
            counts["not_yet_due"] += ran
        else:
            counts["due"] += ran
            self._judge_due(counts, pair, ran, matched)

    def _judge_due(
        self, counts: Counter[str], pair: str, due: int, matched: Sequence[tuple[RunTally, int]]
    ) -> None:
        """Done, late or not done (and why): ``due`` fires of ``pair`` with their ``matched``
        rows (SKIPPED ones already counted)."""
        for row, count in matched:
            if row.status == Status.SKIPPED:
                continue
            due -= count
            if row.status not in ANSWERED:
                self.not_done[(row.status, row.reason)][pair] += count
                continue
            counts["done"] += count
            if row.trigger != ON_SCHEDULE:
                counts["late"] += count
        if due:
            self.not_done[(None, None)][pair] += due

    def compliance(self) -> Compliance:
        """What was counted."""
        tasks = tuple(TaskCompliance(task, **counts) for task, counts in self.tallies.items())
        return Compliance(
            tasks=tasks,
            total=_add_up(tasks),
            not_done=_groups(self.not_done),
            skipped=_groups(self.skipped),
            unplanned=self.unplanned,
        )


def _on_plan(rows: Sequence[RunTally], planned: int) -> tuple[list[tuple[RunTally, int]], int]:
    """The ``rows`` of a stretch taken to lie on its ``planned`` fires (each row with how many
    of its count), and how many rows are beyond them: answered rows last, so that the excess
    (module docstring) comes from them."""
    room = planned
    matched = []
    for row in sorted(rows, key=lambda row: row.status in ANSWERED):
        taken = min(row.runs, room)
        if taken:
            matched.append((row, taken))
            room -= taken
    return matched, sum(row.runs for row in rows) - (planned - room)


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


def summarise_upcoming(planned: Iterable[TaskFires]) -> tuple[UpcomingTask, ...]:
    """Per task that has fires, in the order of their first fire (the planner's time order)."""
    summaries = []
    for fires in in_time_order(planned):
        per_host = list(fires.per_host.values())
        reasons: Counter[str] = Counter()
        total = 0
        for index, stretch in enumerate(fires.stretches):
            count = sum(counts[index] for counts in per_host)
            total += count
            if stretch.reason is not None and count:
                reasons[stretch.reason] += count
        summaries.append(
            UpcomingTask(
                task=fires.task,
                fires=total,
                hosts=sum(1 for counts in per_host if any(counts)),
                first_run=fires.first_run,
                will_not_run=sum(reasons.values()),
                reasons=tuple(sorted(reasons.items(), key=lambda item: (-item[1], item[0]))),
            )
        )
    return tuple(summaries)
