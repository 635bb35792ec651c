"""`maintd log`: a day's maintenance log written by MaintenanceLog, read back, filtered, as
JSON, and followed by a real `maintd log --follow` process while lines are appended."""

from __future__ import annotations

import json
import select
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

from click.testing import CliRunner

from maintd.cli import cli
from maintd.cli.log import parse_day
from maintd.report.maintlog import MaintenanceLog, parse_line

ZONE = ZoneInfo("Asia/Shanghai")


def write_day(directory: Path, at: datetime) -> None:
    day = MaintenanceLog(directory, ZONE)
    day.run(at, "OK", "pg-backup@db1", "PGBACKUP OK - app.dump, 10 MiB", 1.93)
    day.run(at, "SKIPPED", "vacuum@db1", "blackout spring-freeze", None)
    day.run(at, "CRITICAL", "disk@db2", "DISK CRITICAL - 97% | used=97", 1234.5)
    day.event("reload applied: 2 jobs added, 1 removed, 40 kept", at)
    day.close()


def calendar(tmp_path: Path) -> Path:
    path = tmp_path / "calendar.yaml"
    path.write_text("timezone: Asia/Shanghai\ntasks: []\n")
    return path


def invoke(tmp_path: Path, *arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli,
        ["log", *arguments, "--log-dir", str(tmp_path / "logs"),
         "--config", str(calendar(tmp_path))],
    )  # fmt: skip
    return result.exit_code, result.output


def test_every_line_the_log_writes_reads_back() -> None:
    line = "2026-11-25T20:35:40+08:00  CRITICAL    disk@db1  1234.50s  DISK CRITICAL - 97%"
    entry = parse_line(line)
    assert entry is not None and (entry.status, entry.job, entry.duration) == (
        "CRITICAL", "disk@db1", 1234.5,
    )  # fmt: skip
    assert parse_line("2026-11-25T20:35:40+08:00  half a line") is None
    assert parse_line("") is None


def test_a_day_is_shown_filtered_and_as_json(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    write_day(tmp_path / "logs", now)
    code, output = invoke(tmp_path)
    assert code == 0, output
    lines = output.splitlines()
    assert len(lines) == 4
    assert "OK" in lines[0] and "pg-backup@db1" in lines[0] and "1.93s" in lines[0]
    assert "EVENT" in lines[3] and "reload applied" in lines[3]
    code, output = invoke(tmp_path, "--host", "db2")
    assert [line.split()[2] for line in output.splitlines()] == ["disk@db2"]
    code, output = invoke(tmp_path, "--status", "event", "--format", "json")
    (event,) = json.loads(output)
    assert event == {
        "at": event["at"],
        "status": "EVENT",
        "task": None,
        "host": None,
        "duration": None,
        "text": "reload applied: 2 jobs added, 1 removed, 40 kept",
    }
    assert datetime.fromisoformat(event["at"]).utcoffset() == timedelta(hours=8)
    code, output = invoke(tmp_path, "--task", "disk", "--format", "json")
    (run,) = json.loads(output)
    assert (run["task"], run["host"], run["duration"]) == ("disk", "db2", 1234.5)
    assert run["text"] == "DISK CRITICAL - 97% | used=97"


def test_a_day_without_a_log_is_a_clear_error(tmp_path: Path) -> None:
    code, output = invoke(tmp_path, "--date", "2026-01-01")
    assert code == 2 and "no maintenance log for 2026-01-01" in output
    code, output = invoke(tmp_path, "--date", "last tuesday")
    assert code == 2 and "is not a day" in output


def test_days_are_named_as_people_say_them() -> None:
    today = datetime(2026, 11, 25, tzinfo=UTC).date()
    assert parse_day("today", today) == today
    assert parse_day("yesterday", today) == today - timedelta(days=1)
    assert parse_day("3d", today) == today - timedelta(days=3)
    assert parse_day("2026-11-01", today).day == 1


def read_json_line(stream: IO[str], seconds: float = 20.0) -> dict[str, object]:
    """The next JSON line the follower prints (failing, not hanging, when none comes)."""
    ready, _, _ = select.select([stream], [], [], seconds)
    assert ready, f"no line from the follower within {seconds} s"
    loaded: dict[str, object] = json.loads(stream.readline())
    return loaded


def test_follow_prints_lines_as_the_daemon_writes_them(tmp_path: Path) -> None:
    directory = tmp_path / "logs"
    writer = MaintenanceLog(directory, ZONE)
    writer.event("started: 3 jobs")
    today = datetime.now(ZONE).date().isoformat()
    follower = subprocess.Popen(
        [sys.executable, "-m", "maintd", "log", "--follow", "--date", today, "--format", "json",
         "--log-dir", str(directory), "--config", str(calendar(tmp_path))],
        stdout=subprocess.PIPE, text=True, bufsize=1,
    )  # fmt: skip
    try:
        assert follower.stdout is not None
        # A day asked for is followed from its first line.
        assert read_json_line(follower.stdout)["text"] == "started: 3 jobs"
        writer.run(datetime.now(UTC), "WARNING", "disk@db1", "DISK WARNING - 85%", 0.4)
        first = read_json_line(follower.stdout)
        # A rotation: the day's file moved away, and written anew.
        (directory / f"{today}.log").rename(directory / "old")
        writer.event("after rotation")
        second = read_json_line(follower.stdout)
    finally:
        follower.terminate()
        follower.wait(timeout=10)
        if follower.stdout is not None:
            follower.stdout.close()
        writer.close()
    assert (first["status"], first["task"], first["text"]) == (
        "WARNING", "disk", "DISK WARNING - 85%",
    )  # fmt: skip
    assert (second["status"], second["text"]) == ("EVENT", "after rotation")
