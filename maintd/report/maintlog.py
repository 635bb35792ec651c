"""The maintenance log: one human-readable file per local day, one line per run or event.

    2026-11-25T01:37:12+08:00  OK        pg-backup@db1  1.93s  PGBACKUP OK - app-….dump, 10 MiB
    2026-11-25T02:00:00+08:00  SKIPPED   vacuum@db1            blackout spring-freeze
    2026-11-25T03:12:40+08:00  EVENT     reload applied: 2 jobs added, 1 removed, 40 kept

Files are named YYYY-MM-DD.log in the calendar's timezone, created 0640. The day's file stays
open between lines (opening it for every run cost more than writing the row); it is reopened
when the day changes or when someone removed or renamed it.

The log is for people; the ledger is the record. A line that cannot be written (a full disk, a
directory gone read-only) is dropped and counted, never raised to the fire that wrote it: the
daemon's own log says so once, and the next line that can be written says how many were lost.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import IO, Any, BinaryIO

from maintd.runtime import make_directories

SUMMARY_LIMIT = 300
DIRECTORY_MODE = 0o750  # the group reads the log (as the unit's LogsDirectoryMode), others not
log = logging.getLogger("maintd.maintlog")


class MaintenanceLog:
    """Appends lines to the day's file; safe to use from the fire threads."""

    def __init__(self, directory: Path, zone: tzinfo) -> None:
        self.directory = directory
        self.zone = zone
        self._lock = threading.Lock()
        self._path: Path | None = None
        self._file: BinaryIO | None = None
        self.lost = 0  # lines dropped since the last one written

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

    def close(self) -> None:
        """Close the day's file (a later line opens it again)."""
        with self._lock:
            self._close()

    def _write(self, at: datetime, text: str) -> None:
        local = at.astimezone(self.zone)
        path = day_file(self.directory, local.date())
        line = f"{local.isoformat(timespec='seconds')}  {text}\n"
        with self._lock:
            try:
                file = self._open(path)
                if self.lost:
                    # A line cut short by the full disk is ended first, so it stays alone.
                    _write_all(file, ("\n" + self._lost_line(local)).encode())
                    self.lost = 0
                _write_all(file, line.encode("utf-8", errors="replace"))
            except OSError as error:
                self._drop(error)

    def _lost_line(self, local: datetime) -> str:
        event = f"{self.lost} lines of this log could not be written (see the daemon's log)"
        return f"{local.isoformat(timespec='seconds')}  {'EVENT':<11} {event}\n"

    def _drop(self, error: OSError) -> None:
        """Count a line that could not be written; the daemon's log hears of the first one."""
        if not self.lost:
            log.error("cannot write the maintenance log in %s: %s", self.directory, error)
        self.lost += 1
        self._close()  # opened afresh for the next line, in case the file was the trouble

    def _open(self, path: Path) -> BinaryIO:
        if self._file is not None and (path != self._path or _moved(self._file, path)):
            self._close()
        if self._file is None:
            make_directories(self.directory, DIRECTORY_MODE)
            descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            # Unbuffered: each line is one write(2), so a full disk cannot leave half a line
            # in a buffer to be written later in the middle of another.
            self._file = os.fdopen(descriptor, "ab", buffering=0)
            self._path = path
        return self._file

    def _close(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except OSError:
                log.debug("closing the maintenance log failed", exc_info=True)
        self._file = self._path = None


def _write_all(file: BinaryIO, data: bytes) -> None:
    """Write ``data`` whole; a short write (the disk filled up midway) raises ENOSPC."""
    if file.write(data) != len(data):
        raise OSError(errno.ENOSPC, "the line was cut short: no space left")


def day_file(directory: Path, day: date) -> Path:
    """The file of one local day: ``YYYY-MM-DD.log``."""
    return directory / f"{day.isoformat()}.log"


def names_open_file(path: Path, file: IO[Any]) -> bool | None:
    """Whether ``path`` still names the open ``file`` (False once rotated away and replaced);
    None when nothing is at ``path`` (removed, or rotated and not yet written anew)."""
    try:
        named = path.stat()
    except FileNotFoundError:
        return None
    opened = os.fstat(file.fileno())
    return (named.st_ino, named.st_dev) == (opened.st_ino, opened.st_dev)


def _moved(file: IO[Any], path: Path) -> bool:
    """True when ``path`` is no longer the open file (removed, or rotated away)."""
    return not names_open_file(path, file)


@dataclass(frozen=True)
class LogEntry:
    """One line of a day's file, read back: a run (``job`` "task@host", ``duration`` in seconds
    or None) or an EVENT (``job`` None)."""

    at: datetime
    status: str
    job: str | None
    duration: float | None
    text: str


# `run` writes: time, 2 spaces, status padded to 11, space, task@host, 2 spaces, the duration
# right-aligned in 7 ("1.93s", or blank; longer ones push on), 2 spaces, the summary.
_RUN = re.compile(
    r"(?P<at>\S+)  (?P<status>[A-Z]+) +(?P<job>\S+)  (?P<took> *(?:[\d.]+s)?)  (?P<text>.*)"
)
_EVENT = re.compile(r"(?P<at>\S+)  EVENT +(?P<text>.*)")


def parse_line(line: str) -> LogEntry | None:
    """A line as ``run`` and ``event`` wrote it, or None for anything else (a line cut short
    by a crash, text a person added)."""
    line = line.rstrip("\n")
    try:
        if event := _EVENT.fullmatch(line):
            return LogEntry(datetime.fromisoformat(event["at"]), "EVENT", None, None, event["text"])
        if run := _RUN.fullmatch(line):
            took = run["took"].strip().removesuffix("s")
            duration = float(took) if took else None
            return LogEntry(datetime.fromisoformat(run["at"]), run["status"], run["job"], duration,
                            run["text"])  # fmt: skip
    except ValueError:
        return None
    return None
