"""`maintd report` on a real ledger (SQLite and PostgreSQL) written through the ledger and the
incident book, with a calendar in a daylight-saving zone: planned vs done counted exactly, the
KPIs the same as `maintd kpi` says, each format written where it is asked to be, bad input
refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result

from maintd.cli import cli
from maintd.status import Status
from maintd.store import FireKey, IncidentBook, Ledger, Outcome, Step, open_store
from tests.conftest import PLUGINS
from tests.integration.test_kpi_cli import set_deadlines

ZONE = ZoneInfo("Europe/Berlin")
FIRST = datetime.now(ZONE).date() - timedelta(days=5)
SECOND = FIRST + timedelta(days=1)
HOUR, MINUTE = timedelta(hours=1), timedelta(minutes=1)
HOSTILE = "<script>alert(1)</script> | 97%"
NO_CALENDAR = Path("/nonexistent/maintd/calendar.yaml")
Writer = Callable[..., Path]


def at(day: Any, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE).astimezone(UTC)


def ran(
    ledger: Ledger, task: str, host: str, moment: datetime, status: Status, **values: Any
) -> None:
    claim = ledger.claim(FireKey(task, host, moment), values.pop("trigger", "schedule"))
    assert claim is not None
    summary = values.pop("summary", f"{task.upper()} {status}")
    ledger.complete(claim, Outcome(status, summary, moment, moment + MINUTE, 60.0, 0, **values))


@pytest.fixture
def calendar(write_calendar: Writer) -> Path:
    return write_calendar(f"""
        timezone: Europe/Berlin
        plugin_dirs: [{PLUGINS}]
        hosts: {{db1: {{}}, db2: {{}}}}
        blackouts:
          - {{name: freeze, from: {SECOND}, to: {SECOND}, tasks: [pg-backup]}}
        tasks:
          - {{name: disk, check: test_status, hosts: [db1, db2], schedule: {{cron: "0 * * * *"}}}}
          - {{name: pg-backup, check: test_status, hosts: [db1],
             schedule: {{cron: "30 1 * * *"}}}}
    """)


@pytest.fixture
def database(store_url: str) -> str:
    """Two days: disk@db2 ran every hour; disk@db1 the first day, then one CRITICAL, one
    MISSED and nothing more; pg-backup OK, then held by the freeze; a manual run; one
    incident answered in time and resolved late."""
    ledger = open_store(store_url)
    for hour in range(24):
        ran(ledger, "disk", "db1", at(FIRST, hour), Status.OK)
        for day in (FIRST, SECOND):
            ran(ledger, "disk", "db2", at(day, hour), Status.OK)
    ran(ledger, "disk", "db1", at(SECOND, 3), Status.CRITICAL, summary=HOSTILE,
        output="line one\nline <two>")  # fmt: skip
    assert ledger.record(FireKey("disk", "db1", at(SECOND, 5)), "schedule",
                         status=Status.MISSED, reason="maintd was not running")  # fmt: skip
    ran(ledger, "pg-backup", "db1", at(FIRST, 1, 30), Status.OK)
    assert ledger.record(FireKey("pg-backup", "db1", at(SECOND, 1, 30)), "schedule",
                         status=Status.SKIPPED, reason="blackout freeze")  # fmt: skip
    ran(ledger, "disk", "db1", at(SECOND, 7, 13), Status.OK, trigger="manual")
    book = IncidentBook(ledger.engine)
    opened = at(SECOND, 3, 1)
    step = Step(opened, "opened", HOSTILE, "CRITICAL")
    number = book.open(kind="check", task="disk", host="db1", title=f"disk on db1: {HOSTILE}",
                       severity="critical", step=step)  # fmt: skip
    book.acknowledge(number, Step(opened + 10 * MINUTE, "acknowledged", "on it", by="li"))
    book.resolve(number, Step(opened + 5 * HOUR, "resolved", "DISK OK", "OK"))
    set_deadlines(ledger, number, opened + 15 * MINUTE, opened + 4 * HOUR)
    ledger.close()
    return store_url


def maintd(calendar: Path | None, database: str, *arguments: str) -> Result:
    environment = {"MAINTD_DB": database, "MAINTD_CONFIG": str(calendar or NO_CALENDAR)}
    return CliRunner().invoke(cli, list(arguments), env=environment)


def report(calendar: Path, database: str, *arguments: str) -> Result:
    period = ("--from", str(FIRST), "--to", str(SECOND))
    result = maintd(calendar, database, "report", *period, *arguments)
    assert result.exit_code == 0, result.output
    return result


def test_json_counts_planned_against_done_and_every_other_section(
    calendar: Path, database: str
) -> None:
    found = json.loads(report(calendar, database, "--format", "json").stdout)
    assert found["period"]["from"] == f"{FIRST}T00:00:00+01:00"
    assert found["period"]["to"] == f"{SECOND + timedelta(days=1)}T00:00:00+01:00"
    plan = found["plan"]
    tasks = {task["task"]: task for task in plan["tasks"]}
    assert {key: tasks["disk"][key] for key in ("planned", "due", "done", "not_done")} == {
        "planned": 96, "due": 96, "done": 73, "not_done": 23,
    }  # fmt: skip
    assert {key: tasks["pg-backup"][key] for key in ("planned", "skipped", "due", "done")} == {
        "planned": 2, "skipped": 1, "due": 1, "done": 1,
    }  # fmt: skip
    assert plan["compliance_pct"] == round(100 * 74 / 97, 2) and plan["unplanned"] == 1
    reasons = {
        (group["status"], group["reason"]): group["count"] for group in plan["not_done_reasons"]
    }
    assert reasons == {(None, None): 22, ("MISSED", "maintd was not running"): 1}
    assert [(group["reason"], group["pairs"]) for group in plan["skipped_reasons"]] == [
        ("blackout freeze", ["pg-backup@db1"])
    ]
    by_task = {row["task"]: row["statuses"] for row in found["runs"]["by_task"]}
    assert by_task["disk"] == {"OK": 73, "CRITICAL": 1, "MISSED": 1}
    cells = {(cell["task"], cell["date"]): cell["worst"] for cell in found["runs"]["by_day"]}
    assert cells == {
        ("disk", str(FIRST)): "OK", ("disk", str(SECOND)): "CRITICAL",
        ("pg-backup", str(FIRST)): "OK", ("pg-backup", str(SECOND)): "SKIPPED",
    }  # fmt: skip
    (failure,) = found["failures"]["latest"]
    assert (failure["status"], failure["summary"]) == ("CRITICAL", HOSTILE)
    assert failure["output"] == "line one\nline <two>" and failure["duration"] == 60.0
    (incident,) = found["incidents"]
    assert incident["respond"]["outcome"] == "met" and incident["resolve"]["outcome"] == "breached"
    upcoming = {task["task"]: task for task in found["next_period"]["tasks"]}
    assert found["next_period"]["from"] == found["period"]["to"]
    assert upcoming["disk"]["fires"] == 96 and upcoming["pg-backup"]["fires"] == 2


def test_a_past_period_within_one_day_is_counted_in_one_piece(
    calendar: Path, database: str
) -> None:
    span = ("--from", f"{FIRST}T09:30:00", "--to", f"{FIRST}T10:30:00")
    result = maintd(calendar, database, "report", *span, "--format", "json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)["plan"]
    assert (plan["planned"], plan["done"], plan["unplanned"]) == (2, 2, 0)


def test_the_kpis_are_those_maintd_kpi_gives_for_the_period(calendar: Path, database: str) -> None:
    found = json.loads(report(calendar, database, "--format", "json").stdout)
    until = str(SECOND + timedelta(days=1))
    kpi = maintd(calendar, database, "kpi", "--since", str(FIRST), "--until", until, "--format",
                 "json")  # fmt: skip
    assert kpi.exit_code == 0, kpi.output
    assert found["kpis"] == json.loads(kpi.stdout)
    assert found["kpis"]["mtta"] == {"seconds": 600.0, "acknowledged": 1}


def test_markdown_goes_to_the_file_asked_for_escaped(
    calendar: Path, database: str, tmp_path: Path
) -> None:
    out = tmp_path / "reports" / "week.md"
    out.parent.mkdir()
    assert report(calendar, database, "--format", "md", "--out", str(out)).stdout == ""
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Maintenance report\n")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; \\| 97%" in text and "<script>" not in text
    assert "| disk | 96 | 0 | 96 | 73 | 0 | 23 | 76.0 % |" in text
    assert [path.name for path in out.parent.iterdir()] == ["week.md"]  # no temporary left


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_html_without_out_goes_to_stdout(calendar: Path, database: str, lang: str) -> None:
    page = report(calendar, database, "--format", "html", "--lang", lang).stdout
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count('class="cell"') == 2 * 2
    assert ("维护报告" in page) == (lang == "zh")


def test_a_named_period_ends_now(calendar: Path, database: str) -> None:
    result = maintd(calendar, database, "report", "--period", "day", "--format", "json")
    assert result.exit_code == 0, result.output
    period = json.loads(result.stdout)["period"]
    start, end = (datetime.fromisoformat(period[key]) for key in ("from", "to"))
    assert period["length"] == "day" and end - start == timedelta(days=1)
    assert abs(end - datetime.now(UTC)) < timedelta(minutes=1)


def test_bad_input_is_refused_with_exit_2(calendar: Path, database: str) -> None:
    reversed_period = maintd(calendar, database, "report", "--from", str(SECOND), "--to",
                             str(FIRST))  # fmt: skip
    assert reversed_period.exit_code == 2 and "--from must be before --to" in reversed_period.output
    wrong = maintd(calendar, database, "report", "--from", "last tuesday")
    assert wrong.exit_code == 2 and "not an ISO date" in wrong.output
    no_calendar = maintd(None, database, "report")
    assert no_calendar.exit_code == 2 and "needs the calendar" in no_calendar.output
    nowhere = maintd(calendar, database, "report", "--out", "/nonexistent/dir/report.md")
    assert nowhere.exit_code == 2 and "--out: cannot write in /nonexistent/dir" in nowhere.output
