"""SLA clocks: how much of a commitment has been used, and when it runs out.

A clock counts wall time from an incident's opening, except:

- while a maintenance window that names the incident's host in `pause` is open (the host is
  being worked on; nobody is late for it), and
- with `business_hours`, outside working hours (working days of the `workdays` calendar, between
  `workdays.start` and `end` when set, else the whole working day).

Deadlines are computed, not ticked: ``deadline(start, budget)`` walks the running intervals
forward, so a restart or a slow tick never shifts one. Escalation delays use the same clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta

from maintd.config.hosts import ALL_HOSTS
from maintd.config.model import Calendar
from maintd.plan import Planner
from maintd.plan.intervals import Interval, LazyIntervals, local_days
from maintd.plan.localtime import to_instant
from maintd.plan.targets import HostSelector

CHUNK = timedelta(days=7)
HORIZON = timedelta(days=400)  # a clock that cannot run for this long has no deadline


class SlaCalendar:
    """What pauses the clocks of one calendar: its pausing windows and its working hours."""

    def __init__(self, calendar: Calendar, planner: Planner) -> None:
        self.zone = calendar.zone
        self.days = planner.days
        self.hours = (calendar.workdays.start, calendar.workdays.end)
        selector = HostSelector(calendar)
        # window name → the hosts it pauses (None, with `all`: every host, and incidents
        # reported without one)
        self.pausing: dict[str, set[str] | None] = {
            name: None if ALL_HOSTS in window.pause else set(selector.expand(window.pause))
            for name, window in calendar.windows.items()
            if window.pause
        }
        self.windows = {name: planner.windows[name] for name in self.pausing}

    def clock(self, host: str | None, business_hours: bool) -> SlaClock:
        """The clock of an incident on ``host`` (None: reported without a host)."""
        pauses = [
            (name, self.windows[name])
            for name, hosts in self.pausing.items()
            if hosts is None or (host is not None and host in hosts)
        ]
        return SlaClock(pauses, self if business_hours else None)

    def business_intervals(self, start: datetime, end: datetime) -> Iterator[Interval]:
        """Working hours between ``start`` and ``end``, as UTC intervals."""
        opens, closes = self.hours
        for day in local_days(start, end, self.zone):
            if self.days.is_workday(day):
                begin = datetime.combine(day, opens or time())
                finish = (
                    datetime.combine(day, closes)
                    if closes
                    else datetime.combine(day + timedelta(days=1), time())
                )
                yield to_instant(begin, self.zone), to_instant(finish, self.zone)


class SlaClock:
    """One incident's clock: counted time between instants, and deadlines."""

    def __init__(
        self, pauses: list[tuple[str, LazyIntervals]], business: SlaCalendar | None
    ) -> None:
        self.pauses = pauses
        self.business = business

    def paused_by(self, instant: datetime) -> str | None:
        """The name of a window pausing this clock at ``instant``, if one does."""
        for name, intervals in self.pauses:
            if intervals.contains(instant):
                return name
        return None

    def running(self, start: datetime, end: datetime) -> list[Interval]:
        """The intervals within [start, end) in which the clock runs."""
        base: list[Interval] = (
            [(start, end)]
            if self.business is None
            else _clip(self.business.business_intervals(start, end), start, end)
        )
        paused: list[Interval] = []
        for _, intervals in self.pauses:
            paused.extend(intervals.expand(start - intervals.reach, end))
        return _subtract(base, _merge(_clip(paused, start, end)))

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Counted time between ``start`` and ``end``."""
        total = timedelta(0)
        chunk_start = start
        while chunk_start < end:
            chunk_end = min(end, chunk_start + CHUNK)
            for opens, closes in self.running(chunk_start, chunk_end):
                total += closes - opens
            chunk_start = chunk_end
        return total

    def deadline(self, start: datetime, budget: timedelta) -> datetime | None:
        """The instant at which ``budget`` of counted time since ``start`` is used up; None when
        the clock would not run out within a year (say, a window that never closes)."""
        remaining = budget
        chunk_start = start
        while chunk_start < start + HORIZON:
            chunk_end = chunk_start + CHUNK
            for opens, closes in self.running(chunk_start, chunk_end):
                if closes - opens >= remaining:
                    return opens + remaining
                remaining -= closes - opens
            chunk_start = chunk_end
        return None


def _clip(
    intervals: Iterator[Interval] | list[Interval], start: datetime, end: datetime
) -> list[Interval]:
    return [
        (max(opens, start), min(closes, end))
        for opens, closes in intervals
        if closes > start and opens < end
    ]


def _merge(intervals: list[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for opens, closes in sorted(intervals):
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return merged


def _subtract(base: list[Interval], holes: list[Interval]) -> list[Interval]:
    """``base`` minus ``holes`` (both sorted and disjoint)."""
    result: list[Interval] = []
    for opens, closes in base:
        cursor = opens
        for hole_opens, hole_closes in holes:
            if hole_closes <= cursor or hole_opens >= closes:
                continue
            if hole_opens > cursor:
                result.append((cursor, hole_opens))
            cursor = max(cursor, hole_closes)
        if cursor < closes:
            result.append((cursor, closes))
    return result
