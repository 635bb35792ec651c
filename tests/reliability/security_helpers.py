"""Plain helpers shared by the security tests (tests/reliability/test_security_*.py): the runs
and incidents a test daemon recorded. (Waiting is tests/polling.py; the command line on a
daemon's files is tests/daemon.run_cli.)"""

from __future__ import annotations

from typing import Any

from maintd.store import IncidentBook, open_store
from tests.daemon import Daemon, rows


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
