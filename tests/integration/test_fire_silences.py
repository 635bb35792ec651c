"""A disruptive task's run silences its host's other checks while it runs, and for the
calendar's `maintenance_grace` after; the fire path does it, with a real store and plugin."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from maintd.execute import Runner
from maintd.pipeline import FireProcessor, Site
from maintd.plan import Planner
from maintd.plugins import load_checked
from maintd.report.maintlog import MaintenanceLog
from maintd.store import SilenceBook, open_store
from tests.conftest import PLUGINS

CALENDAR = f"""
timezone: UTC
plugin_dirs: [{PLUGINS}]
defaults: {{maintenance_grace: 7m}}
hosts:
  self: {{transport: local}}
windows:
  always: {{days: [mon, tue, wed, thu, fri, sat, sun], start: "00:00", end: "00:00"}}
tasks:
  - {{name: upgrade, check: test_hang, hosts: [self], schedule: {{every: 1h, window: always}},
     disruptive: true, timeout: 30s, params: {{seconds: 2}}}}
  - {{name: disk, check: test_status, hosts: [self], schedule: {{every: 1h}}}}
"""


def test_a_disruptive_run_silences_its_host_until_the_grace_after_it_ends(
    tmp_path: Path,
) -> None:
    path = tmp_path / "calendar.yaml"
    path.write_text(CALENDAR)
    loaded, catalog = load_checked(path)
    calendar = loaded.calendar
    site = Site(calendar, Planner(calendar), Runner(calendar, catalog))
    ledger = open_store(str(tmp_path / "m.db"))
    silences = SilenceBook(ledger.engine)
    processor = FireProcessor(site, ledger, MaintenanceLog(tmp_path / "logs", calendar.zone))
    processor.silences = silences
    upgrade = site.planner.tasks["upgrade"]
    fire_at = datetime.now(UTC).replace(microsecond=0)
    try:
        run = threading.Thread(
            target=processor.run_fire, args=(site, upgrade, "self", fire_at, "schedule")
        )
        run.start()
        deadline = time.monotonic() + 5
        while not silences.active(datetime.now(UTC)) and time.monotonic() < deadline:
            time.sleep(0.05)
        (during,) = silences.active(datetime.now(UTC))
        assert (during["host"], during["task"], during["origin_task"]) == ("self", None, "upgrade")
        assert during["reason"] == "upgrade running"
        # While it runs it lasts the run's timeout plus the grace: a hung run stays covered.
        assert during["ends_at"] - during["starts_at"] == timedelta(seconds=30, minutes=7)
        run.join(timeout=15)
        finished = datetime.now(UTC)
        (after,) = silences.active(finished)
        # Ended: now it lasts the grace from the run's end, no longer the whole timeout.
        assert finished + timedelta(minutes=6) < after["ends_at"] <= finished + timedelta(minutes=7)
        assert silences.active(after["ends_at"] + timedelta(seconds=1)) == []
        (row,) = ledger.history(limit=10)
        assert row["task"] == "upgrade"
        # A check that is not disruptive sets no silence.
        processor.run_fire(site, site.planner.tasks["disk"], "self", fire_at, "schedule")
        assert len(silences.listing(datetime.now(UTC), include_ended=True)) == 1
    finally:
        site.runner.close()
        processor.log.close()
        ledger.close()
