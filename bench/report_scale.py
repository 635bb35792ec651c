"""`maintd report` at scale: a week of a busy site's ledger, reported by day and by week.

    .venv/bin/python -m bench.report_scale [--hosts 200] [--tasks 10] [--site] [--jitter 0s]
                                           [--baseline DIR] [--dir DIR [--reuse]] [--memory-gb 16]

Builds a calendar of HOSTS hosts × TASKS tasks firing every 5 minutes on every host, and a
SQLite ledger holding the week before now as the daemon would have written it: a row per fire
on the planner's instants, mostly OK, some WARNING and CRITICAL (with output), MISSED,
SKIPPED, caught up late, timed out, a few fires with no row at all and a few manual runs off
the plan. Rows go in with bulk INSERTs, the ledger's indexes built after them (what matters
here is reading them back).

Then, each in a child process (wall time, and peak resident memory from the child's own
rusage, under an address-space limit so that running out of memory is a figure, not a
crash), by day and by week:

- the floor: a bare ``SELECT task, status, count(*) … GROUP BY task, status`` over the same
  rows (in this process), what any report that counts the ledger pays;
- `maintd report --period day|week --format json`, as a user runs it;
- the report without its KPIs (``content.gather_report``: planned vs done, runs, failures,
  incidents, forecasts, the next period), the KPIs being `maintd kpi`'s, computed before it.

``--baseline DIR`` times the same from another checkout's ``maintd`` on the same ledger (say
``git archive HEAD | tar -x -C DIR``). ``--site`` is 1,000 hosts × 20 tasks: 40 M rows a week,
12 GB, built in about 15 minutes; ``--dir`` keeps it and ``--reuse`` reads it again.
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from maintd.config import load_calendar
from maintd.plan import Planner, recurrence
from maintd.plan.jitter import jitter_offset
from maintd.store import open_store

WEEK = timedelta(days=7)
CHUNK = 50_000
FAILING_OUTPUT = "Filesystem      Size  Used Avail Use%\n/dev/sda1        50G   47G  3.0G  94%\n"


class Ending(NamedTuple):
    """How a share of the fires ended, and the columns the daemon then writes."""

    share: float  # cumulated: the fires drawn below it and above the previous ending's
    status: str
    trigger: str
    reason: str | None
    exit_code: int | None
    output: str


# The rest (0.5 %) has no row: maintd was not running.
ENDINGS = (
    Ending(0.9600, "OK", "schedule", None, 0, ""),
    Ending(0.9700, "WARNING", "schedule", None, 1, FAILING_OUTPUT),
    Ending(0.9750, "CRITICAL", "schedule", None, 2, FAILING_OUTPUT),
    Ending(0.9800, "OK", "catch-up", None, 0, ""),
    Ending(0.9850, "MISSED", "schedule", "maintd was not running", None, ""),
    Ending(0.9900, "SKIPPED", "schedule", "all 32 workers busy", None, ""),
    Ending(0.9950, "TIMEOUT", "schedule", "no answer in 60s", None, ""),
)
MANUAL = Ending(0.0005, "OK", "manual", None, 0, "")  # and a manual run at another second
INSERT_RUN = (
    "INSERT INTO runs (task, host, scheduled_for, trigger, status, reason, attempt, started_at,"
    " finished_at, duration, exit_code, summary, output, node)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
RAN_FOR = timedelta(seconds=2)


def write_calendar(directory: Path, hosts: int, tasks: int, jitter: str) -> Path:
    host_lines = "\n".join(
        f"  h{index}: {{address: 10.0.{index // 250}.{index % 250 + 1}}}" for index in range(hosts)
    )
    task_lines = "\n".join(
        f"  - {{name: t{index}, check: disk_usage, hosts: [all], "
        f"schedule: {{every: 5m, jitter: {jitter}}}}}"
        for index in range(tasks)
    )
    path = directory / "cal.yaml"
    path.write_text(f"timezone: UTC\nhosts:\n{host_lines}\ntasks:\n{task_lines}\n")
    return path


@functools.lru_cache(maxsize=65536)
def stamp(moment: datetime) -> str:
    """``moment`` as the store writes it in SQLite (naive UTC text with microseconds)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def ledger_rows(
    calendar_path: Path, since: datetime, until: datetime
) -> Iterator[tuple[object, ...]]:
    """The rows of every fire the planner has in [since, until), task by task."""
    calendar = load_calendar(calendar_path).calendar
    planner = Planner(calendar)
    chance = random.Random(8)  # the same ledger every run
    for task in calendar.tasks:
        jitter = task.schedule.jitter
        hosts = [
            (jitter_offset(task.name, host, jitter), host) for host in planner.hosts[task.name]
        ]
        for base in recurrence.iter_fires(task.schedule, planner.zone, since - jitter):
            if base >= until:
                break
            for offset, host in hosts:
                at = base + offset
                if since <= at < until:
                    yield from _rows_of_fire(task.name, host, at, chance.random())


def _rows_of_fire(task: str, host: str, at: datetime, draw: float) -> Iterator[tuple[object, ...]]:
    for ending in ENDINGS:
        if draw < ending.share:
            yield _row(task, host, at, ending)
            break
    if draw < MANUAL.share:
        yield _row(task, host, at + timedelta(seconds=97), MANUAL)


def _row(task: str, host: str, at: datetime, ending: Ending) -> tuple[object, ...]:
    ran = ending.status not in ("MISSED", "SKIPPED")
    started = at + timedelta(seconds=61 if ending.trigger == "catch-up" else 1)
    return (
        task, host, stamp(at), ending.trigger, ending.status, ending.reason, 1,
        stamp(started) if ran else None, stamp(started + RAN_FOR) if ran else None,
        RAN_FOR.total_seconds() if ran else None, ending.exit_code,
        f"DISK {ending.status} - / 42% used" if ran else ending.reason, ending.output, "bench",
    )  # fmt: skip


def build_ledger(path: Path, calendar_path: Path, since: datetime, until: datetime) -> int:
    """Write the ledger's rows of [since, until) to a new SQLite file; return how many."""
    open_store(str(path)).close()  # the schema, as maintd migrates it
    # Plain sqlite3 rather than the store: tens of millions of rows, bulk-loaded with the
    # indexes dropped and rebuilt after, in a fraction of the time single claims would take.
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=OFF")
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA cache_size=-1000000")
    indexes = [sql for (sql,) in connection.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'runs' AND sql NOT NULL"
    )]  # fmt: skip
    for sql in indexes:
        connection.execute("DROP INDEX " + sql.split()[2])
    count = 0
    rows = ledger_rows(calendar_path, since, until)
    connection.execute("BEGIN")
    while chunk := [row for _, row in zip(range(CHUNK), rows, strict=False)]:
        connection.executemany(INSERT_RUN, chunk)
        count += len(chunk)
    connection.execute("COMMIT")
    for sql in indexes:
        connection.execute(sql)
    connection.close()
    return count


# Run in a child, from a directory holding no `maintd`, so that --baseline's code is the one
# imported: the whole command, or the report's sections without the KPIs (content.gather_report
# reads the ledger and the plan; the KPIs are `maintd kpi`'s, read and computed before it).
LAUNCHER = """
import resource, runpy, sys
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
if sys.argv[2] == "report":
    sys.argv = ["maintd", *sys.argv[2:]]
    runpy.run_module("maintd", run_name="__main__")
else:
    from datetime import UTC, datetime
    from maintd.config import load_calendar
    from maintd.report import content
    from maintd.report.period import Length, resolve_period
    from maintd.store import open_store
    calendar = load_calendar(sys.argv[3]).calendar
    now = datetime.now(UTC).replace(microsecond=0)
    period = resolve_period(Length(sys.argv[5]), now, calendar.zone)
    content.gather_report(open_store(sys.argv[4]), calendar, period, now, kpis=None, steps=[])
"""
# Linux keeps a process's peak RSS across exec, and a child forked from this process (which
# built the ledger) starts with all of its pages: the timed child is started by this small
# process instead, which reports the child's wall time and peak as ``seconds kilobytes code``.
MEASURE = """
import os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
print(time.perf_counter() - started, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""
PARTS = ("report", "sections")


@dataclass(frozen=True)
class Figure:
    """One timed child: wall seconds and peak resident memory in MB, or why it failed."""

    seconds: float
    rss_mb: float
    failed: str = ""

    def __str__(self) -> str:
        if self.failed:
            return f"{self.failed:>18}"
        return f"{self.seconds:7.2f} s {self.rss_mb:6.0f} MB"


def time_child(  # noqa: PLR0913 - what to run, on what, with which code and how much memory
    part: str, calendar: Path, ledger: Path, period: str, *, code: Path | None, limit_gb: float
) -> Figure:
    """Run ``part`` (`maintd report --period PERIOD --format json`, or the report's sections
    without the KPIs) in a child process; its wall time and peak resident memory."""
    environment = dict(os.environ)
    if code is not None:
        environment["PYTHONPATH"] = str(code.resolve())
    if part == "report":
        arguments = ["report", "--period", period, "--format", "json", "--config",
                     str(calendar), "--db", str(ledger)]  # fmt: skip
    else:
        arguments = ["sections", str(calendar), str(ledger), period]
    limit = str(int(limit_gb * 2**30))
    measured = subprocess.run(  # noqa: S603
        [sys.executable, "-c", MEASURE, sys.executable, "-c", LAUNCHER, limit, *arguments],
        cwd=ledger.parent, env=environment, capture_output=True, text=True, check=True,
    )  # fmt: skip
    seconds, kilobytes, exit_code = measured.stdout.split()
    figure = Figure(float(seconds), int(kilobytes) / 1024)
    if int(exit_code) != 0:
        last = measured.stderr.strip().splitlines()[-1:] or ["killed"]
        failed = "out of memory" if "MemoryError" in last[0] else last[0][:18]
        return replace(figure, failed=f"{failed} ({limit_gb:.0f} GB)")
    return figure


def time_floor(ledger: Path, since: datetime, until: datetime) -> Figure:
    """The bare count of the period's rows by task and status, through plain sqlite3."""
    started = time.perf_counter()
    connection = sqlite3.connect(ledger)
    connection.execute(
        "SELECT task, status, count(*) FROM runs WHERE scheduled_for >= ? AND scheduled_for < ? "
        "GROUP BY task, status", (stamp(since), stamp(until)),
    ).fetchall()  # fmt: skip
    connection.close()
    return Figure(time.perf_counter() - started, 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--tasks", type=int, default=10)
    parser.add_argument("--site", action="store_true", help="1,000 hosts × 20 tasks")
    parser.add_argument("--jitter", default="0s", help="each task's jitter (default 0s)")
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="DIR",
        help="also time the maintd package under DIR on the same ledger",
    )
    parser.add_argument("--dir", type=Path, help="build here and keep it (default: a temp dir)")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the ledger --dir holds (its rows end when it was built)",
    )
    parser.add_argument(
        "--memory-gb", type=float, default=16, help="address-space limit of each child (default 16)"
    )
    arguments = parser.parse_args()
    hosts, tasks = (1000, 20) if arguments.site else (arguments.hosts, arguments.tasks)
    with tempfile.TemporaryDirectory() as scratch:
        directory = arguments.dir or Path(scratch)
        directory.mkdir(parents=True, exist_ok=True)
        calendar = write_calendar(directory, hosts, tasks, arguments.jitter)
        ledger = directory / "ledger.db"
        if not (arguments.reuse and ledger.exists()):
            build(calendar, ledger)
        until = datetime.fromisoformat(ledger.with_suffix(".until").read_text())
        print(f"{hosts} hosts × {tasks} tasks every 5 min (jitter {arguments.jitter}): ledger of "
              f"{ledger.stat().st_size / 2**20:,.0f} MB, its rows ending "
              f"{(datetime.now(UTC) - until).total_seconds() / 60:.0f} min ago")  # fmt: skip
        codes = [("maintd", None)]
        if arguments.baseline is not None:
            codes.append((f"{arguments.baseline}", arguments.baseline))
        compare(calendar, ledger, codes, arguments.memory_gb)


def build(calendar: Path, ledger: Path) -> None:
    """A new ledger of the week before now; when its rows end is kept beside it."""
    ledger.unlink(missing_ok=True)
    now = datetime.now(UTC)
    started = time.perf_counter()
    rows = build_ledger(ledger, calendar, now - WEEK, now)
    ledger.with_suffix(".until").write_text(now.isoformat())
    print(f"built {rows:,} rows of the week before now in {time.perf_counter() - started:.0f} s")


def compare(
    calendar: Path, ledger: Path, codes: list[tuple[str, Path | None]], limit_gb: float
) -> None:
    """Print the floor and each code's report and sections, by day and by week."""
    now = datetime.now(UTC)
    floors = [time_floor(ledger, now - span, now) for span in (timedelta(days=1), WEEK)]
    print(f"{'':42}{'day':>18}   {'week':>18}")
    print(f"{'floor: SELECT task, status, count(*) …':42}"
          + "   ".join(f"{floor.seconds:7.2f} s {'':9}" for floor in floors))  # fmt: skip
    for label, code in codes:
        for part in PARTS:
            figures = [time_child(part, calendar, ledger, period, code=code, limit_gb=limit_gb)
                       for period in ("day", "week")]  # fmt: skip
            title = f"{label}: {'maintd report' if part == 'report' else '  without the KPIs'}"
            print(f"{title[-42:]:42}" + "   ".join(str(figure) for figure in figures))
            ratios = (
                f"{figure.seconds / floor.seconds:15.1f}x floor"
                for figure, floor in zip(figures, floors, strict=True)
                if not figure.failed
            )
            print(f"{'':42}" + "   ".join(ratios))  # fmt: skip


if __name__ == "__main__":
    main()
