"""The fires of the next hours (the dashboard's): the first few with the planner's decision
(runs, or why not), and how many there are in all, per task.

``Planner.plan`` builds and decides every fire of a span, which is what `maintd plan` wants
and far too much for a page: a day of 20 tasks every 5 minutes on 1,000 hosts is 5.8 million
fires. Here each task's base fires (``recurrence.task_fires``, as the planner takes them) are
combined with its hosts' jitter offsets, sorted once: the fires are counted base by base
(a whole base at once, bisecting only near the span's edges), and only the first ``limit`` of
all of them are ever built and decided (``Planner.decide``, so the page and the daemon cannot
disagree about a fire).
"""

from __future__ import annotations

import heapq
import itertools
from bisect import bisect_left
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from maintd.plan import recurrence
from maintd.plan.planner import Fire, Offsets, Planner


@dataclass(frozen=True)
class Upcoming:
    """The first fires of a span, decided, and how many fires the span holds."""

    fires: tuple[Fire, ...]
    total: int
    by_task: tuple[tuple[str, int], ...]  # (task, fires) of each task asked about, in order


def plan_upcoming(  # noqa: PLR0913 - the planner, the span, and the filters
    planner: Planner,
    start: datetime,
    end: datetime,
    limit: int,
    *,
    tasks: Collection[str] | None = None,
    hosts: Collection[str] | None = None,
) -> Upcoming:
    """The fires in [start, end), only of ``tasks`` and on ``hosts`` when given: the first
    ``limit`` in time order (then task, host), each with the planner's decision, and the
    count of all of them."""
    streams = []
    by_task = []
    for task in planner.calendar.tasks:
        if tasks is not None and task.name not in tasks:
            continue
        offsets = planner.offsets(task)
        if hosts is not None:
            offsets = tuple(item for item in offsets if item[1] in hosts)
        if not offsets:
            by_task.append((task.name, 0))
            continue
        jittered_from = start - task.schedule.jitter
        bases = recurrence.task_fires(task, planner.zone, jittered_from, end)
        by_task.append((task.name, _count(bases, offsets, start, end)))
        streams.append(_fires_in_order(task.name, bases, offsets, start, end))
    first = itertools.islice(heapq.merge(*streams), limit)
    fires = tuple(planner.decide(planner.tasks[name], host, at) for at, name, host in first)
    return Upcoming(fires, sum(count for _, count in by_task), tuple(by_task))


def _count(bases: Sequence[datetime], offsets: Offsets, start: datetime, end: datetime) -> int:
    """How many of the fires (each base plus each offset) fall in [start, end). A base whose
    every fire falls inside counts whole; only the few near the span's edges are bisected."""
    shifts = [offset for offset, _ in offsets]
    first_whole = bisect_left(bases, start - shifts[0])
    past_whole = bisect_left(bases, end - shifts[-1])
    count = max(0, past_whole - first_whole) * len(shifts)
    for base in [*bases[:first_whole], *bases[max(first_whole, past_whole) :]]:
        count += bisect_left(shifts, end - base) - bisect_left(shifts, start - base)
    return count


def _fires_in_order(
    task: str, bases: Sequence[datetime], offsets: Offsets, start: datetime, end: datetime
) -> Iterator[tuple[datetime, str, str]]:
    """``task``'s fires in [start, end), in time order then host: a merge of its bases' fires
    (each base's in offset order) that opens a base only once its earliest fire could come
    next, so the first few fires cost a few bases, not the day's thousands."""
    shifts = [offset for offset, _ in offsets]
    waiting: list[tuple[datetime, str, int, int]] = []  # (at, host, base index, offset index)

    def push(base_index: int, index: int) -> None:
        at = bases[base_index] + shifts[index] if index < len(shifts) else end
        if at < end:
            heapq.heappush(waiting, (at, offsets[index][1], base_index, index))

    opened = 0
    while True:
        while opened < len(bases) and (not waiting or bases[opened] + shifts[0] <= waiting[0][0]):
            push(opened, bisect_left(shifts, start - bases[opened]))
            opened += 1
        if not waiting:
            return
        at, host, base_index, index = heapq.heappop(waiting)
        yield at, task, host
        push(base_index, index + 1)
