"""A `maintd run` process for the end-to-end and proving-ground tests: its own notify socket,
database and logs in one directory; helpers that read what it recorded, including a read-only
view of the ledger (``read_rows``, ``integrity``) and how it matched the plan (``coverage``)
for the tests that kill the daemon or step its clock."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from maintd.config import load_calendar
from maintd.plan import Planner
from maintd.store import open_store


class Daemon:
    """One `maintd run` process with its own notify socket."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.calendar = directory / "calendar.yaml"
        self.database = directory / "maintd.db"
        self.logs = directory / "logs"
        self.socket_path = directory / "notify.sock"
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(str(self.socket_path))
        self.notify.settimeout(0.2)
        self.process: subprocess.Popen[bytes] | None = None
        self.extra_arguments: list[str] = []

    def start(self) -> None:
        env = {**os.environ, "NOTIFY_SOCKET": str(self.socket_path)}
        arguments = [
            *(sys.executable, "-m", "maintd", "run", str(self.calendar)),
            *("--db", str(self.database), "--log-dir", str(self.logs), "--stop-grace", "5"),
            *self.extra_arguments,
        ]
        with (self.directory / "daemon.log").open("ab") as output:
            self.process = subprocess.Popen(  # noqa: S603
                arguments, env=env, stdout=output, stderr=output
            )

    def messages(self, until: str, seconds: float = 15.0) -> list[str]:
        """Datagrams received until one holds ``until``."""
        received: list[str] = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                received.append(self.notify.recv(4096).decode())
            except TimeoutError:
                continue
            if until in received[-1]:
                return received
        raise AssertionError(f"no {until!r} in {received}: {self.output()}")

    def signal(self, number: int) -> None:
        assert self.process is not None
        self.process.send_signal(number)

    def output(self) -> str:
        return (self.directory / "daemon.log").read_text(errors="replace")

    def stop(self) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=20)

    def close(self) -> None:
        """Kill the process if a test left it running; close the notify socket."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.notify.close()


def rows(daemon: Daemon) -> list[dict[str, object]]:
    return open_store(str(daemon.database)).history(limit=100_000)


def assert_no_gaps(daemon: Daemon, ledger: list[dict[str, object]]) -> None:
    """Between each pair's first and last row, every planned fire has exactly one row."""
    calendar = load_calendar(daemon.calendar).calendar
    planner = Planner(calendar)
    for task in calendar.tasks:
        times: list = sorted(row["scheduled_for"] for row in ledger if row["task"] == task.name)  # type: ignore[type-var]
        if not times:
            continue
        planned = [
            fire.at
            for fire in planner.plan(times[0], times[-1] + timedelta(microseconds=1), [task.name])
        ]
        assert times == planned, f"{task.name}: {len(planned)} planned, {len(times)} recorded"


def status_file(directory: Path, name: str, code: int) -> Path:
    path = directory / name
    path.write_text(f"{code}\n")
    path.chmod(0o666)
    return path


def run_cli(
    daemon: Daemon, *arguments: str, database: bool = True, umask: int = -1
) -> subprocess.CompletedProcess[str]:
    """`maintd ARGUMENTS [--db …] --config …` on the daemon's files, whatever its exit code."""
    store = ["--db", str(daemon.database)] if database else []
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "maintd", *arguments, *store, "--config", str(daemon.calendar)],
        capture_output=True, text=True, timeout=60, check=False, umask=umask,
    )  # fmt: skip


def maintd(daemon: Daemon, *arguments: str) -> str:
    """The output of a `maintd` command on the daemon's files, which must succeed."""
    done = run_cli(daemon, *arguments)
    assert done.returncode == 0, done.stderr
    return done.stdout


def start(daemon: Daemon) -> None:
    daemon.extra_arguments = ["--respond-every", "0.3"]
    daemon.start()
    daemon.messages("READY=1")


@dataclass(frozen=True)
class Row:
    """One ledger row, as the proving-ground tests look at it."""

    id: int
    task: str
    host: str
    scheduled_for: datetime
    trigger: str
    status: str
    reason: str


@dataclass(frozen=True)
class Coverage:
    """How the ledger matched the plan over a period."""

    planned: int
    rows: int
    gaps: list[tuple[str, str, datetime]]
    duplicates: list[tuple[str, str, datetime]]
    unplanned: list[tuple[str, str, datetime]]


def read_rows(database: Path) -> list[Row]:
    """Every row of the ledger, oldest fire first, through a read-only connection (it neither
    migrates nor writes, so it cannot disturb a daemon starting on the same file)."""
    with closing(_read_only(database)) as connection:
        tables = connection.execute("SELECT name FROM sqlite_master WHERE name = 'runs'")
        if tables.fetchone() is None:
            return []  # killed before its first migration finished
        found = connection.execute(
            "SELECT id, task, host, scheduled_for, \"trigger\", status, coalesce(reason, '') "
            "FROM runs ORDER BY scheduled_for, id"
        ).fetchall()
    return [Row(number, task, host, _utc(at), trigger, status, reason)
            for number, task, host, at, trigger, status, reason in found]  # fmt: skip


def integrity(database: Path) -> str:
    """SQLite's own verdict on the file: "ok" or its list of problems."""
    with closing(_read_only(database)) as connection:
        return "\n".join(row[0] for row in connection.execute("PRAGMA integrity_check"))


def coverage(calendar_path: Path, ledger: list[Row], until: datetime) -> Coverage:
    """Hold every (task, host) to the planner from its first row to ``until``: each planned fire
    has exactly one row, and no row stands for a fire the planner never planned. (A pair's
    history starts at its first row: before it, maintd has nothing to catch up.)"""
    planner = Planner(load_calendar(calendar_path).calendar)
    gaps: list[tuple[str, str, datetime]] = []
    duplicates: list[tuple[str, str, datetime]] = []
    unplanned: list[tuple[str, str, datetime]] = []
    planned_total = rows_total = 0
    for task in planner.calendar.tasks:
        for host in planner.hosts[task.name]:
            times = Counter(
                r.scheduled_for for r in ledger if (r.task, r.host) == (task.name, host)
            )
            if not times:
                continue
            planned = {fire.at for fire in planner.plan(min(times), until, [task.name], [host])}
            seen = {at for at in times if at < until}
            planned_total += len(planned)
            rows_total += sum(count for at, count in times.items() if at < until)
            gaps += [(task.name, host, at) for at in sorted(planned - seen)]
            unplanned += [(task.name, host, at) for at in sorted(seen - planned)]
            duplicates += [(task.name, host, at) for at, count in times.items() if count > 1]
    return Coverage(planned_total, rows_total, gaps, duplicates, unplanned)


def _read_only(database: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)
