"""Schedules -> the instants they fire at, in order, under the daylight-saving policy.

Given a Schedule, the calendar's zone and a start instant, ``iter_fires`` yields UTC instants
lazily (so "the next fire" costs one step). Wall-clock kinds (`cron`, `at`) walk local days and
convert each local time with ``localtime.to_instant``; repeats (several skipped local times
resolving to one instant) are dropped. `every` counts elapsed time from its start.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta, tzinfo

from maintd.config import cron
from maintd.config.model import Task
from maintd.config.timing import Schedule, parse_at
from maintd.plan.localtime import to_instant

EVERY_EPOCH = datetime(2000, 1, 1)  # noqa: DTZ001 - a local wall time, placed in the zone below
HORIZON = timedelta(days=3660)


def iter_fires(schedule: Schedule, zone: tzinfo, start: datetime) -> Iterator[datetime]:
    """Yield the UTC instants ``schedule`` fires at, from ``start`` (inclusive) on, in order.
    Wall-clock schedules stop after ten years; `every` never stops."""
    if schedule.every is not None:
        return _every_fires(schedule.every, schedule.start or EVERY_EPOCH, zone, start)
    local_times = _cron_local_times if schedule.cron is not None else _at_local_times
    return _without_repeats(local_times(schedule, zone, start), zone, start)


def _every_fires(
    interval: timedelta, anchor_local: datetime, zone: tzinfo, start: datetime
) -> Iterator[datetime]:
    anchor = to_instant(anchor_local, zone)
    steps = max(0, -(-(start - anchor) // interval))  # ceiling division
    instant = anchor + steps * interval
    while True:
        yield instant
        instant += interval


def _without_repeats(
    local_times: Iterator[datetime], zone: tzinfo, start: datetime
) -> Iterator[datetime]:
    previous = None
    for local in local_times:
        instant = to_instant(local, zone)
        if instant < start or instant == previous:
            continue
        # The policy keeps instants in the order of their local times; a later local time
        # never resolves before an earlier one, so "equal to the previous" catches all repeats.
        previous = instant
        yield instant


def _first_local_day(zone: tzinfo, start: datetime) -> date:
    # One day early: a local time just before midnight can resolve after ``start``
    # when a gap pushes it forward.
    return start.astimezone(zone).date() - timedelta(days=1)


def _cron_local_times(schedule: Schedule, zone: tzinfo, start: datetime) -> Iterator[datetime]:
    assert schedule.cron is not None  # noqa: S101 - checked by the caller
    spec = cron.parse_cron(schedule.cron)
    clock = sorted((hour, minute) for hour in spec.hours for minute in spec.minutes)
    day = _first_local_day(zone, start)
    last_day = day + HORIZON
    while day <= last_day:
        if cron_day_matches(spec, day):
            for hour, minute in clock:
                yield datetime(day.year, day.month, day.day, hour, minute)  # noqa: DTZ001
        day += timedelta(days=1)


def _at_local_times(schedule: Schedule, zone: tzinfo, start: datetime) -> Iterator[datetime]:
    assert schedule.at is not None  # noqa: S101 - checked by the caller
    entries = [parse_at(item) for item in schedule.at]
    daily = sorted({entry for entry in entries if isinstance(entry, time)})
    once = sorted(entry for entry in entries if isinstance(entry, datetime))
    day = _first_local_day(zone, start)
    last_day = day + HORIZON if daily else max((entry.date() for entry in once), default=day)
    while day <= last_day:
        today = [datetime.combine(day, clock) for clock in daily]
        today += [entry for entry in once if entry.date() == day]
        yield from sorted(set(today))
        day += timedelta(days=1)


def cron_day_matches(spec: cron.CronSpec, day: date) -> bool:
    """Whether cron ``spec`` fires on local ``day`` (Vixie rule: restricted day-of-month and
    day-of-week fields match either)."""
    if day.month not in spec.months:
        return False
    by_month_day = day.day in spec.days_of_month
    by_weekday = day.weekday() in spec.weekdays
    if spec.day_of_month_restricted and spec.weekday_restricted:
        return by_month_day or by_weekday
    return by_month_day and by_weekday


def task_fires(task: Task, zone: tzinfo, start: datetime, end: datetime) -> list[datetime]:
    """Every base fire of ``task`` in [start, end), before jitter."""
    fires = []
    for instant in iter_fires(task.schedule, zone, start):
        if instant >= end:
            break
        fires.append(instant)
    return fires
