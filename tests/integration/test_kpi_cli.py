"""`maintd kpi` and `maintd incidents postmortem` on a real SQLite database written through the
ledger and the incident book, as the daemon and people write it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import update

from maintd.cli import MaintdGroup
from maintd.cli.kpi import kpi
from maintd.cli.postmortem import postmortem
from maintd.status import Status
from maintd.store import FireKey, IncidentBook, Ledger, Outcome, Step, open_store
from maintd.store.db import writing
from maintd.store.schema import deliveries, incidents
from tests.conftest import PLUGINS

T = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
SECTIONS = ["## Summary", "## Impact", "## Timeline", "## SLA", "## Notifications",
            "## Actions taken", "## Root cause", "## Follow-up actions"]  # fmt: skip
Writer = Callable[..., Path]


def ran(ledger: Ledger, task: str, at: datetime, status: Status, trigger: str = "schedule") -> None:
    claim = ledger.claim(FireKey(task, "db1", at), trigger)
    assert claim is not None
    # The run that opened incident 1 ended at its opening.
    finished = T if (task, at) == ("disk", T - HOUR) else at + MINUTE
    summary = f"{task.upper()} {status} - 97% | used"
    ledger.complete(claim, Outcome(status, summary, at, finished, 60.0, 0))


def not_ran(ledger: Ledger, task: str, at: datetime, status: Status, reason: str) -> None:
    assert ledger.record(FireKey(task, "db1", at), "schedule", status=status, reason=reason)


def opened(book: IncidentBook, task: str, host: str, severity: str, step: Step) -> int:
    title = f"{task} on {host}: CRITICAL"
    return book.open(kind="check", task=task, host=host, title=title, severity=severity, step=step)


def set_deadlines(ledger: Ledger, number: int, respond: datetime, resolve: Any = None) -> None:
    with writing(ledger.engine) as connection:
        connection.execute(
            update(incidents)
            .where(incidents.c.id == number)
            .values(respond_due=respond, resolve_due=resolve)
        )


@pytest.fixture
def database(tmp_path: Path) -> Path:
    """Runs of disk@db1 and pg-backup@db1 over three days and four incidents:

    1 disk@db1 critical: acknowledged in 10 min, resolved, re-opened an hour later, resolved.
    2 pg-backup@db1 warning: never acknowledged, fixed in 30 min (after its respond deadline).
    3 a fan reported by a person, acknowledged in 5 min, still open, resolve deadline ahead.
    4 disk@db2 critical: nobody answered, its respond deadline passed.
    """
    path = tmp_path / "maintd.db"
    ledger = open_store(str(path))
    ran(ledger, "disk", T - 2 * HOUR, Status.OK)
    ran(ledger, "disk", T - HOUR, Status.CRITICAL)
    ran(ledger, "disk", T, Status.CRITICAL, trigger="catch-up")
    not_ran(ledger, "disk", T + HOUR, Status.MISSED, "maintd fell behind")
    not_ran(ledger, "disk", T + 2 * HOUR, Status.SKIPPED, "blackout freeze")
    ran(ledger, "disk", T + 3 * HOUR - MINUTE, Status.OK)
    ran(ledger, "pg-backup", T, Status.OK)
    ran(ledger, "pg-backup", T + DAY, Status.CRITICAL)
    not_ran(ledger, "pg-backup", T + 2 * DAY, Status.MISSED, "started 900s late")

    book = IncidentBook(ledger.engine)
    disk = opened(book, "disk", "db1", "critical", Step(T, "opened", "DISK CRITICAL", "CRITICAL"))
    book.acknowledge(disk, Step(T + 10 * MINUTE, "acknowledged", "on it", by="li"))
    book.note(disk, Step(T + 20 * MINUTE, "note", "swapped | disk\nsecond line", by="li"))
    book.resolve(disk, Step(T + HOUR, "resolved", "DISK OK - 40%", "OK"))
    book.reopen(disk, Step(T + 2 * HOUR, "reopened", "DISK CRITICAL - 96%", "CRITICAL"))
    book.resolve(disk, Step(T + 3 * HOUR, "resolved", "fixed for good", by="li"))
    set_deadlines(ledger, disk, T + 15 * MINUTE, T + 4 * HOUR)

    backup = opened(book, "pg-backup", "db1", "warning", Step(T + DAY, "opened", "dump failed"))
    book.resolve(backup, Step(T + DAY + 30 * MINUTE, "resolved", "PGBACKUP OK", "OK"))
    set_deadlines(ledger, backup, T + DAY + 15 * MINUTE, T + DAY + HOUR)

    fan = book.open(kind="manual", task=None, host="db1", title="fan noise", severity="warning",
                    step=Step(T + 2 * DAY, "opened", "loud fan", by="wu"))  # fmt: skip
    book.acknowledge(fan, Step(T + 2 * DAY + 5 * MINUTE, "acknowledged", by="wu"))
    set_deadlines(ledger, fan, T + 2 * DAY + 10 * MINUTE, datetime.now(UTC) + DAY)

    silent = opened(book, "disk", "db2", "critical", Step(T + DAY, "opened", "DISK CRITICAL"))
    set_deadlines(ledger, silent, T)

    with writing(ledger.engine) as connection:
        connection.execute(deliveries.insert(), [
            {"incident_id": disk, "event": "opened", "target": "oncall", "url_index": 0,
             "endpoint": "mailto://smtp.example", "title": "t", "body": "b", "state": "sent",
             "attempts": 1, "last_error": None, "created_at": T, "sent_at": T + MINUTE},
            {"incident_id": disk, "event": "sla-breach", "target": "chat", "url_index": 1,
             "endpoint": "slack://hooks", "title": "t", "body": "b", "state": "failed",
             "attempts": 3, "last_error": "HTTP 500 | retry\nlater", "created_at": T + HOUR,
             "sent_at": None},
        ])  # fmt: skip
    ledger.close()
    return path


def invoke(command: click.Command, database: Path, *arguments: str) -> Result:
    environment = {"MAINTD_DB": str(database), "MAINTD_CONFIG": str(database.parent / "none")}
    return CliRunner().invoke(command, list(arguments), env=environment)


def test_kpi_json_gives_every_kpi_with_the_counts_behind_it(database: Path) -> None:
    result = invoke(kpi, database, "--since", "10d", "--format", "json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["incidents_opened"] == 4
    assert found["planned_on_time"] == {"pct": 62.5, "on_time": 5, "due": 8, "missed": 3}
    assert found["mtta"] == {"seconds": 450.0, "acknowledged": 2}  # 10 min and 5 min
    assert found["mttr"] == {"seconds": 6300.0, "resolved": 2}  # 3 h and 30 min
    assert found["on_time_response"] == {
        "pct": 50.0, "on_time": 2, "judged": 4, "late": 2, "pending": 0,
    }  # fmt: skip
    assert found["on_time_resolution"] == {
        "pct": 100.0, "on_time": 2, "judged": 2, "late": 0, "pending": 1,
    }  # fmt: skip
    # disk@db1 came back within the hour; pg-backup's fix is two days old: too early to call.
    assert found["first_time_fix"] == {
        "pct": 0.0, "fixed": 0, "resolved": 1, "reopened": 1, "pending": 1,
    }  # fmt: skip
    assert found["backup_verified"] == {"pct": 50.0, "ok": 1, "ran": 2, "failed": 1}
    severities = {row["severity"]: row for row in found["by_severity"]}
    assert severities["critical"]["mtta"] == {"seconds": 600.0, "acknowledged": 1}
    assert severities["warning"]["mttr"] == {"seconds": 1800.0, "resolved": 1}
    assert datetime.fromisoformat(found["since"]).utcoffset() == timedelta(0)


def test_kpi_table_shows_a_dash_where_there_is_nothing_to_measure(tmp_path: Path) -> None:
    result = invoke(kpi, tmp_path / "empty.db")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()[2:]
    assert len(lines) == 7 and all("—" in line for line in lines)


def test_kpi_table_has_one_line_per_kpi_with_its_counts(database: Path) -> None:
    table = invoke(kpi, database, "--since", "10d").stdout
    assert "62.5 %" in table and "5 of 8 due fires ran at their time, 3 did not" in table
    assert "7m30s" in table and "MTTR warning" in table


def test_kpi_period_is_read_in_the_calendar_zone_and_backups_come_from_its_plugins(
    database: Path, write_calendar: Writer
) -> None:
    calendar = write_calendar(f"""
        timezone: Asia/Shanghai
        plugin_dirs: [{PLUGINS}]
        hosts: {{db1: {{}}}}
        tasks:
          - name: disk
            check: backup_sqlite
            params: {{path: /srv/app.db, dest: /backup}}
            hosts: [db1]
            schedule: {{cron: "0 1 * * *"}}
          - name: pg-backup
            check: test_status
            hosts: [db1]
            schedule: {{cron: "0 2 * * *"}}
    """)
    since = (T - DAY).astimezone(UTC).date().isoformat()
    result = invoke(kpi, database, "--config", str(calendar), "--since", since, "--format", "json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["since"] == f"{since}T00:00:00+08:00"
    assert found["backup_verified"]["ran"] == 4  # disk's runs that ran; pg-backup is no backup


def test_kpi_rejects_a_period_that_ends_before_it_starts(database: Path) -> None:
    result = invoke(MaintdGroup(commands={"kpi": kpi}), database, "kpi", "--since", "1d",
                    "--until", "2d")  # fmt: skip
    assert result.exit_code == 2 and "--since must be before --until" in result.output
    wrong = invoke(MaintdGroup(commands={"kpi": kpi}), database, "kpi", "--since", "yesterday")
    assert wrong.exit_code == 2 and "not an ISO date" in wrong.output


def test_postmortem_has_every_section_and_every_timeline_step(database: Path) -> None:
    result = invoke(postmortem, database, "1")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith("# Post-mortem: incident 1 — disk on db1: CRITICAL\n")
    positions = [text.index(section) for section in SECTIONS]
    assert positions == sorted(positions)
    timeline = text[text.index("## Timeline") : text.index("## SLA")]
    rows = [line for line in timeline.splitlines() if line.startswith("| 20")]
    steps = [row.split(" | ")[1] for row in rows]
    assert steps == ["opened", "acknowledged", "note", "resolved", "reopened", "resolved"]
    assert "swapped \\| disk<br>second line" in timeline
    assert "- **Time to acknowledge:** 10m (600 s)" in text
    assert "- **Re-opened:** 1 time(s)" in text
    assert "| Respond | " in text and "| met |" in text
    assert "HTTP 500 \\| retry<br>later" in text and "slack://hooks" in text
    assert "- **First failing run:**" in text and "CRITICAL 2" in text and "MISSED 1" in text
    assert "acknowledged by li: on it" in text and "resolved by li" in text


def test_postmortem_of_a_manual_incident_and_to_a_file(database: Path, tmp_path: Path) -> None:
    out = tmp_path / "pm.md"
    result = invoke(postmortem, database, "3", "--out", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    text = out.read_text(encoding="utf-8")
    assert "No runs of a task were recorded" in text and "still running" in text
    assert "No notifications were queued" in text


def test_postmortem_of_an_unknown_incident_is_a_usage_error(database: Path) -> None:
    group = MaintdGroup(commands={"postmortem": postmortem})
    result = invoke(group, database, "postmortem", "999")
    assert result.exit_code == 2 and "no incident 999" in result.output


def test_a_forecast_warning_after_a_fix_is_not_counted_as_its_relapse(tmp_path: Path) -> None:
    path = tmp_path / "maintd.db"
    ledger = open_store(str(path))
    book = IncidentBook(ledger.engine)
    start = datetime.now(UTC) - 20 * DAY
    fixed = opened(book, "disk", "db1", "critical", Step(start, "opened", "DISK CRITICAL"))
    book.resolve(fixed, Step(start + HOUR, "resolved", "DISK OK", "OK"))
    book.open(kind="predicted", task="disk", host="db1", title="disk on db1: forecast",
              severity="minor", step=Step(start + DAY, "opened", "reaches 95 in 9 d"))  # fmt: skip
    ledger.close()
    result = invoke(kpi, path, "--since", "30d", "--format", "json")
    assert result.exit_code == 0, result.output
    fix = json.loads(result.stdout)["first_time_fix"]
    assert (fix["fixed"], fix["resolved"]) == (1, 1)
    # The same opening as a check incident is a relapse.
    ledger = open_store(str(path))
    IncidentBook(ledger.engine).open(
        kind="check", task="disk", host="db1", title="disk on db1: CRITICAL", severity="critical",
        step=Step(start + 2 * DAY, "opened", "DISK CRITICAL"),
    )  # fmt: skip
    ledger.close()
    relapse = json.loads(invoke(kpi, path, "--since", "30d", "--format", "json").stdout)
    assert relapse["first_time_fix"]["fixed"] == 0
