"""`maintd log`: the maintenance log of a day, pretty-printed, or followed as it is written.

The daemon writes one file per local day (``report.maintlog``); this reads it back, colours the
statuses, filters by task, host and status, and with ``--follow`` keeps printing new lines —
across midnight into the next day's file, and through a file removed or rotated meanwhile.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, TextIO

import click
from rich.console import Console
from rich.text import Text

from maintd.cli.options import config_option, format_option
from maintd.cli.output import print_json
from maintd.cli.paths import calendar_if_any, resolve_log_dir
from maintd.errors import UsageError
from maintd.report.maintlog import LogEntry, day_file, names_open_file, parse_line

FOLLOW_POLL_SECONDS = 0.5
STATUS_STYLES = {
    "OK": "green", "WARNING": "yellow", "CRITICAL": "bold red", "UNKNOWN": "magenta",
    "TIMEOUT": "red", "UNREACHABLE": "red", "ERROR": "bold red", "SKIPPED": "dim",
    "MISSED": "yellow", "INTERRUPTED": "yellow", "EVENT": "cyan",
}  # fmt: skip


@dataclass(frozen=True)
class Filters:
    """Which entries to show (empty: all)."""

    tasks: tuple[str, ...]
    hosts: tuple[str, ...]
    statuses: tuple[str, ...]

    def keep(self, entry: LogEntry) -> bool:
        """Whether ``entry`` passes; events pass unless a task, host or status is asked for."""
        if self.statuses and entry.status not in self.statuses:
            return False
        if not (self.tasks or self.hosts):
            return True
        if entry.job is None:
            return False
        task, _, host = entry.job.rpartition("@")
        return (not self.tasks or task in self.tasks) and (not self.hosts or host in self.hosts)


@click.command("log")
@click.option(
    "--date", "day_text", metavar="DAY",
    help="The day: YYYY-MM-DD, today, yesterday, or an age such as 2d (default: today, local).",
)  # fmt: skip
@click.option("--follow", "-f", is_flag=True, help="Keep printing lines as they are written.")
@click.option("--task", "tasks", multiple=True, help="Only this task's runs (repeatable).")
@click.option("--host", "hosts", multiple=True, help="Only this host's runs (repeatable).")
@click.option("--status", "statuses", multiple=True, metavar="STATUS",
              help="Only lines of this status, e.g. CRITICAL or EVENT (repeatable).")  # fmt: skip
@click.option("--log-dir", type=click.Path(path_type=Path), help="Maintenance log directory.")
@config_option
@format_option
def log(  # noqa: PLR0913 - one parameter per documented option
    *, day_text: str | None, follow: bool, tasks: tuple[str, ...], hosts: tuple[str, ...],
    statuses: tuple[str, ...], log_dir: Path | None, config_path: Path | None,
    output_format: str,
) -> None:  # fmt: skip
    """The maintenance log of a day (default today), coloured; --follow keeps reading.

    The directory is --log-dir, else $MAINTD_LOG_DIR, else $LOGS_DIRECTORY, else ./logs; days
    are the calendar's local days. JSON is one array of {at, status, task, host, duration,
    text}; with --follow, one such object per line as lines arrive.
    """
    calendar = calendar_if_any(config_path)
    zone: tzinfo = calendar.zone if calendar else UTC
    directory = resolve_log_dir(log_dir)
    today = datetime.now(zone).date()
    day = parse_day(day_text, today) if day_text else today
    filters = Filters(tasks, hosts, tuple(status.upper() for status in statuses))
    path = day_file(directory, day)
    if not follow:
        if not path.exists():
            raise UsageError(f"no maintenance log for {day.isoformat()} in {directory}")
        entries = [entry for entry in read_entries(path) if filters.keep(entry)]
        if output_format == "json":
            print_json([entry_json(entry) for entry in entries])
        else:
            show(entries)
        return
    try:
        for entry in follow_entries(directory, day, zone, from_start=day_text is not None):
            if not filters.keep(entry):
                continue
            if output_format == "json":
                sys.stdout.write(json.dumps(entry_json(entry), ensure_ascii=False) + "\n")
                sys.stdout.flush()
            else:
                show([entry])
    except KeyboardInterrupt:
        return


def parse_day(text: str, today: date) -> date:
    """``--date``: an ISO date, today, yesterday, or an age in days (``2d``)."""
    word = text.strip().lower()
    if word in ("today", "yesterday"):
        return today - timedelta(days=word == "yesterday")
    if word.endswith("d") and word[:-1].isdigit():
        return today - timedelta(days=int(word[:-1]))
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise UsageError(
            f"--date: {text!r} is not a day (YYYY-MM-DD, today, yesterday, or 2d)"
        ) from None


def read_entries(path: Path) -> list[LogEntry]:
    """Every readable line of a day's file (lines it cannot read are skipped)."""
    with path.open(encoding="utf-8", errors="replace") as file:
        return [entry for line in file if (entry := parse_line(line)) is not None]


def follow_entries(
    directory: Path, day: date, zone: tzinfo, *, from_start: bool
) -> Iterator[LogEntry]:
    """Lines as they are written: the day's file from its end (or its start, for a day asked
    for), then each next local day's file once the day changes; a file removed or rotated
    is opened again. Never returns; Ctrl-C stops it."""
    path = day_file(directory, day)
    file = _open_at(path, end=not from_start)
    pending = ""
    while True:
        chunk = file.read() if file else ""
        if chunk:
            pending += chunk
            *complete, pending = pending.split("\n")
            for line in complete:
                if (entry := parse_line(line)) is not None:
                    yield entry
            continue
        time.sleep(FOLLOW_POLL_SECONDS)
        current = day_file(directory, datetime.now(zone).date())
        if current != path or _replaced(file, path):
            if file and current != path:
                yield from (e for e in map(parse_line, file.read().splitlines()) if e)
            if file:
                file.close()
            path, pending = current, ""
            file = _open_at(path, end=False)


def _open_at(path: Path, *, end: bool) -> TextIO | None:
    try:
        file = path.open(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return None
    if end:
        file.seek(0, os.SEEK_END)
    return file


def _replaced(file: TextIO | None, path: Path) -> bool:
    """Whether ``path`` now names another file than the one open (or appeared at last)."""
    if file is None:
        return path.exists()
    return names_open_file(path, file) is False


def show(entries: list[LogEntry]) -> None:
    """Print entries as aligned, coloured lines (plain when stdout is not a terminal)."""
    console = Console(soft_wrap=True, highlight=False)
    for entry in entries:
        line = Text(entry.at.isoformat(timespec="seconds") + "  ")
        line.append(f"{entry.status:<11}", style=STATUS_STYLES.get(entry.status, ""))
        if entry.job is not None:
            took = f"{entry.duration:.2f}s" if entry.duration is not None else ""
            line.append(f" {entry.job}  {took:>7}  ")
        else:
            line.append(" ")
        line.append(entry.text)
        console.print(line)


def entry_json(entry: LogEntry) -> dict[str, Any]:
    """An entry for scripts: task and host apart, the duration in seconds."""
    task, _, host = (entry.job or "").rpartition("@")
    return {
        "at": entry.at.isoformat(), "status": entry.status, "task": task or None,
        "host": host or None, "duration": entry.duration, "text": entry.text,
    }  # fmt: skip
