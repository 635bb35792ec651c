"""The run ledger on both databases the store supports (see conftest.py: each test runs on a
fresh SQLite file and on a fresh database of a real PostgreSQL server)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import select

from maintd.results import Perfdatum, parse_range
from maintd.status import Status
from maintd.store import FireKey, Ledger, Outcome, apply_retention
from maintd.store.migrate import HEAD, _config, current_revision
from maintd.store.schema import metadata, metrics, metrics_hourly
from tests.integration.conftest import Opener

START = datetime(2027, 1, 4, 0, 0, tzinfo=UTC)


def test_a_fire_is_claimed_once(store_url: str, open_ledger: Opener) -> None:
    ledger = open_ledger(store_url)
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


def test_running_rows_become_interrupted(store_url: str, open_ledger: Opener) -> None:
    ledger = open_ledger(store_url)
    ledger.claim(FireKey("t", "h", START), "schedule")
    assert ledger.interrupt_running("maintd stopped") == 1
    (row,) = ledger.history()
    assert (row["status"], row["reason"]) == ("INTERRUPTED", "maintd stopped")


def test_a_check_ending_after_its_row_was_interrupted_leaves_it_interrupted(
    store_url: str, open_ledger: Opener
) -> None:
    ledger = open_ledger(store_url)
    claim = ledger.claim(FireKey("t", "h", START), "schedule")
    assert claim is not None
    ledger.interrupt_running("maintd stopped")
    ledger.complete(
        claim,
        Outcome(Status.OK, "late", START, START + timedelta(seconds=2), 2.0, 0),
        [Perfdatum("used_pct", 42.0, "%", None, None, None, None)],
    )
    (row,) = ledger.history()
    assert (row["status"], row["summary"]) == ("INTERRUPTED", None)
    assert ledger.metrics_of(claim.id) == []


def test_the_database_file_is_private_and_in_wal_mode(tmp_path: Path, open_ledger: Opener) -> None:
    ledger = open_ledger(str(tmp_path / "state" / "m.db"))
    assert (tmp_path / "state" / "m.db").stat().st_mode & 0o777 == 0o600
    with ledger.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_retention_folds_old_metrics_into_hours_and_drops_old_runs(
    store_url: str, open_ledger: Opener
) -> None:
    ledger = open_ledger(store_url)
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


def test_the_head_revision_maintd_knows_is_alembics(store_url: str, open_ledger: Opener) -> None:
    assert ScriptDirectory.from_config(_config()).get_current_head() == HEAD
    ledger = open_ledger(store_url)
    assert current_revision(ledger.engine) == HEAD
    open_ledger(store_url)  # a current database opens without migrating


def test_two_processes_racing_for_the_same_fires_claim_each_once(
    store_url: str, open_ledger: Opener
) -> None:
    first, second = open_ledger(store_url), open_ledger(store_url)  # two engines, two pools
    keys = [FireKey("t", f"h{index % 5}", START + timedelta(minutes=index)) for index in range(200)]

    def claim_all(ledger: Ledger) -> int:
        return sum(ledger.claim(key, "schedule") is not None for key in keys)

    with ThreadPoolExecutor(max_workers=2) as pool:
        counts = list(pool.map(claim_all, [first, second]))
    assert sum(counts) == len(keys)
    assert len(first.history(limit=1000)) == len(keys)


def test_the_migrations_build_exactly_the_schema_maintd_declares(
    store_url: str, open_ledger: Opener
) -> None:
    ledger = open_ledger(store_url)
    with ledger.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []
