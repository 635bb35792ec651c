"""`maintd run` against the loopback sshd hosts: real SSH checks recorded, a kill -9 while a
check runs leaves an INTERRUPTED row, and no fire is without a row after the restart."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from tests.conftest import PLUGINS
from tests.daemon import Daemon, assert_no_gaps, rows
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
        daemon.close()
    ledger = rows(daemon)
    ok_hosts = {row["host"] for row in ledger if row["task"] == "ok" and row["status"] == "OK"}
    assert ok_hosts == {f"h{index}" for index in range(1, 9)}
    # The hanging check was running when the process died (a quick `ok` check may have been
    # too): its row is closed INTERRUPTED by the restart, and by nothing else.
    interrupted = [row for row in ledger if row["status"] == "INTERRUPTED"]
    killed = "maintd stopped while this check ran"
    assert any(row["task"] == "slow" and row["reason"] == killed for row in interrupted)
    stopped = "maintd stopped before the check finished"
    assert {row["reason"] for row in interrupted} <= {killed, stopped}
    assert not [row for row in ledger if row["status"] == "RUNNING"]
    assert_no_gaps(daemon, ledger)
    # The checks maintd was running when killed end by themselves at their deadline: the
    # host's `timeout -k` wrapper does not need maintd to be alive.
    deadline = time.monotonic() + 4 + 5 + 5
    while processes_matching("sleep 31[78]") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert processes_matching("sleep 31[78]") == []


RETRYING = """
tasks:
  - {name: ping, check: test_status, hosts: [cluster], schedule: {every: 5s},
     retries: {attempts: 2, backoff: 1s}, catch_up: none}
"""


def test_an_unreachable_host_is_retried_with_backoff_without_delaying_the_others(
    cluster: SshdCluster, tmp_path: Path
) -> None:
    daemon = Daemon(tmp_path)
    # Nothing listens on 127.0.0.254: every attempt is refused at once.
    gone = f"  gone: {{address: 127.0.0.254, port: {cluster.port}, groups: [cluster]}}\n"
    text = cluster.calendar_text(RETRYING, plugin_dirs=[str(PLUGINS)])
    daemon.calendar.write_text(text.replace("hosts:\n", "hosts:\n" + gone, 1))
    try:
        daemon.start()
        daemon.messages("READY=1")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not _finished(rows(daemon), "gone"):
            time.sleep(0.5)
        assert daemon.stop() == 0
    finally:
        daemon.close()
    ledger = rows(daemon)
    unreachable = _finished(ledger, "gone")[-1]  # the first fire (rows come newest first)
    assert unreachable["status"] == "UNREACHABLE"
    assert unreachable["attempt"] == 3  # the first try and two retries
    assert "connection refused" in str(unreachable["summary"])
    waited = unreachable["finished_at"] - unreachable["started_at"]  # type: ignore[operator]
    assert waited.total_seconds() >= 3.0  # backoff 1 s, then doubled to 2 s
    same_fire = [
        row for row in ledger
        if row["scheduled_for"] == unreachable["scheduled_for"] and row["host"] != "gone"
    ]  # fmt: skip
    assert {row["status"] for row in same_fire} == {"OK"}
    assert {row["attempt"] for row in same_fire} == {1}
    assert all(row["finished_at"] < unreachable["finished_at"] for row in same_fire)  # type: ignore[operator]
    log_text = "".join(path.read_text() for path in daemon.logs.glob("*.log"))
    assert "UNREACHABLE ping@gone" in log_text


def _finished(ledger: list[dict[str, object]], host: str) -> list[dict[str, object]]:
    return [row for row in ledger if row["host"] == host and row["status"] != "RUNNING"]
