"""The maintenance log: one human-readable file per local day, one line per run or event.

    2026-11-25T01:37:12+08:00  OK        pg-backup@db1  1.93s  PGBACKUP OK - app-….dump, 10 MiB
    2026-11-25T02:00:00+08:00  SKIPPED   vacuum@db1            blackout spring-freeze
    2026-11-25T03:12:40+08:00  EVENT     reload applied: 2 jobs added, 1 removed, 40 kept

Files are named YYYY-MM-DD.log in the calendar's timezone, created 0640.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, tzinfo
from pathlib import Path

SUMMARY_LIMIT = 300


class MaintenanceLog:
    """Appends lines to the day's file; safe to use from the fire threads."""

    def __init__(self, directory: Path, zone: tzinfo) -> None:
        self.directory = directory
        self.zone = zone
        self._lock = threading.Lock()

    def run(
        self, at: datetime, status: str, job: str, summary: str, duration: float | None
    ) -> None:
        """Log one fire's outcome; ``job`` is "task@host"."""
        took = f"{duration:.2f}s" if duration is not None else ""
        text = " ".join(summary.split())[:SUMMARY_LIMIT]
        self._write(at, f"{status:<11} {job}  {took:>7}  {text}")

    def event(self, text: str, at: datetime | None = None) -> None:
        """Log something maintd did (started, reloaded, stopped, caught up)."""
        self._write(at or datetime.now(UTC), f"{'EVENT':<11} {text}")

    def _write(self, at: datetime, text: str) -> None:
        local = at.astimezone(self.zone)
        path = self.directory / f"{local.date().isoformat()}.log"
        line = f"{local.isoformat(timespec='seconds')}  {text}\n"
        with self._lock:
            self.directory.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            with os.fdopen(descriptor, "a", encoding="utf-8") as file:
                file.write(line)
