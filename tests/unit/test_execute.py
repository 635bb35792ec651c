"""Building requests and fanning out, with the fake transport (no network)."""

from __future__ import annotations

import shlex
import subprocess
import threading
import time
from pathlib import Path

import pytest

from maintd.config.model import Calendar
from maintd.execute import RawOutput, Runner
from maintd.execute.fake import FakeTransport
from maintd.execute.request import (
    build_plugin_request,
    build_program_request,
    environment_preamble,
    format_value,
    plugin_script,
    remote_command,
)
from maintd.execute.transport import LocalTransport
from maintd.plugins import load_catalog
from maintd.results import interpret
from maintd.status import Status
from tests.conftest import PLUGINS


def test_values_become_environment_text() -> None:
    assert [format_value(value) for value in (True, False, None, 80.0, 2.5, ["/a", "/b c"])] == [
        "1",
        "0",
        "",
        "80",
        "2.5",
        "/a\n/b c",
    ]


def test_the_preamble_quotes_every_value() -> None:
    preamble = environment_preamble({"path": "$(touch /x); '\"`"}, {"task": "t"})
    assert preamble.splitlines() == [
        "export MAINTD_TASK=t",
        "export MAINTD_PATH=" + shlex.quote("$(touch /x); '\"`"),
    ]


def test_the_remote_command_holds_no_calendar_value() -> None:
    line = remote_command(30, become=False)
    assert line == (
        "command -v timeout >/dev/null 2>&1 && exec timeout -k 5 30 /bin/sh -s || exec /bin/sh -s"
    )
    assert "sudo -n true" in remote_command(30, become=True)


def test_a_plugin_containing_the_delimiter_still_gets_a_unique_one() -> None:
    script = plugin_script(["/bin/sh"], b"echo MAINTD_PLUGIN_\n")
    head, _, rest = script.partition(b"\n")
    delimiter = head.split(b"'")[1]
    assert rest.endswith(delimiter + b"\n") and rest.count(delimiter) == 1


def test_a_request_runs_under_a_local_shell_exactly_as_sent(tmp_path: Path) -> None:
    marker = tmp_path / "value"
    content = b'#!/bin/sh\nprintf %s "$MAINTD_VALUE" > "$MAINTD_MARKER"\necho "OK $MAINTD_TASK"\n'
    request = build_plugin_request(
        host="h", task="t", interpreter=["/bin/sh"], content=content,
        params={"value": "a 'b' $(c) \\d", "marker": str(marker)}, timeout=5, become=False,
    )  # fmt: skip
    result = subprocess.run(
        ["/bin/sh", "-c", request.command], input=request.stdin, capture_output=True, check=True
    )
    assert result.stdout == b"OK t\n"
    assert marker.read_text() == "a 'b' $(c) \\d"


def calendar(tasks: list[dict[str, object]], **extra: object) -> Calendar:
    return Calendar.model_validate(
        {
            "plugin_dirs": [str(PLUGINS)],
            "defaults": {"retries": {"attempts": 2, "backoff": "10s"}},
            "hosts": {"a": {}, "b": {}, "c": {"transport": "local"}},
            "tasks": tasks,
            **extra,
        }
    )


def test_unreachable_hosts_are_retried_with_doubling_backoff() -> None:
    cal = calendar(
        [{"name": "t", "check": "test_status", "hosts": ["a"], "schedule": {"every": "5m"}}]
    )
    down = RawOutput(None, b"", b"", 0.1, failure=Status.UNREACHABLE, reason="refused")
    fake = FakeTransport({"a": down})
    runner = Runner(cal, load_catalog(cal.plugin_dirs), transports={"a": fake})
    waits: list[float] = []
    runner.sleep = waits.append
    (host_run,) = runner.run_task(cal.tasks[0], ["a"])
    assert host_run.attempts == 3 and len(fake.requests) == 3
    assert waits == [10.0, 20.0]
    assert interpret(host_run.raw).status == Status.UNREACHABLE


@pytest.mark.parametrize(("disruptive", "attempts"), [(False, 3), (True, 1)])
def test_a_check_cut_off_after_it_started_is_retried_only_if_not_disruptive(
    disruptive: bool, attempts: int
) -> None:
    cal = calendar(
        [{"name": "t", "check": "test_status", "hosts": ["a"], "schedule": {"every": "5m"},
          "disruptive": disruptive}]
    )  # fmt: skip
    broke = RawOutput(None, b"", b"", 0.1, failure=Status.UNREACHABLE, reason="broke", started=True)
    fake = FakeTransport({"a": broke})
    runner = Runner(cal, load_catalog(cal.plugin_dirs), transports={"a": fake})
    runner.sleep = lambda _seconds: None
    (host_run,) = runner.run_task(cal.tasks[0], ["a"])
    assert host_run.attempts == attempts and len(fake.requests) == attempts


def test_a_plugin_status_is_never_retried() -> None:
    cal = calendar(
        [{"name": "t", "check": "test_status", "hosts": ["a"], "schedule": {"every": "5m"}}]
    )
    fake = FakeTransport({"a": RawOutput(2, b"CRIT | x=1", b"", 0.1)})
    runner = Runner(cal, load_catalog(cal.plugin_dirs), transports={"a": fake})
    (host_run,) = runner.run_task(cal.tasks[0], ["a"])
    assert host_run.attempts == 1
    assert interpret(host_run.raw).status == Status.CRITICAL


def test_requests_carry_params_timeout_and_become() -> None:
    cal = calendar(
        [
            {"name": "t", "check": "test_status", "hosts": ["a", "b"], "schedule": {"every": "5m"},
             "params": {"code": 1}, "timeout": "42s", "become": True},
        ]
    )  # fmt: skip
    fake = FakeTransport()
    runner = Runner(cal, load_catalog(cal.plugin_dirs), transports={"a": fake, "b": fake})
    runner.run_task(cal.tasks[0], ["a", "b"])
    assert sorted(request.host for request in fake.requests) == ["a", "b"]
    request = fake.requests[0]
    assert request.timeout == 42 and "timeout -k 5 42" in request.command
    assert "sudo -n" in request.command
    assert b"export MAINTD_CODE=1\n" in request.stdin


def test_a_local_host_runs_through_the_local_transport() -> None:
    cal = calendar(
        [{"name": "t", "check": "test_status", "hosts": ["c"], "schedule": {"every": "5m"}}]
    )
    runner = Runner(cal, load_catalog(cal.plugin_dirs))
    (host_run,) = runner.run_task(cal.tasks[0], ["c"])
    result = interpret(host_run.raw)
    assert result.status == Status.OK and result.summary == "TEST all fine on c"


def test_stderr_alone_becomes_the_summary() -> None:
    result = interpret(RawOutput(3, b"", b"check_x: cannot open /dev/sda\nmore\n", 0.1))
    assert (result.status, result.summary) == (Status.UNKNOWN, "check_x: cannot open /dev/sda")


def test_the_local_host_runs_no_more_checks_at_once_than_its_limit() -> None:
    def elapsed(transport: LocalTransport, host: str) -> float:
        request = build_program_request(
            host=host, task="t", argv=["/bin/sleep", "0.4"], timeout=5, become=False
        )
        threads = [threading.Thread(target=transport.run, args=(request,)) for _ in range(3)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.monotonic() - started

    limited = LocalTransport({"self": 1})
    assert elapsed(limited, "self") >= 1.2  # one after the other
    assert elapsed(limited, "other") < 1.0  # a host without a limit: all at once
