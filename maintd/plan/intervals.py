"""Sorted, disjoint UTC intervals with fast membership, and the windows and blackouts that
produce them.

Windows and date-range blackouts are expanded for a span of time at once; a query outside the
span expands the next span. Planning a month asks for each span once, so a fire costs one
bisection; the daemon, asking about "now" repeatedly, re-expands once a month.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta, tzinfo

from maintd.config import cron
from maintd.config.timing import Blackout, Window
from maintd.plan.days import DayCalendar
from maintd.plan.localtime import local_date_start, to_instant
from maintd.plan.recurrence import cron_day_matches

Interval = tuple[datetime, datetime]
SPAN = timedelta(days=32)


class IntervalSet:
    """Half-open intervals [open, close), merged so that membership is one bisection."""

    def __init__(self, intervals: Iterable[Interval]) -> None:
        merged: list[list[datetime]] = []
        for opens, closes in sorted(intervals):
            if closes <= opens:
                continue
            if merged and opens <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], closes)
            else:
                merged.append([opens, closes])
        self.opens = [item[0] for item in merged]
        self.closes = [item[1] for item in merged]

    def contains(self, instant: datetime) -> bool:
        """Whether ``instant`` lies inside one of the intervals."""
        index = bisect.bisect_right(self.opens, instant) - 1
        return index >= 0 and instant < self.closes[index]


class LazyIntervals:
    """Intervals of an expander, computed for one span around the instants asked about."""

    def __init__(
        self, expand: Callable[[datetime, datetime], Iterable[Interval]], reach: timedelta
    ):
        self.expand = expand
        self.reach = reach  # how far before a span an interval reaching into it may open
        self._current: tuple[Interval, IntervalSet] | None = None
        self._lock = threading.Lock()  # the daemon's threads and a plan may share a planner

    def prepare(self, start: datetime, end: datetime) -> tuple[Interval, IntervalSet]:
        """Expand for [start, end) at once (planning a period); return the expansion."""
        current = ((start, end), IntervalSet(self.expand(start - self.reach, end)))
        with self._lock:
            self._current = current
        return current

    def contains(self, instant: datetime) -> bool:
        """Whether ``instant`` lies inside one of the intervals."""
        with self._lock:
            current = self._current
        if current is None or not current[0][0] <= instant < current[0][1]:
            # Answer from this expansion, whatever another thread prepares meanwhile.
            current = self.prepare(instant - timedelta(days=1), instant + SPAN)
        return current[1].contains(instant)


def window_intervals(window: Window, zone: tzinfo, days: DayCalendar) -> LazyIntervals:
    """Return the open periods of a maintenance window as lazily expanded intervals."""
    if window.cron is not None and window.duration is not None:
        spec = cron.parse_cron(window.cron)
        duration = window.duration
        clock = sorted((hour, minute) for hour in spec.hours for minute in spec.minutes)

        def expand_cron(start: datetime, end: datetime) -> Iterable[Interval]:
            for day in local_days(start, end, zone):
                if cron_day_matches(spec, day):
                    for hour, minute in clock:
                        opens = to_instant(datetime.combine(day, time(hour, minute)), zone)
                        yield opens, opens + duration

        return LazyIntervals(expand_cron, duration + timedelta(days=1))

    tokens = frozenset(window.days or ())
    start_time, end_time = window.start or time(), window.end or time()
    overnight = end_time <= start_time

    def expand_days(start: datetime, end: datetime) -> Iterable[Interval]:
        for day in local_days(start, end, zone):
            if days.matches(day, tokens):
                close_day = day + timedelta(days=1) if overnight else day
                yield (
                    to_instant(datetime.combine(day, start_time), zone),
                    to_instant(datetime.combine(close_day, end_time), zone),
                )

    return LazyIntervals(expand_days, timedelta(days=2))


def blackout_intervals(blackout: Blackout, zone: tzinfo) -> IntervalSet:
    """Return a date-range blackout as one interval: whole local days for dates, the exact local
    times for date-times (its `to` then being the moment it ends)."""
    assert blackout.start is not None and blackout.end is not None  # noqa: S101 - model checked
    opens = _blackout_edge(blackout.start, zone, is_end=False)
    return IntervalSet([(opens, _blackout_edge(blackout.end, zone, is_end=True))])


def _blackout_edge(value: date | datetime, zone: tzinfo, is_end: bool) -> datetime:
    if isinstance(value, datetime):
        return to_instant(value, zone)
    return local_date_start(value + timedelta(days=1) if is_end else value, zone)


def local_days(start: datetime, end: datetime, zone: tzinfo) -> Iterable[date]:
    """The local dates from the day before ``start`` to ``end``'s (an interval opened the
    evening before may reach into the span)."""
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date()
    while day <= last:
        yield day
        day += timedelta(days=1)
