"""Predictive maintenance end to end: `maintd run` on a loopback sshd host whose disk has been
filling for three days (history seeded into the database before the daemon starts). The first
runs forecast the breach: a `predicted` incident opens and its notice — when, how sure, why —
reaches a real HTTP server; the `prevent:` plugin cleans up on the host; `maintd forecast`
shows what was forecast."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from maintd.store import FireKey, open_store
from maintd.store.schema import metrics
from tests.conftest import PLUGINS
from tests.daemon import Daemon, maintd, start
from tests.sshd import SshdCluster
from tests.webhook import Webhook

PREDICTING = """
severities:
  minor: {respond: 1d, resolve: 7d, escalate: [{after: 0s, notify: oncall}]}
notify: {oncall: [ONCALL]}
tasks:
  - name: disk
    check: test_file_value
    hosts: [h1]
    schedule: {every: 1s}
    catch_up: none
    params: {path: FILE}
    predict:
      metric: used_pct
      reaches: 95
      within: 14d
      every: 1s
      severity: minor
      prevent: {check: test_fix_file, params: {path: FILE}, before: 30d}
"""


def seed_filling_disk(database: Path, now: datetime) -> None:
    """Three days of readings every 5 minutes, 60 % to 72 %, recorded before the daemon runs."""
    ledger = open_store(str(database))
    try:
        claim = ledger.claim(FireKey("disk", "h1", now), "schedule")
        assert claim is not None
        rows = [
            {"run_id": claim.id, "task": "disk", "host": "h1", "name": "used_pct", "unit": "%",
             "value": 60 + 4 * i / 288, "at": now - timedelta(minutes=5 * (864 - i))}
            for i in range(864)
        ]  # fmt: skip
        with ledger.engine.begin() as connection:
            connection.execute(insert(metrics), rows)
    finally:
        ledger.close()


def test_a_filling_disk_is_predicted_notified_and_prevented(
    cluster: SshdCluster, tmp_path: Path, webhook: Webhook, shared_dir: Path
) -> None:
    value = shared_dir / "used"
    value.write_text("72.1\n")
    value.chmod(0o666)
    daemon = Daemon(tmp_path)
    tasks = PREDICTING.replace("ONCALL", webhook.url("oncall")).replace("FILE", str(value))
    daemon.calendar.write_text(cluster.calendar_text(tasks, plugin_dirs=[str(PLUGINS)]))
    seed_filling_disk(daemon.database, datetime.now(UTC))
    try:
        start(daemon)
        opened = webhook.wait_for("disk on h1 (predicted): opened", "/oncall")
        assert opened["title"].startswith("[PREDICTED] #1 ")
        for text in (
            "Incident #1: disk on h1: used_pct forecast to reach 95",
            "Status: PREDICTED - used_pct reaches 95 in",
            "80 % interval",
            "Severity: minor",
        ):
            assert text in opened["message"], opened["message"]
        deadline = time.monotonic() + 15
        while value.read_text().strip() != "0" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert value.read_text().strip() == "0"  # the prevention ran on the host
        assert daemon.stop() == 0
    finally:
        daemon.close()
    shown = maintd(daemon, "incidents", "show", "1")
    assert "prevention" in shown and "FIXED wrote 0" in shown
    forecasts = json.loads(maintd(daemon, "forecast", "--format", "json"))
    (disk,) = [row for row in forecasts if row["task"] == "disk"]
    assert disk["host"] == "h1" and disk["metric"] == "used_pct" and disk["kind"] == "threshold"
    assert disk["incident_id"] == 1
