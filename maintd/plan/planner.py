"""Calendar -> fires: every (task, host, instant), and whether it runs or why not.

This is the one place that decides when maintenance happens. `maintd plan` prints what it
returns; the daemon asks it for each job's next fire and for the decision at the moment of the
fire, so the plan and what really happens cannot disagree.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any, NamedTuple

from maintd.config.model import Calendar, Task
from maintd.config.timing import Blackout
from maintd.plan import intervals, localtime, recurrence
from maintd.plan.days import DayCalendar, country_holidays
from maintd.plan.jitter import jitter_offset
from maintd.plan.targets import HostSelector
from maintd.runtime import gc_paused

NEXT_FIRE_HORIZON = timedelta(days=366)
# A task whose fires are all skipped (an `every: 10s` in a window that opens on 29 February)
# would otherwise be walked fire by fire for a year to find its next run.
NEXT_FIRE_CANDIDATES = 20_000
_FIRE_ORDER = attrgetter("at", "task", "host")
Offsets = tuple[tuple[timedelta, str], ...]  # (jitter offset, host) of a task, earliest first


class Fire(NamedTuple):
    """One planned run of a task on a host. ``at`` is the UTC instant (jitter included);
    ``reason`` says why a fire that does not run is skipped. (A tuple: a month's plan of a
    large site holds hundreds of thousands.)"""

    task: str
    host: str
    at: datetime
    runs: bool
    reason: str | None = None


class Stretch(NamedTuple):
    """A stretch [start, end) of time in which a task's fires are all decided alike: they run
    (``reason`` None) or are skipped for ``reason``."""

    start: datetime
    end: datetime
    reason: str | None


class Planner:
    """Decides fires for one calendar. Build it once per calendar (load or reload)."""

    def __init__(self, calendar: Calendar) -> None:
        self.calendar = calendar
        self.zone = calendar.zone
        self.days = DayCalendar(calendar.workdays)
        self.windows = {
            name: intervals.window_intervals(window, self.zone, self.days)
            for name, window in calendar.windows.items()
        }
        self.date_blackouts: list[tuple[Blackout, intervals.IntervalSet]] = []
        self.holiday_blackouts: list[tuple[Blackout, Any]] = []
        for blackout in calendar.blackouts:
            if blackout.holidays:
                table = country_holidays(blackout.holidays, blackout.subdiv)
                self.holiday_blackouts.append((blackout, table))
            else:
                blocked = intervals.blackout_intervals(blackout, self.zone)
                self.date_blackouts.append((blackout, blocked))
        self.tasks = {task.name: task for task in calendar.tasks}
        selector = HostSelector(calendar)
        self.hosts = {task.name: selector.select(task) for task in calendar.tasks}
        self._offsets: dict[str, Offsets] = {}

    def offsets(self, task: Task) -> Offsets:
        """Each host of ``task`` with its jitter offset, earliest first; computed once per
        planner (a reload makes a new one): hashing 20,000 (task, host) names for every
        count would cost more than the count."""
        found = self._offsets.get(task.name)
        if found is None:
            jitter = task.schedule.jitter
            found = tuple(sorted((jitter_offset(task.name, host, jitter), host)
                                 for host in self.hosts[task.name]))  # fmt: skip
            self._offsets[task.name] = found  # a race computes the same value twice: harmless
        return found

    def skip_reason(self, task: Task, instant: datetime) -> str | None:
        """Why a fire of ``task`` at ``instant`` must not run, or None when it may run."""
        if not task.enabled:
            return "task disabled"
        for blackout, blocked in self.date_blackouts:
            if blocked.contains(instant) and _applies(blackout, task):
                return f"blackout {blackout.name}"
        for blackout, table in self.holiday_blackouts:
            if _applies(blackout, task):
                holiday = table.get(instant.astimezone(self.zone).date())
                if holiday:
                    return f"blackout {blackout.name}: {holiday}"
        window = task.schedule.window
        if window is not None and not self.windows[window].contains(instant):
            return f"window {window} closed"
        return None

    def stretches(
        self, task: Task, start: datetime, end: datetime, cuts: Iterable[datetime] = ()
    ) -> list[Stretch]:
        """[start, end) cut where the decision on ``task``'s fires may change — the edges of
        its blackouts and of its window's openings, local midnights when a holiday blackout
        applies — and at each of ``cuts``; oldest first, each with ``skip_reason`` for its
        fires. Neighbours decided alike are merged unless one of ``cuts`` lies between them.
        ``decide`` at any instant of a stretch gives its reason: a period's fires can be
        counted stretch by stretch without deciding each."""
        kept = {cut for cut in cuts if start < cut < end}
        edges = {edge for edge in self._decision_edges(task, start, end) if start < edge < end}
        found: list[Stretch] = []
        for low, high in itertools.pairwise(sorted({start, end, *kept, *edges})):
            reason = self.skip_reason(task, low)
            if found and found[-1].reason == reason and low not in kept:
                found[-1] = found[-1]._replace(end=high)
            else:
                found.append(Stretch(low, high, reason))
        return found

    def _decision_edges(self, task: Task, start: datetime, end: datetime) -> list[datetime]:
        """Instants around [start, end) at which one of ``skip_reason``'s answers for
        ``task`` may change; between two of them each answer holds."""
        if not task.enabled:
            return []
        edges: list[datetime] = []
        for blackout, blocked in self.date_blackouts:
            if _applies(blackout, task):
                edges += blocked.opens + blocked.closes
        if any(_applies(blackout, task) for blackout, _ in self.holiday_blackouts):
            edges += localtime.date_changes(start, end, self.zone)
        window = task.schedule.window
        if window is not None:
            _, opened = self.windows[window].prepare(start, end)
            edges += opened.opens + opened.closes
        return edges

    def decide(self, task: Task, host: str, instant: datetime) -> Fire:
        """Return the fire of ``task`` on ``host`` at ``instant`` with its decision."""
        reason = self.skip_reason(task, instant)
        return Fire(task.name, host, instant, reason is None, reason)

    def host_fires(self, task: Task, host: str, start: datetime) -> Iterable[datetime]:
        """Yield the instants ``task`` fires on ``host`` from ``start`` on (jitter applied)."""
        offset = jitter_offset(task.name, host, task.schedule.jitter)
        for base in recurrence.iter_fires(task.schedule, self.zone, start - offset):
            yield base + offset

    def plan(
        self,
        start: datetime,
        end: datetime,
        tasks: Iterable[str] | None = None,
        hosts: Iterable[str] | None = None,
    ) -> list[Fire]:
        """Every fire in [start, end), optionally only of some tasks and hosts, in time order."""
        with gc_paused():
            return self._plan(start, end, tasks, hosts)

    def _plan(
        self,
        start: datetime,
        end: datetime,
        tasks: Iterable[str] | None,
        hosts: Iterable[str] | None,
    ) -> list[Fire]:
        for window in self.windows.values():
            window.prepare(start, end)
        wanted_tasks = set(tasks) if tasks is not None else None
        wanted_hosts = set(hosts) if hosts is not None else None
        fires: list[Fire] = []
        for task in self.calendar.tasks:
            if wanted_tasks is not None and task.name not in wanted_tasks:
                continue
            jitter = task.schedule.jitter
            bases = recurrence.task_fires(task, self.zone, start - jitter, end)
            for host in self.hosts[task.name]:
                if wanted_hosts is not None and host not in wanted_hosts:
                    continue
                offset = jitter_offset(task.name, host, jitter)
                for base in bases:
                    instant = base + offset
                    if start <= instant < end:
                        fires.append(self.decide(task, host, instant))
        fires.sort(key=_FIRE_ORDER)
        return fires

    def next_fire(self, after: datetime) -> Fire | None:
        """The first fire at or after ``after`` that will run, across all tasks and hosts;
        None when nothing runs within a year (or within a task's next 20,000 fires)."""
        best: Fire | None = None
        for task in self.calendar.tasks:
            if task.enabled and self.hosts[task.name]:
                limit = best.at if best is not None else after + NEXT_FIRE_HORIZON
                candidate = self._first_running(task, after, limit)
                if candidate is not None and (best is None or candidate.at < best.at):
                    best = candidate
        return best

    def _first_running(self, task: Task, after: datetime, limit: datetime) -> Fire | None:
        """The first fire of ``task`` in [after, limit] that will run, on any of its hosts."""
        jitter = task.schedule.jitter
        offsets = self.offsets(task)
        found: Fire | None = None
        bases = recurrence.iter_fires(task.schedule, self.zone, after - jitter)
        for base in itertools.islice(bases, NEXT_FIRE_CANDIDATES):
            if base > limit:
                break
            for offset, host in offsets:
                instant = base + offset
                if instant > limit:
                    break
                if instant >= after:
                    fire = self.decide(task, host, instant)
                    if fire.runs:
                        # A later base with a smaller offset may still come first.
                        found, limit = fire, instant
                        break
        return found


def _applies(blackout: Blackout, task: Task) -> bool:
    if blackout.applies_to == "disruptive" and not task.disruptive:
        return False
    return blackout.tasks is None or task.name in blackout.tasks
