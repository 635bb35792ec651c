"""Counting fires instead of listing them: per task, host and stretch the same fires the planner
lists, through windows, blackouts, holidays, jitter and clock changes; and where local dates
change, in zones with odd offsets and odd changes."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from maintd.config.model import Calendar
from maintd.plan import Planner
from maintd.plan.counting import count_fires
from maintd.plan.localtime import date_changes, offset_changes
from maintd.plan.upcoming import plan_upcoming

HOUR = timedelta(hours=1)


def calendar(zone: str) -> Calendar:
    hosts = {f"h{index}": {"groups": ["db"] if index % 2 else []} for index in range(7)}
    return Calendar.model_validate({
        "timezone": zone,
        "hosts": hosts,
        "workdays": {"holidays": "DE"},
        "windows": {
            "nightly": {"days": ["mon", "tue", "wed", "thu", "fri", "sat"], "start": "22:00",
                        "end": "04:30"},
            "bihourly": {"cron": "15 */2 * * *", "duration": "50m"},
        },
        "blackouts": [
            {"name": "freeze", "from": "2026-03-28", "to": "2026-03-28", "tasks": ["a"]},
            {"name": "holidays", "holidays": "DE", "applies_to": "disruptive"},
            {"name": "cutover", "from": "2026-04-02 13:07", "to": "2026-04-03 02:30"},
        ],
        "tasks": [
            {"name": "a", "check": "x", "hosts": ["all"],
             "schedule": {"every": "7m", "jitter": "3m", "window": "nightly"}},
            {"name": "b", "check": "x", "hosts": ["db"], "disruptive": True,
             "schedule": {"cron": "*/10 * * * *", "jitter": "90s", "window": "bihourly"}},
            {"name": "c", "check": "x", "hosts": ["all"], "schedule": {"every": "5m"},
             "enabled": False},
            {"name": "d", "check": "x", "hosts": ["h1", "h2"],
             "schedule": {"at": ["02:30", "12:00"], "jitter": "1h"}},
        ],
    })  # fmt: skip


@pytest.mark.parametrize("zone", ["Europe/Berlin", "Australia/Lord_Howe", "Asia/Kathmandu"])
def test_counted_fires_are_the_fires_the_planner_lists(zone: str) -> None:
    start = datetime(2026, 3, 27, 13, 17, 5, tzinfo=UTC)  # Berlin and Lord Howe change clocks
    end, now = start + timedelta(days=8), start + timedelta(days=3, seconds=17)
    cuts = [now, *(start + index * 7 * HOUR for index in range(1, 20))]
    listed = Planner(calendar(zone)).plan(start, end)
    counted = count_fires(Planner(calendar(zone)), start, end, cuts)
    found: Counter[tuple[str, str, str | None]] = Counter()
    for task in counted:
        assert {cut for cut in cuts if start < cut < end} <= set(task.cuts)
        for host, counts in task.per_host.items():
            for stretch, count in zip(task.stretches, counts, strict=True):
                found[(task.task, host, stretch.reason)] += count
        fires = [fire for fire in listed if fire.task == task.task]
        assert task.first == fires[0].at
        assert task.first_run == next((fire.at for fire in fires if fire.runs), None)
    assert +found == Counter((fire.task, fire.host, fire.reason) for fire in listed)


@pytest.mark.parametrize("zone", ["Europe/Berlin", "Asia/Kathmandu"])
def test_the_upcoming_fires_are_the_first_the_planner_lists_and_counts_agree(zone: str) -> None:
    planner = Planner(calendar(zone))
    start = datetime(2026, 3, 28, 20, 0, 3, tzinfo=UTC)
    end = start + timedelta(hours=30)
    listed = planner.plan(start, end)
    upcoming = plan_upcoming(planner, start, end, 40)
    assert list(upcoming.fires) == listed[:40]
    counted = {task.task: sum(map(sum, task.per_host.values()))
               for task in count_fires(planner, start, end)}  # fmt: skip
    assert dict(upcoming.by_task) == counted
    assert upcoming.total == len(listed)
    only = plan_upcoming(planner, start, end, 5, tasks={"a"}, hosts={"h3", "h4"})
    wanted = [fire for fire in listed if fire.task == "a" and fire.host in {"h3", "h4"}]
    assert list(only.fires) == wanted[:5] and only.total == len(wanted)


def test_a_stretch_is_decided_alike_throughout() -> None:
    planner = Planner(calendar("Europe/Berlin"))
    task = planner.tasks["b"]
    start = datetime(2026, 4, 1, tzinfo=UTC)
    for stretch in planner.stretches(task, start, start + timedelta(days=3)):
        assert stretch.start < stretch.end
        moments = (stretch.start, stretch.end - timedelta(seconds=1))
        assert {planner.skip_reason(task, moment) for moment in moments} == {stretch.reason}


@pytest.mark.parametrize(
    "zone", ["Europe/Berlin", "Australia/Lord_Howe", "America/Santiago", "Pacific/Apia",
             "Asia/Kathmandu", "Pacific/Chatham"],
)  # fmt: skip
def test_the_local_date_changes_only_where_date_changes_says(zone: str) -> None:
    start, end = datetime(2011, 1, 1, 0, 0, 7, tzinfo=UTC), datetime(2012, 1, 1, tzinfo=UTC)
    edges = [start, *date_changes(start, end, ZoneInfo(zone)), end]
    for low, high in itertools.pairwise(edges):
        moments = [low, high - timedelta(seconds=1), low + (high - low) / 2]
        assert len({moment.astimezone(ZoneInfo(zone)).date() for moment in moments}) == 1


def test_a_day_a_zone_skipped_is_one_change_of_date() -> None:
    apia = ZoneInfo("Pacific/Apia")  # Samoa went from 29 to 31 December 2011
    start = datetime(2011, 12, 29, tzinfo=UTC)
    edges = date_changes(start, start + timedelta(days=3), apia)
    days = [edge.astimezone(apia).date() for edge in edges]
    assert date(2011, 12, 31) in days and date(2011, 12, 30) not in days


def test_offset_changes_are_found_to_the_second() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert offset_changes(start, start + timedelta(days=365), berlin) == [
        datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC),
    ]  # fmt: skip
