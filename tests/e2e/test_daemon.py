"""`maintd run` as a process: the ledger it writes, reloads, kill -9 and restart, and the
systemd notify datagrams, received on a socket the test binds."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PLUGINS
from tests.daemon import Daemon, assert_no_gaps, rows

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


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    made = Daemon(tmp_path)
    made.calendar.write_text(CALENDAR)
    yield made
    made.close()


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
