"""The maintenance log: day files in the calendar's zone, private, surviving rotation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from maintd.report.maintlog import MaintenanceLog

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_lines_go_to_the_local_day_file_created_0640(tmp_path: Path) -> None:
    log = MaintenanceLog(tmp_path / "logs", SHANGHAI)
    # 17:30 UTC is 01:30 the next day in Shanghai: the line belongs to that day's file.
    log.run(datetime(2026, 11, 24, 17, 30, tzinfo=UTC), "OK", "disk@db1", "DISK  OK\n 12%", 1.5)
    log.event("reload applied", datetime(2026, 11, 24, 15, 0, tzinfo=UTC))
    log.close()
    late, early = tmp_path / "logs" / "2026-11-25.log", tmp_path / "logs" / "2026-11-24.log"
    assert late.read_text() == (
        "2026-11-25T01:30:00+08:00  OK          disk@db1    1.50s  DISK OK 12%\n"
    )
    assert early.read_text() == "2026-11-24T23:00:00+08:00  EVENT       reload applied\n"
    assert late.stat().st_mode & 0o777 == 0o640


def test_a_rotated_or_removed_file_is_opened_again(tmp_path: Path) -> None:
    log = MaintenanceLog(tmp_path, UTC)
    at = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    path = tmp_path / "2026-11-25.log"
    log.event("one", at)
    path.rename(tmp_path / "2026-11-25.log.1")
    log.event("two", at)
    assert path.read_text().endswith("two\n")
    assert (tmp_path / "2026-11-25.log.1").read_text().endswith("one\n")
    path.unlink()
    log.event("three", at)
    log.close()
    assert path.read_text().endswith("three\n")
