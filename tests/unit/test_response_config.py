"""The calendar keys of the response process: each mistake located at file:line and key."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from maintd.config.response import pick_severity
from maintd.errors import ConfigError
from maintd.plugins import load_checked
from maintd.status import Status

Writer = Callable[..., Path]

BASE = """
hosts:
  db1: {address: 10.0.0.5, groups: [databases]}
windows:
  nightly: {cron: "0 1 * * *", duration: 4h, pause: PAUSE}
severities:
  major: {respond: 30m, resolve: 8h, escalate: [{after: 0m, notify: ops}]}
  minor: {respond: 1d, resolve: 7d}
notify: {ops: ["json://127.0.0.1:9/ops"]}
defaults: {notify: DEFAULT_NOTIFY}
tasks:
  - name: disk
    check: disk_usage
    hosts: [db1]
    schedule: {every: 5m}
    severity: SEVERITY
    REMEDIATE
"""


def calendar(
    severity: str = "major",
    pause: str = "[databases]",
    default_notify: str = "[ops]",
    remediate: str = "",
) -> str:
    return (
        BASE.replace("SEVERITY", severity)
        .replace("PAUSE", pause)
        .replace("DEFAULT_NOTIFY", default_notify)
        .replace("REMEDIATE", remediate)
    )


def problems_of(write_calendar: Writer, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_checked(write_calendar(text))
    return [str(problem) for problem in caught.value.problems]


def test_the_full_response_setup_loads(write_calendar: Writer) -> None:
    text = calendar(
        severity="{CRITICAL: major, WARNING: minor, default: minor}",
        remediate="remediate: {check: disk_usage, params: {path: /var}, attempts: 2}",
    )
    loaded, _ = load_checked(write_calendar(text))
    task = loaded.calendar.tasks[0]
    assert task.remediate is not None and task.remediate.attempts == 2
    assert pick_severity(task.severity, Status.CRITICAL) == "major"
    assert pick_severity(task.severity, Status.UNREACHABLE) == "minor"
    assert loaded.calendar.windows["nightly"].pause == ["databases"]
    assert loaded.calendar.defaults.incidents.attempts == 1
    assert loaded.calendar.defaults.maintenance_grace == timedelta(minutes=5)


def test_an_unknown_severity_in_a_map_is_located_at_its_status(write_calendar: Writer) -> None:
    (problem,) = problems_of(write_calendar, calendar(severity="{CRITICAL: majr, default: minor}"))
    assert ":15:" in problem and "tasks[0].severity.CRITICAL" in problem
    assert "unknown severity 'majr'" in problem and "did you mean 'major'" in problem


@pytest.mark.parametrize(
    ("severity", "message"),
    [
        ("{CRITICAL: major}", "needs a `default`"),
        ("{FATAL: major, default: minor}", "'FATAL' is not a problem status"),
        ("{OK: major, default: minor}", "'OK' is not a problem status"),
    ],
)
def test_a_malformed_severity_map_is_refused(
    write_calendar: Writer, severity: str, message: str
) -> None:
    (problem,) = problems_of(write_calendar, calendar(severity=severity))
    assert "tasks[0].severity" in problem and message in problem


def test_a_window_pausing_an_unknown_host_is_located(write_calendar: Writer) -> None:
    (problem,) = problems_of(write_calendar, calendar(pause="[databses]"))
    assert "windows.nightly.pause[0]" in problem and "did you mean 'databases'" in problem


def test_default_notify_lists_must_exist(write_calendar: Writer) -> None:
    (problem,) = problems_of(write_calendar, calendar(default_notify="[opz]"))
    assert "defaults.notify[0]" in problem and "unknown notify list 'opz'" in problem


def test_a_remediation_names_a_known_plugin_with_its_parameters(write_calendar: Writer) -> None:
    unknown = problems_of(write_calendar, calendar(remediate="remediate: {check: restart_it}"))
    assert any("tasks[0].remediate.check" in problem for problem in unknown)
    wrong = problems_of(
        write_calendar, calendar(remediate="remediate: {check: disk_usage, params: {pth: /}}")
    )
    assert any("tasks[0].remediate.params.pth" in p and "'path'" in p for p in wrong)


@pytest.mark.parametrize(
    ("severities", "message"),
    [
        ("{major: {respond: 1m, resolve: 1h, escalate: [{after: 15m, notify: ops}, "
         "{after: 0m, notify: ops}]}}", "in the order of their `after`"),
        ("{major: {respond: 1m, resolve: 1h, renotify: 10s}}", "at most once a minute"),
    ],
)  # fmt: skip
def test_escalation_steps_and_renotify_are_sane(
    write_calendar: Writer, severities: str, message: str
) -> None:
    text = calendar().replace(
        "severities:\n  major: {respond: 30m, resolve: 8h, escalate: [{after: 0m, notify: ops}]}"
        "\n  minor: {respond: 1d, resolve: 7d}",
        f"severities: {severities}",
    )
    problems = problems_of(write_calendar, text.replace("SEVERITY", "major"))
    assert any(message in problem and "severities" in problem for problem in problems), problems


def test_flapping_thresholds_keep_their_hysteresis(write_calendar: Writer) -> None:
    rules = "incidents: {flap_high: 0.3, flap_low: 0.4}"
    text = calendar().replace("defaults: {notify: [ops]}", f"defaults: {{notify: [ops], {rules}}}")
    (problem,) = problems_of(write_calendar, text)
    assert "defaults.incidents" in problem and "flap_low must be below flap_high" in problem
