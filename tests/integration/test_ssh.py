"""Agentless execution against real OpenSSH servers on loopback addresses."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from maintd.config import load_calendar
from maintd.execute import Runner
from maintd.plugins import load_catalog
from maintd.results import interpret
from maintd.status import Status
from tests.conftest import PLUGINS
from tests.sshd import SshdCluster

TASKS = """
tasks:
  - {name: ok, check: test_status, hosts: [cluster], schedule: {every: 5m}}
  - {name: warn, check: test_status, hosts: [h1], schedule: {every: 5m}, params: {code: 1}}
  - {name: crit, check: test_status, hosts: [h1], schedule: {every: 5m}, params: {code: 2}}
  - {name: unknown, check: test_status, hosts: [h1], schedule: {every: 5m}, params: {code: 3}}
  - {name: hang, check: test_hang, hosts: [h1], schedule: {every: 5m}, timeout: 2s}
  - {name: stubborn, check: test_hang, hosts: [h2], schedule: {every: 5m}, timeout: 2s,
     params: {ignore_term: true}}
  - {name: flood, check: test_flood, hosts: [h3], schedule: {every: 5m}}
  - {name: garbage, check: test_garbage, hosts: [h3], schedule: {every: 5m}}
  - {name: echo, check: test_echo_params, hosts: [h4], schedule: {every: 5m},
     params: {value: "$(touch /tmp/maintd-pwned); rm -rf /nonexistent '\\" `id` ${HOME} \\\\n"}}
  - name: disk
    command: [/usr/lib/nagios/plugins/check_disk, -w, 20%, -c, 10%, -p, /]
    hosts: [h5]
    schedule: {every: 5m}
  - name: load
    command: [/usr/lib/nagios/plugins/check_load, -w, "50,40,30", -c, "60,50,40"]
    hosts: [h5]
    schedule: {every: 5m}
  - name: procs
    command: [/usr/lib/nagios/plugins/check_procs, -w, "5000", -c, "10000"]
    hosts: [h5]
    schedule: {every: 5m}
"""


@pytest.fixture
def runner(cluster: SshdCluster, tmp_path: Path) -> Iterator[Runner]:
    path = tmp_path / "calendar.yaml"
    path.write_text(cluster.calendar_text(TASKS, plugin_dirs=[str(PLUGINS)]))
    loaded = load_calendar(path)
    made = Runner(loaded.calendar, load_catalog(loaded.calendar.plugin_dirs))
    yield made
    made.close()


def run(runner: Runner, task_name: str, hosts: list[str] | None = None):  # type: ignore[no-untyped-def]
    task = next(task for task in runner.calendar.tasks if task.name == task_name)
    names = (
        hosts
        or runner.ssh.targets
        and [
            name
            for name, host in runner.calendar.hosts.items()
            if name in task.hosts or set(host.groups) & set(task.hosts)
        ]
    )
    return runner.run_task(task, names)


def processes_matching(pattern: str) -> list[str]:
    found = subprocess.run(["pgrep", "-af", pattern], capture_output=True, text=True, check=False)
    return [line for line in found.stdout.splitlines() if "pgrep" not in line]


@pytest.mark.parametrize(
    ("task", "status"),
    [("warn", Status.WARNING), ("crit", Status.CRITICAL), ("unknown", Status.UNKNOWN)],
)
def test_plugin_exit_codes_become_statuses(runner: Runner, task: str, status: Status) -> None:
    (host_run,) = run(runner, task)
    assert interpret(host_run.raw).status == status


def test_a_plugin_runs_on_every_host_with_its_perfdata(runner: Runner) -> None:
    runs = run(runner, "ok")
    assert [host_run.host for host_run in runs] == [f"h{index}" for index in range(1, 9)]
    for host_run in runs:
        result = interpret(host_run.raw)
        assert result.status == Status.OK, host_run.raw
        assert result.summary == f"TEST all fine on {host_run.host}"
        assert [datum.label for datum in result.perfdata] == ["value", "spaced label"]
        assert result.long_output == "long output line"


def test_connections_are_reused_across_checks(runner: Runner) -> None:
    run(runner, "ok")
    first = runner.ssh._slots["h1"].transport  # noqa: SLF001 - the pool's own state
    run(runner, "ok")
    assert runner.ssh._slots["h1"].transport is first  # noqa: SLF001
    assert runner.ssh.open_connections() == 8


def test_a_hung_check_times_out_and_leaves_no_process(runner: Runner) -> None:
    started = time.monotonic()
    (host_run,) = run(runner, "hang")
    elapsed = time.monotonic() - started
    assert host_run.raw.failure == Status.TIMEOUT
    assert "no answer within 2s" in host_run.raw.reason
    assert elapsed < 2 + 3
    time.sleep(0.5)
    assert processes_matching("sleep 30[01]") == []


def test_a_check_ignoring_term_is_killed_too(runner: Runner) -> None:
    started = time.monotonic()
    (host_run,) = run(runner, "stubborn")
    assert host_run.raw.failure == Status.TIMEOUT
    assert time.monotonic() - started < 2 + 8
    time.sleep(0.5)
    assert processes_matching("sleep 30[01]") == []


def test_ten_megabytes_of_output_are_drained_and_capped(runner: Runner) -> None:
    (host_run,) = run(runner, "flood")
    raw = host_run.raw
    assert raw.failure is None and raw.exit_code == 0
    assert len(raw.stdout) == 64 * 1024
    assert raw.stdout_dropped > 10 * 1024 * 1024 - 64 * 1024
    assert raw.stderr_dropped > 0
    result = interpret(raw)
    assert result.status == Status.OK and result.summary == "FLOOD OK"
    assert any("output cut" in note for note in result.notes)


def test_garbage_output_is_unknown_with_reasons(runner: Runner) -> None:
    (host_run,) = run(runner, "garbage")
    result = interpret(host_run.raw)
    assert result.status == Status.UNKNOWN
    assert "exit code 7 is not a plugin status (0-3)" in result.notes
    assert [datum.label for datum in result.perfdata] == ["good"]


def test_shell_metacharacters_in_params_arrive_literally(runner: Runner, tmp_path: Path) -> None:
    Path("/tmp/maintd-pwned").unlink(missing_ok=True)
    task = next(task for task in runner.calendar.tasks if task.name == "echo")
    marker = Path(f"/tmp/maintd-echo-{uuid.uuid4().hex}")  # noqa: S108 - the test user writes it
    patched = task.model_copy(update={"params": {**task.params, "marker": str(marker)}})
    (host_run,) = runner.run_task(patched, ["h4"])
    assert interpret(host_run.raw).status == Status.OK, host_run.raw
    assert marker.read_text() == task.params["value"]
    marker.unlink()
    assert not Path("/tmp/maintd-pwned").exists()


@pytest.mark.parametrize("task", ["disk", "load", "procs"])
def test_real_monitoring_plugins_run_by_path(runner: Runner, task: str) -> None:
    if not Path("/usr/lib/nagios/plugins/check_disk").exists():
        pytest.skip("monitoring-plugins-basic not installed")
    (host_run,) = run(runner, task)
    result = interpret(host_run.raw)
    assert result.status in (Status.OK, Status.WARNING, Status.CRITICAL), host_run.raw
    assert result.perfdata, result


def test_one_dead_host_does_not_delay_the_others(runner: Runner) -> None:
    task = next(task for task in runner.calendar.tasks if task.name == "ok")
    finished: dict[str, float] = {}
    started = time.monotonic()

    def note(host_run) -> None:  # type: ignore[no-untyped-def]
        finished[host_run.host] = time.monotonic() - started

    dead = runner.targets["h8"].__class__(**{**runner.targets["h8"].__dict__, "port": 1})
    runner.ssh.targets["h8"] = dead
    runner.ssh.close()
    runs = runner.run_task(task, [f"h{index}" for index in range(1, 9)], on_result=note)
    statuses = {host_run.host: interpret(host_run.raw).status for host_run in runs}
    assert statuses["h8"] == Status.UNREACHABLE
    assert "connection refused" in runs[-1].raw.reason
    assert all(status == Status.OK for host, status in statuses.items() if host != "h8")


def test_many_checks_on_one_host_stay_within_max_sessions(runner: Runner) -> None:
    # Sessions of finished checks free up on the server a little later: a refused session is
    # retried, and never takes down the connection the other checks are using. (An EOF sent
    # after a quick command's channel closed once made OpenSSH drop the whole connection:
    # maintd sends no EOF.) No retries here: every check must pass the first time.
    task = next(task for task in runner.calendar.tasks if task.name == "ok")
    for _ in range(10):
        runs = runner.run_task(task, ["h1"] * 24)
        bad = [host_run.raw for host_run in runs if interpret(host_run.raw).status != Status.OK]
        assert bad == []
