"""`maintd validate` and `maintd plan` as scripts use them: output shapes and exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from maintd.cli import cli
from tests.conftest import PLUGINS

Writer = Callable[..., Path]

CALENDAR = f"""
timezone: Europe/Berlin
plugin_dirs: [{PLUGINS}]
hosts:
  db1: {{groups: [db]}}
  db2: {{groups: [db]}}
windows:
  nightly: {{cron: "0 1 * * *", duration: 2h}}
blackouts:
  - {{name: freeze, from: 2026-12-24, to: 2026-12-26}}
tasks:
  - name: backup
    check: test_status
    hosts: [db]
    schedule: {{cron: "30 1 * * *", window: nightly}}
  - name: vacuum
    check: test_status
    hosts: [db1]
    schedule: {{cron: "0 4 * * *", window: nightly}}
"""


def run(*arguments: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(arguments), env=env)


def test_validate_prints_a_one_line_summary(write_calendar: Writer) -> None:
    result = run("validate", str(write_calendar(CALENDAR)))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: 2 tasks on 2 hosts in 1 groups, 1 windows, 1 blackouts")
    assert "next fire: backup on db" in result.output


def test_validate_json_reports_counts_and_the_next_fire(write_calendar: Writer) -> None:
    result = run("validate", str(write_calendar(CALENDAR)), "--format", "json")
    summary = json.loads(result.output)
    assert summary["valid"] is True
    assert (summary["hosts"], summary["groups"], summary["tasks"]) == (2, 1, 2)
    fire = summary["next_fire"]
    assert fire["task"] == "backup"
    assert datetime.fromisoformat(fire["at"]).utcoffset() is not None
    assert fire["utc"].endswith("+00:00")


def test_validate_lists_every_problem_and_exits_2(write_calendar: Writer) -> None:
    path = write_calendar("tasks:\n  - {name: a, check: x, hosts: [h], schedule: {every: 5q}}\n")
    result = run("validate", str(path))
    assert result.exit_code == 2
    assert f"{path}:2:" in result.output and "tasks[0].schedule.every" in result.output
    assert "Traceback" not in result.output


def test_validate_json_lists_problems_as_objects(write_calendar: Writer) -> None:
    path = write_calendar("timezone: Mars/Olympus\n")
    result = run("validate", str(path), "--format", "json")
    assert result.exit_code == 2
    report = json.loads(result.output)
    assert report["valid"] is False
    assert report["errors"] == [
        {
            "file": str(path),
            "line": 1,
            "column": 11,
            "path": "timezone",
            "message": "unknown timezone 'Mars/Olympus': expected an IANA name such as "
            "Europe/Berlin",
        }
    ]


def test_the_calendar_path_comes_from_path_then_config_then_the_environment(
    write_calendar: Writer, tmp_path: Path
) -> None:
    good = write_calendar(CALENDAR)
    bad = write_calendar("timezone: nowhere\n", "bad.yaml")
    assert run("validate", str(good), "--config", str(bad)).exit_code == 0
    assert run("validate", "--config", str(good)).exit_code == 0
    assert run("--config", str(good), "validate").exit_code == 0
    assert run("validate", env={"MAINTD_CONFIG": str(good)}).exit_code == 0
    assert run("validate", env={"MAINTD_CONFIG": str(bad)}).exit_code == 2
    missing = run("validate", env={"MAINTD_CONFIG": str(tmp_path / "none")})
    assert missing.exit_code == 2 and "no such file or directory" in missing.output


def test_plan_json_has_one_object_per_fire_with_the_documented_keys(write_calendar: Writer) -> None:
    path = write_calendar(CALENDAR)
    result = run("plan", str(path), "--from", "2026-12-23", "--days", "2", "--format", "json")
    assert result.exit_code == 0, result.output
    fires = json.loads(result.output)
    assert [set(fire) for fire in fires] == [{"task", "host", "at", "utc", "runs", "reason"}] * 6
    assert fires[0] == {
        "task": "backup",
        "host": "db1",
        "at": "2026-12-23T01:30:00+01:00",
        "utc": "2026-12-23T00:30:00+00:00",
        "runs": True,
        "reason": None,
    }
    vacuum = [fire for fire in fires if fire["task"] == "vacuum"]
    assert [fire["reason"] for fire in vacuum] == ["window nightly closed", "blackout freeze"]
    christmas_eve = [fire for fire in fires if fire["at"].startswith("2026-12-24")]
    assert {fire["reason"] for fire in christmas_eve} == {"blackout freeze"}


def test_plan_table_has_one_row_per_fire(write_calendar: Writer) -> None:
    path = write_calendar(CALENDAR)
    result = run("plan", str(path), "--from", "2026-12-23T00:00+01:00", "--task", "backup")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["AT", "UTC", "TASK", "HOST", "RUNS", "REASON"]
    assert [line.split()[2:5] for line in lines[1:]] == [
        ["backup", "db1", "yes"],
        ["backup", "db2", "yes"],
    ]
    assert "2 fires from 2026-12-23T00:00:00+01:00" in result.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--task", "bakup"], "no task named 'bakup' in the calendar; did you mean 'backup'?"),
        (["--host", "db3"], "no host named 'db3'"),
        (["--from", "tomorrow"], "--from: 'tomorrow' is not an ISO date"),
        (["--days", "0"], "--days"),
        (["--format", "xml"], "'xml' is not one of"),
    ],
)
def test_plan_rejects_bad_arguments_with_exit_2(
    write_calendar: Writer, arguments: list[str], message: str
) -> None:
    result = run("plan", str(write_calendar(CALENDAR)), *arguments)
    assert result.exit_code == 2
    assert message in result.output


def test_a_bad_calendar_makes_plan_exit_2_too(write_calendar: Writer) -> None:
    result = run("plan", str(write_calendar("hosts: [a]\n")))
    assert result.exit_code == 2 and "hosts: Input should be a valid dictionary" in result.output
