"""Network faults on hosts in their own network namespaces (issue 9), through maintd's real SSH
executor and a real `maintd run` daemon.

Six hosts n1 … n6, each in a namespace of its own behind a veth pair on a private 10.2xx.y.z/30,
each with its own sshd (tests/netns.py). One host per fault: n1 black-holes every packet (with
and without a connection open, and between a channel's open and the start of its command), n2
has 300 ms of latency and 5 % loss (a relay in its namespace: this kernel has no netem), n3's
sshd is killed mid-check, n4's link goes down mid-check; n5 and n6 stay healthy and run at the
same time. Proves, per fault: the status (UNREACHABLE or TIMEOUT) and its exact message, that it
comes within the connect timeout or the task timeout + 1 s, that the healthy hosts finish in
normal time with their own status, that the SSH pool recovers when the host comes back (the
next check on it is OK), and that no process of a check is left on any host once its own limit
has passed (checked in every namespace after every test). Root only.

Figures: set MAINTD_RELIABILITY_FIGURES=FILE to append one JSON line per fault to FILE.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from maintd.config import load_calendar
from maintd.execute import HostRun, RawOutput, Runner
from maintd.execute.channel import run_on_channel
from maintd.execute.request import KILL_AFTER_SECONDS
from maintd.plugins import load_catalog
from maintd.results import interpret
from maintd.status import Status
from tests.conftest import PLUGINS
from tests.daemon import Daemon, assert_no_gaps, rows
from tests.netns import NetnsHost, NetnsLab, netns_available
from tests.polling import wait_until

UNAVAILABLE = netns_available()
pytestmark = pytest.mark.skipif(
    UNAVAILABLE is not None, reason=f"network namespace hosts: {UNAVAILABLE}"
)

CONNECT_TIMEOUT = 2.0
HANG_TIMEOUT = 3.0
KILL_AFTER = float(KILL_AFTER_SECONDS)  # the host's `timeout -k` after the timeout
HEALTHY = ["n5", "n6"]
HEALTHY_SECONDS = 1.5  # ~0.1 s normally (cold); every faulty host takes 2 s or more

TASKS = """
tasks:
  - {name: ok, check: test_status, hosts: [lab], schedule: {every: 5m}}
  - {name: warn, check: test_status, hosts: [lab], schedule: {every: 5m}, timeout: 10s,
     params: {code: 1, text: slow but here}}
  - {name: quick, check: test_status, hosts: [lab], schedule: {every: 5m}, timeout: 1s}
  - {name: flood, check: test_flood, hosts: [lab], schedule: {every: 5m}, timeout: 1s,
     params: {megabytes: 4}}
  - {name: hang, check: test_hang, hosts: [lab], schedule: {every: 5m}, timeout: 3s,
     params: {seconds: 4121}}
  - {name: stubborn, check: test_hang, hosts: [lab], schedule: {every: 5m}, timeout: 3s,
     params: {seconds: 4131, ignore_term: true}}
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetnsLab]:
    started = NetnsLab(tmp_path_factory.mktemp("netns"), hosts=6).start()
    yield started
    started.stop()


@pytest.fixture
def runner(lab: NetnsLab, tmp_path: Path) -> Iterator[Runner]:
    """A Runner with a pool of its own: each test starts with no connection open."""
    path = tmp_path / "calendar.yaml"
    path.write_text(lab.calendar_text(TASKS, [str(PLUGINS)], f"{CONNECT_TIMEOUT:g}s"))
    calendar = load_calendar(path).calendar
    made = Runner(calendar, load_catalog(calendar.plugin_dirs))
    yield made
    made.close()
    assert_nothing_left(lab)


@dataclass
class Timed:
    """One host's answer and the seconds from the start of its run to it."""

    run: HostRun
    seconds: float

    @property
    def status(self) -> Status:
        return interpret(self.run.raw).status

    @property
    def message(self) -> str:
        return self.run.raw.reason or interpret(self.run.raw).summary


def run_timed(runner: Runner, task_name: str, hosts: list[str]) -> dict[str, Timed]:
    """Run a task of the calendar on ``hosts`` at once; each host's answer with its time."""
    task = next(task for task in runner.calendar.tasks if task.name == task_name)
    finished: dict[str, Timed] = {}
    started = time.monotonic()

    def note(host_run: HostRun) -> None:
        finished[host_run.host] = Timed(host_run, time.monotonic() - started)

    runner.run_task(task, hosts, on_result=note)
    return finished


class Background:
    """``run_timed`` in a thread, for faults injected while the check runs."""

    def __init__(self, runner: Runner, task_name: str, hosts: list[str]) -> None:
        self.result: dict[str, Timed] = {}
        self.started = time.monotonic()
        self.thread = threading.Thread(
            target=lambda: self.result.update(run_timed(runner, task_name, hosts))
        )
        self.thread.start()

    def join(self, seconds: float = 30.0) -> dict[str, Timed]:
        self.thread.join(seconds)
        assert not self.thread.is_alive(), "the check never returned"
        return self.result


def wait_for(condition: Callable[[], object], seconds: float, what: str) -> float:
    """Poll ``condition`` closely (the figures are times) until it holds; how long it took."""
    return wait_until(condition, seconds, what, every=0.05)


def assert_healthy(answers: dict[str, Timed]) -> list[float]:
    """The healthy hosts answered OK in normal time; their durations."""
    for host in HEALTHY:
        answer = answers[host]
        assert answer.status == Status.OK, answer.run.raw
        assert answer.message == f"TEST all fine on {host}"
        assert answer.run.raw.duration < HEALTHY_SECONDS, answer.run.raw
    return [round(answers[host].run.raw.duration, 3) for host in HEALTHY]


def assert_nothing_left(lab: NetnsLab) -> None:
    """No host runs anything but its sshd: every check's processes are gone."""
    leftovers = {member.name: member.processes() for member in lab.members}
    assert leftovers == {member.name: [] for member in lab.members}


def recover(runner: Runner, host: str) -> float:
    """The next check on ``host`` is OK (the pool reconnects or resumes); its seconds."""
    answer = run_timed(runner, "ok", [host])[host]
    assert answer.status == Status.OK, answer.run.raw
    assert answer.message == f"TEST all fine on {host}"
    return answer.seconds


def record(fault: str, **figures: Any) -> None:
    """Append the figures of one fault to $MAINTD_RELIABILITY_FIGURES, when it is set."""
    target = os.environ.get("MAINTD_RELIABILITY_FIGURES")
    if target:
        with Path(target).open("a") as file:
            file.write(json.dumps({"fault": fault, **figures}) + "\n")


def plugin_started(host: NetnsHost, pattern: str) -> Callable[[], bool]:
    """A condition: a process whose command line holds ``pattern`` runs on ``host``."""
    return lambda: any(pattern in line for line in host.processes())


def test_a_black_holed_host_is_unreachable_within_the_connect_timeout(
    lab: NetnsLab, runner: Runner
) -> None:
    host = lab.host("n1")
    host.blackhole()
    try:
        answers = run_timed(runner, "ok", ["n1", *HEALTHY])
    finally:
        host.clear_blackhole()
    faulty = answers["n1"]
    assert faulty.status == Status.UNREACHABLE
    assert faulty.message == f"no answer from {host.address}:22 within 2s"
    assert CONNECT_TIMEOUT <= faulty.seconds < CONNECT_TIMEOUT + 1
    healthy = assert_healthy(answers)
    recovery = recover(runner, "n1")
    record(
        "black hole, no connection open",
        connect_timeout=CONNECT_TIMEOUT,
        seconds_to_status=round(faulty.seconds, 2),
        status=faulty.status.value,
        message=faulty.message,
        healthy_seconds=healthy,
        recovery_seconds=round(recovery, 2),
    )


def test_a_black_holed_host_with_an_open_connection_is_unreachable_within_the_connect_timeout(
    lab: NetnsLab, runner: Runner
) -> None:
    # The pooled Transport still looks active (paramiko #2463): opening a session on it waits
    # the connect timeout; a reconnect after that used to wait as long again (4 s in all).
    host = lab.host("n1")
    recover(runner, "n1")
    host.blackhole()
    try:
        answers = run_timed(runner, "ok", ["n1", *HEALTHY])
        again = run_timed(runner, "ok", ["n1"])["n1"]
    finally:
        host.clear_blackhole()
    faulty = answers["n1"]
    assert faulty.status == Status.UNREACHABLE
    assert faulty.message == (
        f"no answer from {host.address}:22 within 2s on the open connection "
        "(dropped; the next check connects anew)"
    )
    assert CONNECT_TIMEOUT <= faulty.seconds < CONNECT_TIMEOUT + 1
    # The dead connection is not reused: the next check connects anew, and times out as one.
    assert again.status == Status.UNREACHABLE
    assert again.message == f"no answer from {host.address}:22 within 2s"
    assert again.seconds < CONNECT_TIMEOUT + 1
    healthy = assert_healthy(answers)
    recovery = recover(runner, "n1")
    record(
        "black hole, connection open",
        connect_timeout=CONNECT_TIMEOUT,
        seconds_to_status=round(faulty.seconds, 2),
        status=faulty.status.value,
        message=faulty.message,
        next_check_seconds=round(again.seconds, 2),
        healthy_seconds=healthy,
        recovery_seconds=round(recovery, 2),
    )


def test_a_slow_lossy_host_still_answers_with_its_plugin_status(
    lab: NetnsLab, runner: Runner
) -> None:
    host = lab.host("n2")
    host.slow_down(delay_ms=300, loss_percent=5)
    try:
        answers = run_timed(runner, "warn", ["n2", *HEALTHY[:1]])
        healthy_answers = run_timed(runner, "ok", HEALTHY)
        warm = run_timed(runner, "warn", ["n2"])["n2"]
    finally:
        host.clear_slow_down()
    slow = answers["n2"]
    assert slow.status == Status.WARNING, slow.run.raw
    assert slow.message == "TEST slow but here on n2"
    # The host's answers wait 300 ms each: a new connection needs about 7 of them in turn
    # (banner and key exchange, new keys, service, login, channel, exec, output), an open one 3.
    assert slow.seconds > 6 * 0.3
    assert 3 * 0.3 * 0.9 < warm.seconds < slow.seconds
    assert warm.status == Status.WARNING
    assert answers["n5"].status == Status.WARNING
    assert answers["n5"].run.raw.duration < HEALTHY_SECONDS
    healthy = assert_healthy(healthy_answers)
    record(
        "300 ms latency, 5 % loss, timeout 10 s",
        timeout=10,
        seconds_to_status=round(slow.seconds, 2),
        warm_seconds=round(warm.seconds, 2),
        status=slow.status.value,
        message=slow.message,
        healthy_seconds=healthy,
    )


def test_a_check_needing_more_than_its_timeout_on_a_slow_host_times_out(
    lab: NetnsLab, runner: Runner
) -> None:
    host = lab.host("n2")
    # 4 MB of output take ~0.2 s from a healthy host (n5 and n6 run the same check), and at
    # least 1.5 s through 300 ms of latency (channel, exec, first answer, then the 2 MB channel
    # window refilled once per round trip): more than the check's 1 s timeout.
    host.slow_down(delay_ms=300, loss_percent=5)
    try:
        cold = run_timed(runner, "quick", ["n2"])["n2"]
        kept = runner.ssh._slots["n2"].transport  # noqa: SLF001 - the pool's own state
        answers = run_timed(runner, "flood", ["n2", *HEALTHY])
    finally:
        host.clear_slow_down()
    # Connecting alone (at least 5 answers of the host in turn) outlasts a 1 s timeout: the
    # plugin is not started at all, and the connection is kept (the flood below uses it).
    assert cold.status == Status.TIMEOUT
    assert cold.message.startswith("no answer within 1s: reaching the host took ")
    assert cold.message.endswith("s, the check was not started")
    assert kept is not None and runner.ssh._slots["n2"].transport is kept  # noqa: SLF001
    slow = answers["n2"]
    assert slow.status == Status.TIMEOUT, slow.run.raw
    assert slow.message == "no answer within 1s: the check was terminated"
    # The host's last answer needs its 300 ms to arrive, on top of timeout + 1 s.
    assert 1 <= slow.seconds < 1 + 1 + 0.3
    for name in HEALTHY:
        assert answers[name].status == Status.OK, answers[name].run.raw
    record(
        "300 ms latency, 5 % loss, 4 MB output, timeout 1 s",
        timeout=1,
        seconds_to_status=round(slow.seconds, 2),
        status=slow.status.value,
        message=slow.message,
        cold_connect_timeout_1s_seconds_to_status=round(cold.seconds, 2),
        cold_message=cold.message,
        healthy_seconds=[round(answers[name].run.raw.duration, 3) for name in HEALTHY],
    )


def test_a_host_whose_sshd_is_killed_mid_check_is_unreachable_and_recovers(
    lab: NetnsLab, runner: Runner
) -> None:
    host = lab.host("n3")
    check = Background(runner, "hang", ["n3"])
    wait_for(plugin_started(host, "sleep 4121"), 5, "the plugin started")
    others = Background(runner, "ok", HEALTHY)
    killed_at = time.monotonic()
    host.kill_sshd()
    faulty = check.join()["n3"]
    status_after = time.monotonic() - killed_at
    assert faulty.status == Status.UNREACHABLE
    assert faulty.message == (
        "the connection closed during the check (sshd stopped or the host restarted?); "
        "what the check started ends at its own `timeout` on the host"
    )
    assert status_after < 1
    healthy = assert_healthy(others.join())
    # No one is left to signal the plugin: the host's `timeout` wrapper ends it on time.
    assert host.processes(), "the plugin should outlive its sshd until its own timeout"
    wait_for(lambda: not host.processes(), HANG_TIMEOUT + 1, "the orphaned plugin ended")
    orphan_gone = time.monotonic() - check.started
    lab.restart_sshd(host)
    restarted = time.monotonic()
    recover(runner, "n3")
    record(
        "sshd killed mid-check",
        timeout=HANG_TIMEOUT,
        seconds_from_kill_to_status=round(status_after, 2),
        status=faulty.status.value,
        message=faulty.message,
        healthy_seconds=healthy,
        orphan_gone_after_check_start=round(orphan_gone, 2),
        recovery_seconds=round(time.monotonic() - restarted, 2),
    )


def test_a_host_whose_link_goes_down_mid_check_times_out_within_its_timeout(
    lab: NetnsLab, runner: Runner
) -> None:
    host = lab.host("n4")
    recover(runner, "n4")  # the check runs on an open connection, as in a running daemon
    check = Background(runner, "stubborn", ["n4"])
    wait_for(plugin_started(host, "sleep 4131"), 5, "the plugin started")
    host.link_down()
    try:
        others = run_timed(runner, "ok", HEALTHY)
        faulty = check.join()["n4"]
        still_down = run_timed(runner, "ok", ["n4"])["n4"]
        # The plugin ignores TERM: only the host's `timeout -k` can end it now, by its
        # timeout + KILL_AFTER, whatever happened to the link.
        wait_for(
            lambda: not host.processes(),
            HANG_TIMEOUT + KILL_AFTER + 1 - (time.monotonic() - check.started),
            "the plugin ended by the host's timeout -k",
        )
        orphan_gone = time.monotonic() - check.started
    finally:
        host.link_up()
    assert faulty.status == Status.TIMEOUT
    assert faulty.message == (
        "no answer within 3s: the check was terminated; "
        "the host stopped answering, its own `timeout -k` ends the check"
    )
    assert HANG_TIMEOUT <= faulty.seconds < HANG_TIMEOUT + 1
    healthy = assert_healthy(others)
    assert still_down.status == Status.UNREACHABLE
    assert still_down.message == (
        f"no answer from {host.address}:22 within 2s on the open connection "
        "(dropped; the next check connects anew)"
    )
    assert still_down.seconds < CONNECT_TIMEOUT + 1
    restored = time.monotonic()
    recover(runner, "n4")
    record(
        "link down mid-check (plugin ignores TERM)",
        timeout=HANG_TIMEOUT,
        seconds_to_status=round(faulty.seconds, 2),
        status=faulty.status.value,
        message=faulty.message,
        healthy_seconds=healthy,
        next_check_while_down_seconds=round(still_down.seconds, 2),
        orphan_gone_after_check_start=round(orphan_gone, 2),
        recovery_seconds=round(time.monotonic() - restored, 2),
    )


def test_a_host_gone_silent_before_it_confirms_the_start_times_out_within_the_timeout(
    lab: NetnsLab, runner: Runner
) -> None:
    # The one round trip between opening a channel and the host accepting the command: paramiko's
    # exec_command waits for that reply without a limit (until TCP gives up, ~15 min). The
    # channel is opened on the healthy host, then the host goes silent, then the check starts.
    host = lab.host("n1")
    recover(runner, "n1")
    pool = runner.ssh
    target = pool.targets["n1"]
    channel = pool._open_channel(pool._slot(target), target)  # noqa: SLF001
    task = next(task for task in runner.calendar.tasks if task.name == "quick")
    request = runner.build_request(task, "n1")
    answers: list[RawOutput] = []
    host.blackhole()
    try:
        started = time.monotonic()
        thread = threading.Thread(
            target=lambda: answers.append(run_on_channel(channel, request, started))
        )
        thread.start()
        thread.join(request.timeout + 1)
    finally:
        host.clear_blackhole()  # also what lets a check that hangs here end, and the test fail
    thread.join()
    (raw,) = answers
    assert raw.failure == Status.TIMEOUT
    assert raw.reason == (
        "no answer within 1s: the host stopped answering before it confirmed the start of the "
        "check; if it started, its own `timeout -k` ends it"
    )
    assert raw.duration < request.timeout + 1
    # TCP delivers the request once the host is back, before the next check's (same
    # connection, in order): it starts there, finds its input closed, and ends by itself.
    recovery = recover(runner, "n1")
    wait_for(lambda: not host.processes(), 5, "the late check ended on the host")
    record(
        "host silent before the start is confirmed",
        timeout=request.timeout,
        seconds_to_status=round(raw.duration, 2),
        status=raw.failure.value,
        message=raw.reason,
        recovery_seconds=round(recovery, 2),
    )


DAEMON_TASKS = """
tasks:
  - {name: ping, check: test_status, hosts: [n1, n5, n6], schedule: {every: 3s},
     catch_up: none}
"""


def test_the_daemon_records_a_black_holed_host_and_keeps_the_others_on_time(
    lab: NetnsLab, tmp_path: Path
) -> None:
    host = lab.host("n1")
    daemon = Daemon(tmp_path)
    daemon.calendar.write_text(
        lab.calendar_text(DAEMON_TASKS, [str(PLUGINS)], f"{CONNECT_TIMEOUT:g}s")
    )
    try:
        daemon.start()
        daemon.messages("READY=1")
        wait_for(lambda: "OK" in _statuses(daemon, "n1"), 10, "a first OK on n1")
        host.blackhole()
        try:
            wait_for(lambda: "UNREACHABLE" in _statuses(daemon, "n1"), 10, "UNREACHABLE")
        finally:
            host.clear_blackhole()
        cleared = time.monotonic()
        wait_for(lambda: _statuses(daemon, "n1")[-1:] == ["OK"], 10, "n1 OK again")
        recovery = time.monotonic() - cleared
        assert daemon.stop() == 0
    finally:
        host.clear_blackhole()
        daemon.close()
    ledger = rows(daemon)
    assert not [row for row in ledger if row["status"] == "RUNNING"]
    assert_no_gaps(daemon, ledger)
    lost = [row for row in ledger if row["host"] == "n1" and row["status"] == "UNREACHABLE"]
    assert lost
    for row in lost:
        assert str(row["summary"]).startswith(f"no answer from {host.address}:22 within 2s")
        assert _seconds(row) < CONNECT_TIMEOUT + 1
    healthy = [row for row in ledger if row["host"] in HEALTHY]
    assert {row["status"] for row in healthy} == {"OK"}
    assert max(_seconds(row) for row in healthy) < HEALTHY_SECONDS
    fires_lost = {row["scheduled_for"] for row in lost}
    assert {(row["host"], row["scheduled_for"]) for row in healthy} >= {
        (name, fire) for name in HEALTHY for fire in fires_lost
    }
    assert_nothing_left(lab)
    record(
        "daemon: black hole, every 3 s",
        connect_timeout=CONNECT_TIMEOUT,
        unreachable_rows=len(lost),
        seconds_to_status=[round(_seconds(row), 2) for row in lost],
        message=str(lost[0]["summary"]),
        healthy_rows=len(healthy),
        healthy_max_seconds=round(max(_seconds(row) for row in healthy), 3),
        recovery_seconds=round(recovery, 2),
    )


def _statuses(daemon: Daemon, host: str) -> list[str]:
    """The finished rows of ``host``, oldest first."""
    if not daemon.database.exists():
        return []
    finished = [row for row in rows(daemon) if row["host"] == host and row["status"] != "RUNNING"]
    return [str(row["status"]) for row in reversed(finished)]


def _seconds(row: dict[str, object]) -> float:
    waited = row["finished_at"] - row["started_at"]  # type: ignore[operator]
    assert isinstance(waited, timedelta)
    return waited.total_seconds()
