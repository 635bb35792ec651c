"""`maintd run` with `http:` on the loopback sshd hosts: /metrics as Prometheus parses it (runs
counted as the ledger has them, durations, the last success, incidents by severity, the SSH
pool), /healthz and /readyz, nothing else answered, bound to 127.0.0.1 alone, moved by a
reload; and a port already taken costs the daemon its endpoint, never its work."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from maintd import __version__
from tests.conftest import PLUGINS
from tests.daemon import Daemon, rows, status_file
from tests.fetch import fetch
from tests.sshd import SshdCluster, free_port

TASKS = """
http: {listen: "LISTEN"}
severities:
  critical: {respond: 1h, resolve: 4h}
  minor: {respond: 1d, resolve: 7d}
tasks:
  - {name: disk, check: test_file_status, hosts: [h1, h2], schedule: {every: 1s},
     params: {path: /nonexistent/ok}, catch_up: none}
  - {name: broken, check: test_file_status, hosts: [h3], schedule: {every: 1s},
     params: {path: BROKEN}, severity: critical, catch_up: none}
"""
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
RAN = {"OK", "WARNING", "CRITICAL", "UNKNOWN", "TIMEOUT", "UNREACHABLE", "ERROR"}


def get(port: int, path: str, method: str = "GET") -> tuple[int, dict[str, str], str]:
    status, headers, body = fetch(port, path, method, body="x=1" if method == "POST" else None)
    return status, headers, body.decode()


def scrape(port: int) -> Samples:
    """(sample name, labels) -> value, from /metrics as Prometheus's own parser reads it."""
    status, headers, body = get(port, "/metrics")
    assert status == 200
    assert headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    samples = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum of ``name`` over the samples whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(v for (n, have), v in samples.items() if n == name and wanted <= have)


def listening(pid: int) -> list[str]:
    """The local addresses of the TCP sockets ``pid`` listens on, as `ss` shows them."""
    table = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True, check=True).stdout
    return [line.split()[3] for line in table.splitlines() if f"pid={pid}," in line]


def write_calendar(daemon: Daemon, cluster: SshdCluster, listen: str | None, broken: Path) -> None:
    tasks = TASKS.replace("BROKEN", str(broken))
    if listen is None:
        tasks = tasks.replace('http: {listen: "LISTEN"}\n', "")
    daemon.calendar.write_text(
        cluster.calendar_text(tasks.replace("LISTEN", str(listen)), plugin_dirs=[str(PLUGINS)])
    )


def reload(daemon: Daemon) -> None:
    daemon.signal(signal.SIGHUP)
    assert "reload refused" not in "".join(daemon.messages("READY=1"))


def assert_runs_counted(first: Samples, second: Samples, ledger: list[dict[str, Any]]) -> None:
    """Runs by status grow as the ledger does; every run that ran is timed."""
    ok_runs = value(second, "maintd_runs_total", task="disk", status="OK")
    assert ok_runs is not None
    assert ok_runs > (value(first, "maintd_runs_total", task="disk", status="OK") or 0)
    in_ledger = [row for row in ledger if row["task"] == "disk" and row["status"] == "OK"]
    assert ok_runs <= len(in_ledger)  # counted once the row is written
    assert total(second, "maintd_runs_total", task="disk") == ok_runs  # nothing but OK
    critical = total(second, "maintd_runs_total", task="broken", status="CRITICAL")
    assert critical >= 2 and total(second, "maintd_runs_total", task="broken") == critical
    for task in ("disk", "broken"):
        ran = sum(total(second, "maintd_runs_total", task=task, status=status) for status in RAN)
        count = value(second, "maintd_run_duration_seconds_count", task=task)
        assert count == ran
        assert value(second, "maintd_run_duration_seconds_bucket", task=task, le="+Inf") == count
        seconds = value(second, "maintd_run_duration_seconds_sum", task=task)
        assert seconds is not None and 0 < seconds < count * 10


def assert_state_shown(samples: Samples) -> None:
    """Last successes, incidents by severity, the SSH pool, the lag, the build."""
    now = time.time()
    for host in ("h1", "h2"):
        last = value(samples, "maintd_last_success_timestamp_seconds", task="disk", host=host)
        assert last is not None and now - 5 < last <= now
    never = value(samples, "maintd_last_success_timestamp_seconds", task="broken", host="h3")
    assert never is None
    assert value(samples, "maintd_open_incidents", severity="critical") == 1
    assert value(samples, "maintd_open_incidents", severity="minor") == 0
    assert value(samples, "maintd_ssh_connections") == 3  # one per host, shared by its checks
    assert value(samples, "maintd_running_checks") is not None
    lag = value(samples, "maintd_scheduler_lag_seconds")
    assert lag is not None and 0 <= lag < 1
    assert value(samples, "maintd_build_info", version=__version__) == 1
    started = value(samples, "maintd_start_time_seconds")
    assert started is not None and now - 30 < started < now


def test_metrics_health_and_readiness_of_a_running_daemon_and_a_reload_moves_the_port(
    cluster: SshdCluster, tmp_path: Path, shared_dir: Path
) -> None:
    broken = status_file(shared_dir, "broken", 2)
    port, moved = free_port(), free_port()
    daemon = Daemon(tmp_path)
    write_calendar(daemon, cluster, f"127.0.0.1:{port}", broken)
    try:
        daemon.start()
        daemon.messages("READY=1")
        assert daemon.process is not None
        assert listening(daemon.process.pid) == [f"127.0.0.1:{port}"]
        time.sleep(2.0)
        first = scrape(port)
        time.sleep(1.2)
        second = scrape(port)
        assert_runs_counted(first, second, rows(daemon))
        assert_state_shown(second)

        assert get(port, "/healthz")[::2] == (200, "ok\n")
        status, headers, body = get(port, "/readyz")
        assert (status, body, headers["Cache-Control"]) == (200, "ok\n", "no-store")
        assert get(port, "/nope")[0] == 404
        status, headers, _ = get(port, "/metrics", "POST")
        assert (status, headers["Allow"]) == (405, "GET, HEAD")
        assert "GET /metrics" not in daemon.output()  # scrapes are not logged at INFO

        write_calendar(daemon, cluster, f"127.0.0.1:{moved}", broken)
        reload(daemon)
        assert get(moved, "/healthz")[0] == 200
        with pytest.raises(ConnectionRefusedError):
            get(port, "/healthz")
        assert listening(daemon.process.pid) == [f"127.0.0.1:{moved}"]
        after = scrape(moved)  # the counters live on through the move
        ok_runs = value(second, "maintd_runs_total", task="disk", status="OK") or 0
        assert (value(after, "maintd_runs_total", task="disk", status="OK") or 0) >= ok_runs

        write_calendar(daemon, cluster, None, broken)
        reload(daemon)
        assert listening(daemon.process.pid) == []
        assert daemon.stop() == 0
    finally:
        daemon.close()
    log_text = "\n".join(path.read_text() for path in daemon.logs.glob("*.log"))
    assert f"HTTP endpoint on 127.0.0.1:{port}" in log_text
    assert f"HTTP endpoint on 127.0.0.1:{moved} stopped (no http: in the calendar)" in log_text


def test_a_taken_port_leaves_the_daemon_working_and_a_reload_tries_again(
    cluster: SshdCluster, tmp_path: Path, shared_dir: Path
) -> None:
    broken = status_file(shared_dir, "broken", 2)
    daemon = Daemon(tmp_path)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        write_calendar(daemon, cluster, f"127.0.0.1:{port}", broken)
        try:
            daemon.start()
            daemon.messages("READY=1")
            time.sleep(1.5)
            assert daemon.process is not None and daemon.process.poll() is None
            assert any(row["task"] == "disk" and row["status"] == "OK" for row in rows(daemon))
            message = f"cannot listen on 127.0.0.1:{port} for HTTP: Address already in use"
            assert f"ERROR maintd.service: {message}; running without the HTTP endpoint" in (
                daemon.output()
            )
            log_text = "\n".join(path.read_text() for path in daemon.logs.glob("*.log"))
            assert f"HTTP endpoint off: {message}" in log_text
            squatter.close()
            reload(daemon)  # the same calendar: the port is free now
            assert get(port, "/healthz")[0] == 200
            assert daemon.stop() == 0
        finally:
            daemon.close()
