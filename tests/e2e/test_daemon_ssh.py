"""`maintd run` against the loopback sshd hosts: real SSH checks recorded, a kill -9 while a
check runs leaves an INTERRUPTED row, and no fire is without a row after the restart."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from tests.conftest import PLUGINS
from tests.e2e.test_daemon import Daemon, assert_no_gaps, rows
from tests.integration.test_ssh import processes_matching
from tests.sshd import SshdCluster

TASKS = """
tasks:
  - {name: ok, check: test_status, hosts: [cluster], schedule: {every: 1s}, catch_up: all}
  - {name: slow, check: test_hang, hosts: [h1], schedule: {every: 2s}, timeout: 4s,
     catch_up: none, params: {seconds: 317}}
"""


def test_ssh_checks_are_recorded_and_a_crash_mid_check_is_interrupted(
    cluster: SshdCluster, tmp_path: Path
) -> None:
    daemon = Daemon(tmp_path)
    daemon.calendar.write_text(cluster.calendar_text(TASKS, plugin_dirs=[str(PLUGINS)]))
    try:
        daemon.start()
        daemon.messages("READY=1")
        time.sleep(3)
        running = [row for row in rows(daemon) if row["status"] == "RUNNING"]
        assert any(row["task"] == "slow" for row in running)
        assert daemon.process is not None
        daemon.process.send_signal(signal.SIGKILL)
        daemon.process.wait()
        daemon.start()
        daemon.messages("READY=1")
        time.sleep(2)
        assert daemon.stop() == 0
    finally:
        if daemon.process is not None and daemon.process.poll() is None:
            daemon.process.kill()
        daemon.notify.close()
    ledger = rows(daemon)
    ok_hosts = {row["host"] for row in ledger if row["task"] == "ok" and row["status"] == "OK"}
    assert ok_hosts == {f"h{index}" for index in range(1, 9)}
    interrupted = [row for row in ledger if row["status"] == "INTERRUPTED"]
    assert interrupted and all(row["task"] == "slow" for row in interrupted)
    assert "maintd stopped while this check ran" in {row["reason"] for row in interrupted}
    assert not [row for row in ledger if row["status"] == "RUNNING"]
    assert_no_gaps(daemon, ledger)
    # The checks maintd was running when killed end by themselves at their deadline: the
    # host's `timeout -k` wrapper does not need maintd to be alive.
    deadline = time.monotonic() + 4 + 5 + 5
    while processes_matching("sleep 31[78]") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert processes_matching("sleep 31[78]") == []
