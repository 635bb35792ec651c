"""`maintd run` as a process: the ledger it writes, reloads, kill -9 and restart, and the
systemd notify datagrams, received on a socket the test binds."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from maintd.config import load_calendar
from maintd.plan import Planner
from maintd.store import open_store
from tests.conftest import PLUGINS

CALENDAR = f"""
timezone: Europe/Berlin
plugin_dirs: [{PLUGINS}]
defaults: {{catch_up: {{policy: once, max_age: 1h}}}}
hosts:
  self: {{transport: local}}
tasks:
  - {{name: fast, check: test_status, hosts: [self], schedule: {{every: 1s}}}}
  - {{name: warn, check: test_status, hosts: [self], schedule: {{every: 2s}}, params: {{code: 1}},
     catch_up: none}}
"""


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


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    made = Daemon(tmp_path)
    made.calendar.write_text(CALENDAR)
    yield made
    made.close()


def rows(daemon: Daemon) -> list[dict[str, object]]:
    return open_store(str(daemon.database)).history(limit=100_000)


def test_the_daemon_records_every_fire_through_reloads_and_a_crash(daemon: Daemon) -> None:
    daemon.start()
    assert daemon.messages("READY=1")[-1].startswith("READY=1")
    time.sleep(3)
    assert {row["status"] for row in rows(daemon) if row["task"] == "fast"} == {"OK"}

    # A broken calendar is refused and the old one keeps running.
    daemon.calendar.write_text(CALENDAR.replace("every: 1s", "every: 1q"))
    daemon.signal(signal.SIGHUP)
    reload_messages = [m for m in daemon.messages("READY=1") if not m.startswith("STATUS=")]
    assert reload_messages[0].startswith("RELOADING=1\nMONOTONIC_USEC=")
    assert "reload refused" in reload_messages[-1]
    assert daemon.process is not None and daemon.process.poll() is None

    # A changed calendar is applied: a new task, the others kept.
    daemon.calendar.write_text(
        CALENDAR + "  - {name: added, check: test_status, hosts: [self], schedule: {every: 1s}}\n"
    )
    daemon.signal(signal.SIGHUP)
    daemon.messages("READY=1")
    time.sleep(2.5)
    assert any(row["task"] == "added" for row in rows(daemon))

    # kill -9 in the middle, then a restart: catch-up by policy, and no fire without a row.
    daemon.process.kill()
    daemon.process.wait()
    time.sleep(3)
    daemon.start()
    daemon.messages("READY=1")
    time.sleep(2)
    assert daemon.stop() == 0
    assert any(message.startswith("STOPPING=1") for message in daemon.messages("STOPPING=1", 2))

    ledger = rows(daemon)
    assert {row["status"] for row in ledger} <= {"OK", "WARNING", "MISSED", "INTERRUPTED"}
    warn_missed = [row for row in ledger if row["task"] == "warn" and row["status"] == "MISSED"]
    assert warn_missed and all("catch_up: none" in str(row["reason"]) for row in warn_missed)
    fast_caught = [row for row in ledger if row["task"] == "fast" and row["trigger"] == "catch-up"]
    assert len(fast_caught) == 1  # catch_up: once
    assert_no_gaps(daemon, ledger)
    log_text = "\n".join(path.read_text() for path in daemon.logs.glob("*.log"))
    assert "reload refused" in log_text and "reload applied" in log_text


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
