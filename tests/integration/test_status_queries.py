"""What the HTTP endpoint reads from the store, on SQLite and PostgreSQL: the last success of
each (task, host), open incidents by severity, and whether the database answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from maintd.status import Status
from maintd.store import FireKey, IncidentBook, Outcome, Step, open_engine, status_queries
from tests.integration.conftest import Opener

T0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


def test_the_last_success_of_each_pair_is_its_latest_ok_finish(
    store_url: str, open_ledger: Opener
) -> None:
    ledger = open_ledger(store_url)
    finished = [
        ("disk", "db1", 0, Status.OK),
        ("disk", "db1", 1, Status.OK),
        ("disk", "db1", 2, Status.CRITICAL),  # later, but not a success
        ("disk", "db2", 0, Status.WARNING),  # never succeeded: absent
        ("backup", "db1", 3, Status.OK),
    ]
    for task, host, hours, status in finished:
        at = T0 + timedelta(hours=hours)
        claim = ledger.claim(FireKey(task, host, at), "schedule")
        assert claim is not None
        done = at + timedelta(seconds=30)
        ledger.complete(claim, Outcome(status, "", started_at=at, finished_at=done, duration=30))
    ledger.record(FireKey("disk", "db2", T0), "schedule", status=Status.MISSED, reason="down")
    assert status_queries.last_successes(ledger.engine) == {
        ("disk", "db1"): T0 + timedelta(hours=1, seconds=30),
        ("backup", "db1"): T0 + timedelta(hours=3, seconds=30),
    }


def test_open_and_acknowledged_incidents_are_counted_by_severity(
    store_url: str, open_ledger: Opener
) -> None:
    book = IncidentBook(open_ledger(store_url).engine)
    opened = [
        book.open(kind="check", task="disk", host=f"db{index}", title="t", severity=severity,
                  step=Step(T0, "opened", status="CRITICAL"))
        for index, severity in enumerate(("critical", "critical", "critical", "minor"))
    ]  # fmt: skip
    book.acknowledge(opened[1], Step(T0, "acknowledged", by="ana"))  # still counted
    book.resolve(opened[2], Step(T0, "resolved"))  # not counted
    assert status_queries.open_incidents_by_severity(book.engine) == {"critical": 2, "minor": 1}


def test_the_store_probe_says_what_the_database_answered(
    store_url: str, open_ledger: Opener, tmp_path: Path
) -> None:
    assert status_queries.probe_reading(open_ledger(store_url).engine) is None
    unmigrated = open_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        assert status_queries.probe_reading(unmigrated) == "no such table: runs"
    finally:
        unmigrated.dispose()
