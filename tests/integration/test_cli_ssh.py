"""`maintd check`, `maintd hosts check` and `maintd hosts trust` against real sshd."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from maintd.cli import cli
from tests.conftest import PLUGINS
from tests.sshd import SshdCluster

TASKS = """
tasks:
  - {name: status, check: test_status, hosts: [cluster], schedule: {every: 5m}}
  - {name: mixed, check: test_status, hosts: [h1, h2], schedule: {every: 5m}, params: {code: 1}}
  - {name: reboot, check: test_status, hosts: [h1], schedule: {every: 5m, window: w},
     disruptive: true}
  - {name: backup, check: backup_freshness, hosts: [h1], schedule: {every: 5m},
     params: {dir: /nonexistent}}
  - {name: vacuum, check: db_optimise_sqlite, hosts: [h1], schedule: {every: 5m},
     params: {path: /nonexistent.db}}
windows:
  w: {cron: "0 1 * * *", duration: 1h}
"""


@pytest.fixture
def calendar(cluster: SshdCluster, tmp_path: Path) -> Path:
    path = tmp_path / "calendar.yaml"
    path.write_text(cluster.calendar_text(TASKS, plugin_dirs=[str(PLUGINS)]))
    return path


def maintd(*arguments: str, calendar: Path, stdin: str | None = None) -> Result:
    return CliRunner().invoke(
        cli, list(arguments), env={"MAINTD_CONFIG": str(calendar)}, input=stdin
    )


def test_check_runs_a_task_on_all_hosts_and_exits_with_the_worst_status(calendar: Path) -> None:
    result = maintd("check", "status", calendar=calendar)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["HOST", "STATUS", "DURATION", "SUMMARY", "PERFDATA"]
    assert len(lines) == 9 and all(" OK " in line for line in lines[1:])
    warned = maintd("check", "mixed", "--host", "h2", "--format", "json", calendar=calendar)
    assert warned.exit_code == 1
    (entry,) = json.loads(warned.stdout)
    assert entry["host"] == "h2" and entry["status"] == "WARNING"
    assert entry["perfdata"][0] == {
        "label": "value",
        "value": 1.0,
        "unit": "",
        "warn": "1",
        "crit": "2",
        "min": 0.0,
        "max": 3.0,
    }


def test_check_refuses_unknown_tasks_hosts_and_unforced_disruptive_tasks(calendar: Path) -> None:
    assert "did you mean 'status'" in maintd("check", "statsu", calendar=calendar).output
    wrong_host = maintd("check", "mixed", "--host", "h3", calendar=calendar)
    assert wrong_host.exit_code == 2 and "not one of mixed's hosts (h1, h2)" in wrong_host.output
    disruptive = maintd("check", "reboot", calendar=calendar)
    assert disruptive.exit_code == 2 and "--force" in disruptive.output
    assert maintd("check", "reboot", "--force", calendar=calendar).exit_code == 0
    # A plugin that changes the host (its header says disruptive) needs --force too; a
    # read-only one does not.
    changes = maintd("check", "vacuum", calendar=calendar)
    assert changes.exit_code == 2
    assert "vacuum runs db_optimise_sqlite, which changes the host" in changes.output
    assert maintd("check", "vacuum", "--force", calendar=calendar).exit_code == 3  # no such file
    assert maintd("check", "backup", calendar=calendar).exit_code == 2  # CRITICAL: no such dir


def test_check_of_an_unreachable_host_exits_3(calendar: Path, cluster: SshdCluster) -> None:
    calendar.write_text(
        calendar.read_text().replace("address: 127.0.0.3,", "address: 127.0.0.252,")
    )
    result = maintd("check", "status", "--format", "json", calendar=calendar)
    assert result.exit_code == 3
    statuses = {entry["host"]: entry["status"] for entry in json.loads(result.stdout)}
    assert statuses["h2"] == "UNREACHABLE" and statuses["h1"] == "OK"


def test_hosts_check_reports_each_host(calendar: Path) -> None:
    result = maintd("hosts", "check", "--format", "json", calendar=calendar)
    assert result.exit_code == 0, result.output
    reports = json.loads(result.stdout)
    assert [report["host"] for report in reports] == [f"h{index}" for index in range(1, 9)]
    assert {report["detail"] for report in reports} == {"reachable, host key verified"}


def test_hosts_trust_records_a_key_only_when_confirmed(
    cluster: SshdCluster, calendar: Path
) -> None:
    known = calendar.parent / "keys" / "trust_known_hosts"  # created by trust, with its directory
    calendar.write_text(calendar.read_text().replace(str(cluster.known_hosts), str(known)))
    before = maintd("hosts", "check", "--host", "h1", calendar=calendar)
    assert before.exit_code == 3 and "is unknown" in before.output
    refused = maintd("hosts", "trust", "h1", calendar=calendar, stdin="n\n")
    assert refused.exit_code == 1 and not known.exists()
    assert "SHA256:" in refused.output
    accepted = maintd("hosts", "trust", "h1", "--yes", calendar=calendar)
    assert accepted.exit_code == 0, accepted.output
    assert known.read_text().startswith(f"[127.0.0.2]:{cluster.port} ssh-ed25519 ")
    assert known.stat().st_mode & 0o777 == 0o600
    assert maintd("hosts", "check", "--host", "h1", calendar=calendar).exit_code == 0
    again = maintd("hosts", "trust", "h1", "--yes", calendar=calendar)
    assert "already trusted" in again.output


def test_hosts_trust_never_replaces_a_changed_key(cluster: SshdCluster, calendar: Path) -> None:
    known = calendar.parent / "changed_known_hosts"
    other_key = "AAAAC3NzaC1lZDI1NTE5AAAAIBm8qV4uC1jIbcBlcsWQ9vCq6Q7pKJxCNoe6V0hD8Rz7"
    known.write_text(f"[127.0.0.2]:{cluster.port} ssh-ed25519 {other_key}\n")
    calendar.write_text(calendar.read_text().replace(str(cluster.known_hosts), str(known)))
    result = maintd("hosts", "trust", "h1", "--yes", calendar=calendar)
    assert result.exit_code == 1
    assert "maintd never replaces a host key by itself" in result.output
    assert len(known.read_text().splitlines()) == 1
