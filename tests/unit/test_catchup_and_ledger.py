"""Catch-up decisions (pure) and the ledger's claim-once rule (a real SQLite file)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from maintd.config.model import Calendar
from maintd.plan import Planner
from maintd.schedule.catchup import overdue_fires

START = datetime(2027, 1, 4, 0, 0, tzinfo=UTC)


def calendar(catch_up: Any, **task: Any) -> Calendar:
    return Calendar.model_validate(
        {
            "hosts": {"h": {}},
            "windows": {"w": {"cron": "0 0 * * *", "duration": "30m"}},
            "tasks": [
                {"name": "t", "check": "x", "hosts": ["h"], "schedule": {"every": "10m"},
                 "catch_up": catch_up, **task},
            ],
        }
    )  # fmt: skip


def actions(cal: Calendar, down_for: timedelta) -> list[tuple[str, str]]:
    found = overdue_fires(cal, Planner(cal), {("t", "h"): START}, START + down_for)
    return [(item.fire.at.strftime("%H:%M"), item.action.value) for item in found]


def test_none_records_every_missed_fire() -> None:
    assert actions(calendar("none"), timedelta(minutes=35)) == [
        ("00:10", "missed"),
        ("00:20", "missed"),
        ("00:30", "missed"),
    ]


def test_once_runs_the_latest_and_records_the_rest() -> None:
    assert actions(calendar("once"), timedelta(minutes=35)) == [
        ("00:10", "missed"),
        ("00:20", "missed"),
        ("00:30", "run"),
    ]


def test_all_runs_each_within_max_age() -> None:
    cal = calendar({"policy": "all", "max_age": "15m"})
    assert actions(cal, timedelta(minutes=35)) == [
        ("00:10", "missed"),
        ("00:20", "run"),
        ("00:30", "run"),
    ]


def test_fires_the_planner_would_skip_are_skipped_not_run() -> None:
    cal = calendar("all", schedule={"every": "10m", "window": "w"})
    assert actions(cal, timedelta(minutes=45)) == [
        ("00:10", "run"),
        ("00:20", "run"),
        ("00:30", "skipped"),
        ("00:40", "skipped"),
    ]


def test_a_pair_without_history_has_nothing_to_catch_up() -> None:
    cal = calendar("all")
    assert overdue_fires(cal, Planner(cal), {}, START + timedelta(days=3)) == []
