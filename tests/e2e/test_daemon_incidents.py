"""`maintd run` turns results into incidents: a failing check opens one, a fixed calendar
(SIGHUP) resolves it, and after a restart the same problem re-opens it — never a second one."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from maintd.store import IncidentBook, open_store
from tests.conftest import PLUGINS
from tests.daemon import Daemon

CALENDAR = f"""
timezone: UTC
plugin_dirs: [{PLUGINS}]
severities: {{critical: {{respond: 15m, resolve: 4h}}}}
hosts:
  self: {{transport: local}}
tasks:
  - {{name: disk, check: test_status, hosts: [self], schedule: {{every: 1s}},
     params: {{code: CODE}}, severity: critical, catch_up: none}}
"""


def incidents(daemon: Daemon) -> list[dict[str, Any]]:
    ledger = open_store(str(daemon.database))
    try:
        book = IncidentBook(ledger.engine)
        found = book.listing(states=["open", "acknowledged", "resolved"])
        for incident in found:
            incident["steps"] = [step["kind"] for step in book.timeline(incident["id"])]
        return found
    finally:
        ledger.close()


def wait_for(daemon: Daemon, condition: Callable[[list[dict[str, Any]]], bool]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if condition(incidents(daemon)):
            return
        time.sleep(0.3)
    raise AssertionError(f"incidents now: {incidents(daemon)}\n{daemon.output()}")


def test_a_failing_check_opens_one_incident_that_recovery_resolves_and_a_relapse_reopens(
    tmp_path: Path,
) -> None:
    daemon = Daemon(tmp_path)
    daemon.calendar.write_text(CALENDAR.replace("CODE", "2"))
    try:
        daemon.start()
        daemon.messages("READY=1")
        wait_for(daemon, lambda found: any(i["state"] == "open" for i in found))
        daemon.calendar.write_text(CALENDAR.replace("CODE", "0"))
        daemon.signal(signal.SIGHUP)
        wait_for(daemon, lambda found: any(i["state"] == "resolved" for i in found))
        assert daemon.stop() == 0
        daemon.calendar.write_text(CALENDAR.replace("CODE", "2"))
        daemon.start()
        daemon.messages("READY=1")
        wait_for(daemon, lambda found: any(i["reopened"] == 1 for i in found))
        assert daemon.stop() == 0
    finally:
        daemon.close()
    (incident,) = incidents(daemon)
    assert incident["title"] == "disk on self: CRITICAL"
    assert (incident["severity"], incident["state"]) == ("critical", "open")
    # The fire that fell due during the restart was recorded MISSED (catch_up: none), and a
    # check that did not run is a problem too: that re-opens it, or the next CRITICAL does.
    assert incident["steps"][:3] == ["opened", "resolved", "reopened"]
    assert set(incident["steps"][3:]) <= {"changed"}
    log_text = "".join(path.read_text() for path in daemon.logs.glob("*.log"))
    assert "EVENT       incident opened: disk@self CRITICAL" in log_text
    assert "EVENT       incident resolved: disk@self OK" in log_text
    assert "EVENT       incident reopened: disk@self" in log_text
