"""The response process end to end: `maintd run` on the loopback sshd hosts, notifications
received by a real HTTP server (apprise `json://`), people acting through the CLI.

A check turns CRITICAL → incident → "opened" notice → escalation after its delay → `ack`
stops it → recovery resolves it → the post-mortem tells it all. A window pauses a host's
notices until it closes, a silence until it expires, and a remediation fixes what it can.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.conftest import PLUGINS
from tests.daemon import Daemon, maintd, start, status_file
from tests.sshd import SshdCluster
from tests.webhook import Webhook

ESCALATING = """
severities:
  critical:
    respond: 1h
    resolve: 4h
    escalate: [{after: 0s, notify: oncall}, {after: 3s, notify: leads}]
notify: {oncall: [ONCALL], leads: [LEADS]}
tasks:
  - {name: disk, check: test_file_status, hosts: [h1], schedule: {every: 1s},
     params: {path: FILE}, severity: critical, runbook: runbooks/disk.md, catch_up: none}
"""


def test_critical_to_notice_to_escalation_to_ack_to_recovery_to_postmortem(
    cluster: SshdCluster, tmp_path: Path, webhook: Webhook, shared_dir: Path
) -> None:
    state = status_file(shared_dir, "disk", 2)
    tasks = (
        ESCALATING.replace("ONCALL", webhook.url("oncall"))
        .replace("LEADS", webhook.url("leads"))
        .replace("FILE", str(state))
    )
    daemon = Daemon(tmp_path)
    daemon.calendar.write_text(cluster.calendar_text(tasks, plugin_dirs=[str(PLUGINS)]))
    try:
        start(daemon)
        opened = webhook.wait_for("#1 disk on h1: opened", "/oncall")
        opened_at = time.monotonic()
        assert "[CRITICAL]" in opened["title"]
        for text in (
            "Host: h1",
            "Task: disk",
            "TEST code 2",
            "Runbook: runbooks/disk.md",
            "Acknowledge: maintd incidents ack 1",
        ):
            assert text in opened["message"]  # fmt: skip
        webhook.wait_for("#1 disk on h1: escalated", "/leads")
        assert time.monotonic() - opened_at >= 2.5  # the step waits its 3 s
        assert maintd(daemon, "incidents", "ack", "1", "--by", "ana").strip() == (
            "incident 1: acknowledged by ana"
        )
        for path in ("/oncall", "/leads"):
            assert "acknowledged by ana" in webhook.wait_for("acknowledged", path)["message"]
        state.write_text("0\n")
        webhook.wait_for("#1 disk on h1: resolved", "/leads")
        time.sleep(1)
        assert daemon.stop() == 0
    finally:
        daemon.close()
    titles = webhook.titles()
    assert sum("escalated" in title for title in titles) == 1  # ack stopped further steps
    assert sum("opened" in title for title in titles) == 1
    postmortem = maintd(daemon, "incidents", "postmortem", "1")
    for text in ("notified", "escalated", "acknowledged", "ana", "resolved", "json://127.0.0.1"):
        assert text in postmortem, text
    shown = maintd(daemon, "incidents", "show", "1")
    assert "sent" in shown and "respond by" in shown


PAUSING = """
windows:
  works: {cron: "* * * * *", duration: 20s, pause: [h2]}
severities:
  major: {respond: 1h, resolve: 4h, escalate: [{after: 0s, notify: oncall}]}
notify: {oncall: [ONCALL]}
tasks:
  - {name: windowed, check: test_file_status, hosts: [h2], schedule: {every: 1s},
     params: {path: WINDOWED}, severity: major, catch_up: none}
  - {name: silenced, check: test_file_status, hosts: [h3], schedule: {every: 1s},
     params: {path: SILENCED}, severity: major, catch_up: none}
  - {name: fixable, check: test_file_status, hosts: [h4], schedule: {every: 1s},
     params: {path: FIXABLE}, remediate: {check: test_fix_file, params: {path: FIXABLE}},
     severity: major, catch_up: none}
"""


def test_a_window_and_a_silence_hold_notices_and_a_remediation_fixes(
    cluster: SshdCluster, tmp_path: Path, webhook: Webhook, shared_dir: Path
) -> None:
    files = {name: status_file(shared_dir, name, 2) for name in ("windowed", "silenced")}
    files["fixable"] = status_file(shared_dir, "fixable", 2)
    tasks = PAUSING.replace("ONCALL", webhook.url("oncall"))
    for name, path in files.items():
        tasks = tasks.replace(name.upper(), str(path))
    daemon = Daemon(tmp_path)
    daemon.calendar.write_text(cluster.calendar_text(tasks, plugin_dirs=[str(PLUGINS)]))
    while not 1 <= datetime.now(UTC).second <= 4:  # the window is open :00-:20 each minute
        time.sleep(0.2)
    try:
        silence = maintd(daemon, "silence", "add", "--host", "h3", "--until", "10s",
                         "--reason", "disk swap")  # fmt: skip
        assert silence.startswith("silence 1: until ")
        start(daemon)
        webhook.wait_for("fixable on h4: opened")
        webhook.wait_for("fixable on h4: resolved")  # the remediation wrote 0
        assert files["fixable"].read_text().strip() == "0"
        assert not [title for title in webhook.titles() if "h2" in title or "h3" in title]
        webhook.wait_for("silenced on h3: opened", seconds=15)  # the silence expired
        assert datetime.now(UTC).second < 20
        assert not [title for title in webhook.titles() if "h2" in title]
        webhook.wait_for("windowed on h2: opened", seconds=25)  # the window closed
        assert datetime.now(UTC).second >= 20
        assert daemon.stop() == 0
    finally:
        daemon.close()
    timeline = maintd(daemon, "incidents", "show", "1", "--format", "json")
    assert timeline  # the CLI reads what the daemon wrote
    shown = {
        line.split()[0]: line
        for line in maintd(daemon, "incidents", "list", "--state", "resolved").splitlines()[1:]
    }
    assert shown  # the fixed one
    fixable = next(
        i for i in range(1, 4)
        if "fixable" in maintd(daemon, "incidents", "show", str(i))
    )  # fmt: skip
    steps = maintd(daemon, "incidents", "show", str(fixable))
    assert "remediation" in steps and "FIXED wrote 0" in steps
    log_text = "".join(path.read_text() for path in daemon.logs.glob("*.log"))
    assert "silence #1 (every task on h3) ended: disk swap" in log_text
    assert os.path.exists(daemon.database)
