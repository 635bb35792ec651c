"""Daylight-saving transitions in three zones (Europe/Berlin, America/New_York, and
Australia/Lord_Howe, whose clocks move by half an hour), on the spring-forward and the fall-back
day, for every schedule kind: a daily `cron`, a cron macro (@hourly), a quarter-hourly cron,
daily `at` times, one-off `at` date-times, `every` with its default anchor, `every` anchored in
the skipped or repeated hour, `every: 1d` (elapsed time, not wall-clock), and a cron with
`jitter`.

Each case is asked of the planner (what `maintd plan` prints) and walked through the daemon's
APScheduler trigger (each next fire computed from the previous one, as APScheduler does): both
must give the same instants, and those must follow the documented policy (docs/calendar.md):
a wall-clock fire in a skipped hour runs once, at the end of the gap; one in a repeated hour
runs once, at its first occurrence; `every` keeps its elapsed spacing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from maintd.config.model import Calendar
from maintd.plan import Planner
from maintd.plan.jitter import jitter_offset
from maintd.plan.localtime import to_instant
from maintd.schedule.triggers import PlannerTrigger

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Transition:
    """One clock change: the local day, a wall time that does not exist or exists twice that
    day, and what the policy makes of it (local time with its offset)."""

    zone: str
    kind: str  # "spring" (a gap) or "fall" (a repeat)
    day: date
    clock: str  # "HH:MM" in the gap or in the repeated span
    resolved: str  # "HH:MM+hhmm": the end of the gap, or the first occurrence
    quarter_hours: int  # fires of */15 that day
    hours: int  # fires of @hourly that day


TRANSITIONS = [
    Transition("Europe/Berlin", "spring", date(2026, 3, 29), "02:30", "03:00+0200", 92, 23),
    Transition("Europe/Berlin", "fall", date(2026, 10, 25), "02:30", "02:30+0200", 96, 24),
    Transition("America/New_York", "spring", date(2026, 3, 8), "02:30", "03:00-0400", 92, 23),
    Transition("America/New_York", "fall", date(2026, 11, 1), "01:30", "01:30-0400", 96, 24),
    # Lord Howe: 02:00 → 02:30 in October, 02:00 → 01:30 in April.
    Transition("Australia/Lord_Howe", "spring", date(2026, 10, 4), "02:10", "02:30+1100", 94, 24),
    Transition("Australia/Lord_Howe", "fall", date(2026, 4, 5), "01:45", "01:45+1100", 96, 24),
]
IDS = [f"{t.zone.split('/')[1]}-{t.kind}" for t in TRANSITIONS]


def calendar_with(zone: str, schedule: dict[str, object]) -> Calendar:
    return Calendar.model_validate(
        {
            "timezone": zone,
            "hosts": {"h": {}},
            "tasks": [{"name": "t", "check": "x", "hosts": ["h"], "schedule": schedule}],
        }
    )


def fires_of(zone: str, schedule: dict[str, object], day: date) -> list[datetime]:
    """The task's fires over the local ``day`` from the planner, after checking that the
    daemon's trigger, walked fire by fire, gives exactly the same."""
    calendar = calendar_with(zone, schedule)
    planner = Planner(calendar)
    tz = ZoneInfo(zone)
    start = to_instant(datetime.combine(day, datetime.min.time()), tz)
    end = to_instant(datetime.combine(day + timedelta(days=1), datetime.min.time()), tz)
    planned = [fire.at for fire in planner.plan(start, end)]
    assert planned == walk_trigger(planner, start, end), "the daemon and `maintd plan` disagree"
    return planned


def walk_trigger(planner: Planner, start: datetime, end: datetime) -> list[datetime]:
    """The fires APScheduler would get from the daemon's trigger in [start, end)."""
    task = planner.calendar.tasks[0]
    trigger = PlannerTrigger(planner, task, "h")
    found: list[datetime] = []
    instant = trigger.get_next_fire_time(None, start)
    while instant is not None and instant < end:
        found.append(instant)
        instant = trigger.get_next_fire_time(instant, instant)
    return found


def local(zone: str, instants: list[datetime]) -> list[str]:
    tz = ZoneInfo(zone)
    return [instant.astimezone(tz).strftime("%H:%M%z") for instant in instants]


def hour_minute(clock: str) -> tuple[int, int]:
    hour, minute = clock.split(":")
    return int(hour), int(minute)


@pytest.mark.parametrize("case", TRANSITIONS, ids=IDS)
def test_a_daily_cron_fires_once_at_the_resolved_time(case: Transition) -> None:
    hour, minute = hour_minute(case.clock)
    fires = fires_of(case.zone, {"cron": f"{minute} {hour} * * *"}, case.day)
    assert local(case.zone, fires) == [case.resolved]


@pytest.mark.parametrize("case", TRANSITIONS, ids=IDS)
def test_daily_at_times_fire_once_at_the_resolved_time(case: Transition) -> None:
    fires = fires_of(case.zone, {"at": [case.clock, "12:00"]}, case.day)
    assert local(case.zone, fires)[0] == case.resolved
    assert len(fires) == 2


@pytest.mark.parametrize("case", TRANSITIONS, ids=IDS)
def test_a_one_off_at_date_time_fires_once_at_the_resolved_time(case: Transition) -> None:
    fires = fires_of(case.zone, {"at": [f"{case.day.isoformat()} {case.clock}"]}, case.day)
    assert local(case.zone, fires) == [case.resolved]


@pytest.mark.parametrize("case", TRANSITIONS, ids=IDS)
def test_a_cron_with_jitter_keeps_its_offset_from_the_resolved_time(case: Transition) -> None:
    hour, minute = hour_minute(case.clock)
    fires = fires_of(case.zone, {"cron": f"{minute} {hour} * * *", "jitter": "10m"}, case.day)
    without = fires_of(case.zone, {"cron": f"{minute} {hour} * * *"}, case.day)
    offset = jitter_offset("t", "h", timedelta(minutes=10))
    assert fires == [without[0] + offset]


@pytest.mark.parametrize("case", TRANSITIONS, ids=IDS)
def test_a_quarter_hourly_cron_neither_loses_the_day_nor_doubles(case: Transition) -> None:
    fires = fires_of(case.zone, {"cron": "*/15 * * * *"}, case.day)
    assert len(fires) == len(set(fires)) == case.quarter_hours
    if case.kind == "spring":  # the skipped quarters became one fire, at the end of the gap
        assert local(case.zone, fires).count(case.resolved) == 1


@pytest.mark.parametrize("case", TRANSITIONS, ids=IDS)
def test_an_hourly_macro_fires_each_wall_clock_hour_once(case: Transition) -> None:
    fires = fires_of(case.zone, {"cron": "@hourly"}, case.day)
    assert len(fires) == len(set(fires)) == case.hours


@pytest.mark.parametrize("case", TRANSITIONS, ids=IDS)
def test_every_keeps_its_elapsed_spacing_through_the_day(case: Transition) -> None:
    tz = ZoneInfo(case.zone)
    fires = fires_of(case.zone, {"every": "1h"}, case.day)
    assert {later - earlier for earlier, later in zip(fires, fires[1:], strict=False)} == {HOUR}
    # An oracle in plain UTC arithmetic: every whole hour after the anchor (2000-01-01 00:00
    # local) that falls inside the local day.
    anchor = datetime(2000, 1, 1, tzinfo=tz).astimezone(UTC)
    start = datetime.combine(case.day, datetime.min.time(), tz).astimezone(UTC)
    end = datetime.combine(case.day + timedelta(days=1), datetime.min.time(), tz)
    expected = [anchor + HOUR * step for step in range(
        -(-(start - anchor) // HOUR), -(-(end.astimezone(UTC) - anchor) // HOUR))]  # fmt: skip
    assert fires == expected


@pytest.mark.parametrize("case", TRANSITIONS, ids=IDS)
def test_every_anchored_in_the_changed_hour_starts_at_the_resolved_time(case: Transition) -> None:
    schedule = {"every": "6h", "start": f"{case.day.isoformat()}T{case.clock}:00"}
    fires = fires_of(case.zone, schedule, case.day)
    assert local(case.zone, fires)[0] == case.resolved
    assert {later - earlier for earlier, later in zip(fires, fires[1:], strict=False)} <= {6 * HOUR}


@pytest.mark.parametrize("case", TRANSITIONS, ids=IDS)
def test_every_day_is_elapsed_time_not_the_wall_clock(case: Transition) -> None:
    # Anchored the day before, well away from the change: 24 h later is a different wall time
    # when the day is 23 or 25 hours long (23.5 / 24.5 at Lord Howe).
    tz = ZoneInfo(case.zone)
    before = case.day - timedelta(days=1)
    schedule = {"every": "1d", "start": f"{before.isoformat()}T12:00:00"}
    fires = fires_of(case.zone, schedule, case.day)
    anchor = datetime.combine(before, datetime.min.time(), tz).replace(hour=12)
    assert fires == [anchor.astimezone(UTC) + timedelta(days=1)]
    assert fires[0].astimezone(tz).strftime("%H:%M") != "12:00"


@pytest.mark.parametrize("case", [t for t in TRANSITIONS if t.kind == "fall"], ids=lambda t: t.zone)
def test_a_daemon_started_in_the_repeated_hour_does_not_fire_its_first_occurrence_again(
    case: Transition,
) -> None:
    hour, minute = hour_minute(case.clock)
    calendar = calendar_with(case.zone, {"cron": f"{minute} {hour} * * *"})
    planner = Planner(calendar)
    tz = ZoneInfo(case.zone)
    first = datetime.combine(case.day, datetime.min.time()).replace(hour=hour, minute=minute)
    fired = first.replace(tzinfo=tz, fold=0).astimezone(UTC)
    # The same wall time again, an hour (half an hour at Lord Howe) later.
    again = first.replace(tzinfo=tz, fold=1).astimezone(UTC)
    assert again > fired
    trigger = PlannerTrigger(planner, calendar.tasks[0], "h", since=again)
    following = trigger.get_next_fire_time(None, again)
    assert following is not None and following.astimezone(tz).date() == case.day + timedelta(1)
