"""Catch-up decisions (pure) and the ledger's claim-once rule (a real SQLite file)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from maintd.config.model import Calendar
from maintd.plan import Planner
from maintd.results import Perfdatum, parse_range
from maintd.schedule.catchup import overdue_fires
from maintd.status import Status
from maintd.store import FireKey, Outcome, open_store

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


def test_a_fire_is_claimed_once(tmp_path: Path) -> None:
    ledger = open_store(str(tmp_path / "m.db"))
    key = FireKey("t", "h", START)
    first = ledger.claim(key, "schedule")
    assert first is not None
    assert ledger.claim(key, "catch-up") is None
    assert not ledger.record(key, "schedule", status=Status.MISSED, reason="x")
    ledger.complete(
        first,
        Outcome(Status.OK, "fine", START, START + timedelta(seconds=2), 2.0, 0),
        [Perfdatum("used_pct", 42.0, "%", parse_range("80"), parse_range("90"), 0, 100)],
    )
    (row,) = ledger.history()
    assert (row["status"], row["summary"], row["trigger"]) == ("OK", "fine", "schedule")
    assert ledger.metrics_of(first.id)[0]["value"] == 42.0
    assert ledger.last_fires() == {("t", "h"): START}


def test_running_rows_become_interrupted(tmp_path: Path) -> None:
    ledger = open_store(str(tmp_path / "m.db"))
    ledger.claim(FireKey("t", "h", START), "schedule")
    assert ledger.interrupt_running("maintd stopped") == 1
    (row,) = ledger.history()
    assert (row["status"], row["reason"]) == ("INTERRUPTED", "maintd stopped")


def test_the_database_file_is_private_and_in_wal_mode(tmp_path: Path) -> None:
    ledger = open_store(str(tmp_path / "state" / "m.db"))
    assert (tmp_path / "state" / "m.db").stat().st_mode & 0o777 == 0o600
    with ledger.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_retention_folds_old_metrics_into_hours_and_drops_old_runs(tmp_path: Path) -> None:
    from sqlalchemy import select  # noqa: PLC0415

    from maintd.store import apply_retention  # noqa: PLC0415
    from maintd.store.schema import metrics, metrics_hourly  # noqa: PLC0415

    ledger = open_store(str(tmp_path / "m.db"))
    now = START + timedelta(days=100)
    for minutes, value in ((0, 10.0), (20, 30.0), (70, 50.0)):
        at = START + timedelta(minutes=minutes)
        claim = ledger.claim(FireKey("disk", "h", at), "schedule")
        assert claim is not None
        ledger.complete(claim, Outcome(Status.OK, "ok", at, at, 0.1, 0), [Perfdatum("used", value)])
    recent = now - timedelta(hours=1)
    claim = ledger.claim(FireKey("disk", "h", recent), "schedule")
    assert claim is not None
    ledger.complete(
        claim, Outcome(Status.OK, "ok", recent, recent, 0.1, 0), [Perfdatum("used", 90.0)]
    )
    pruned = apply_retention(
        ledger.engine,
        runs_for=timedelta(days=400),
        metrics_for=timedelta(days=30),
        hourly_for=timedelta(days=730),
        now=now,
    )
    assert (pruned.metrics_folded, pruned.hourly_rows, pruned.runs) == (3, 2, 0)
    with ledger.engine.connect() as connection:
        hours = connection.execute(select(metrics_hourly).order_by(metrics_hourly.c.hour)).all()
        raw = connection.execute(select(metrics.c.value)).scalars().all()
    assert [(row.minimum, row.maximum, row.average, row.count) for row in hours] == [
        (10.0, 30.0, 20.0, 2),
        (50.0, 50.0, 50.0, 1),
    ]
    assert raw == [90.0]
    gone = apply_retention(
        ledger.engine,
        runs_for=timedelta(days=50),
        metrics_for=timedelta(days=30),
        hourly_for=timedelta(days=60),
        now=now,
    )
    assert (gone.runs, gone.hourly_deleted) == (3, 2)
    assert len(ledger.history()) == 1


def test_the_head_revision_maintd_knows_is_alembics(tmp_path: Path) -> None:
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    from maintd.store.migrate import HEAD, _config, current_revision  # noqa: PLC0415

    assert ScriptDirectory.from_config(_config()).get_current_head() == HEAD
    ledger = open_store(str(tmp_path / "m.db"))
    assert current_revision(ledger.engine) == HEAD
    open_store(str(tmp_path / "m.db"))  # a current database opens without migrating
