"""Plain helpers shared by the security tests (tests/reliability/test_security_*.py): waiting
for a condition, running the `maintd` command line against a test daemon's calendar and
database, and reading the runs and incidents that daemon recorded."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from maintd.store import IncidentBook, open_store
from tests.daemon import Daemon, rows


def wait_until(condition: Callable[[], object], seconds: float, what: str) -> None:
    """Poll ``condition`` until it is true; fail naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"waited {seconds} s in vain for {what}")


def run_maintd(
    daemon: Daemon, *arguments: str, database: bool = True, umask: int = -1
) -> subprocess.CompletedProcess[str]:
    """`maintd ARGUMENTS [--db …] --config …`, whatever its exit code."""
    store = ["--db", str(daemon.database)] if database else []
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "maintd", *arguments, *store, "--config", str(daemon.calendar)],
        capture_output=True, text=True, timeout=60, check=False, umask=umask,
    )  # fmt: skip


def finished(daemon: Daemon, task: str, host: str) -> list[dict[str, Any]]:
    """The finished runs of (task, host), newest first."""
    return [
        row for row in rows(daemon)
        if (row["task"], row["host"]) == (task, host) and row["status"] != "RUNNING"
    ]  # fmt: skip


def incidents_of(daemon: Daemon) -> list[dict[str, Any]]:
    """The daemon's incidents, open, acknowledged or resolved."""
    ledger = open_store(str(daemon.database))
    try:
        return IncidentBook(ledger.engine).listing(states=["open", "acknowledged", "resolved"])
    finally:
        ledger.close()
