"""Host keys, authentication, sudo and jump hosts against real sshd."""

from __future__ import annotations

import os
import subprocess
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

SUDOERS = Path("/etc/sudoers.d/maintd-test")


def make_runner(cluster: SshdCluster, directory: Path, tasks: str, **replace: str) -> Runner:
    text = cluster.calendar_text(tasks, plugin_dirs=[str(PLUGINS)])
    for old, new in replace.items():
        text = text.replace(old, new)
    path = directory / "calendar.yaml"
    path.write_text(text)
    loaded = load_calendar(path)
    return Runner(loaded.calendar, load_catalog(loaded.calendar.plugin_dirs))


def run_whoami(runner: Runner, host: str) -> tuple[Status, str]:
    task = next(task for task in runner.calendar.tasks if task.name == "whoami")
    (host_run,) = runner.run_task(task, [host])
    result = interpret(host_run.raw)
    runner.close()
    return result.status, result.summary


WHOAMI = "tasks:\n  - {name: whoami, check: test_whoami, hosts: [h1], schedule: {every: 5m}}\n"


def test_an_unknown_host_key_is_refused_with_its_fingerprint(
    cluster: SshdCluster, tmp_path: Path
) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    runner = make_runner(cluster, tmp_path, WHOAMI, **{str(cluster.known_hosts): str(empty)})
    status, summary = run_whoami(runner, "h1")
    assert status == Status.UNREACHABLE
    assert f"host key of [127.0.0.2]:{cluster.port} is unknown (ssh-ed25519 SHA256:" in summary
    assert "maintd hosts trust h1" in summary


def test_a_changed_host_key_is_refused_loudly(cluster: SshdCluster, tmp_path: Path) -> None:
    other = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    public = (tmp_path / "other_key.pub").read_text().split()
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.2]:{cluster.port} {public[0]} {public[1]}\n")
    runner = make_runner(cluster, tmp_path, WHOAMI, **{str(cluster.known_hosts): str(known)})
    status, summary = run_whoami(runner, "h1")
    assert status == Status.UNREACHABLE
    assert summary.startswith(f"HOST KEY CHANGED for [127.0.0.2]:{cluster.port}")


def test_hashed_entries_count_and_marker_lines_do_not_spoil_the_file(
    cluster: SshdCluster, tmp_path: Path
) -> None:
    known = tmp_path / "known_hosts"
    known.write_text(
        "@cert-authority *.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI\n"
        + cluster.known_hosts.read_text()
    )
    subprocess.run(["ssh-keygen", "-q", "-H", "-f", str(known)], check=True, capture_output=True)
    assert "127.0.0.2" not in known.read_text()  # hashed now
    runner = make_runner(cluster, tmp_path, WHOAMI, **{str(cluster.known_hosts): str(known)})
    assert run_whoami(runner, "h1") == (Status.OK, f"USER {cluster.user}")


def test_a_wrong_client_key_is_refused(cluster: SshdCluster, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(wrong)], check=True)
    runner = make_runner(cluster, tmp_path, WHOAMI, **{str(cluster.client_key): str(wrong)})
    status, summary = run_whoami(runner, "h1")
    assert status == Status.UNREACHABLE
    assert summary.startswith(f"authentication failed for {cluster.user}@127.0.0.2")


def test_an_encrypted_identity_reads_its_passphrase_from_the_environment(
    cluster: SshdCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = tmp_path / "locked_key"
    locked.write_bytes(cluster.client_key.read_bytes())
    locked.chmod(0o600)
    subprocess.run(
        ["ssh-keygen", "-q", "-p", "-N", "s3cret phrase", "-P", "", "-f", str(locked)], check=True
    )
    monkeypatch.setenv("TEST_PASSPHRASE", "s3cret phrase")
    runner = make_runner(
        cluster,
        tmp_path,
        WHOAMI,
        **{
            f"identity: {cluster.client_key},": (
                f"identity: {locked}, passphrase: {{env: TEST_PASSPHRASE}},"
            )
        },
    )
    assert run_whoami(runner, "h1") == (Status.OK, f"USER {cluster.user}")
    monkeypatch.delenv("TEST_PASSPHRASE")
    status, summary = run_whoami(runner, "h1")
    assert status == Status.ERROR
    assert "TEST_PASSPHRASE is not set" in summary and "s3cret" not in summary


def test_nothing_listening_is_unreachable_quickly(cluster: SshdCluster, tmp_path: Path) -> None:
    runner = make_runner(
        cluster, tmp_path, WHOAMI, **{"address: 127.0.0.2,": "address: 127.0.0.250,"}
    )
    status, summary = run_whoami(runner, "h1")
    assert status == Status.UNREACHABLE
    assert summary == f"connection refused by 127.0.0.250:{cluster.port} (no SSH server listening?)"


def test_a_host_reached_through_a_jump_host(cluster: SshdCluster, tmp_path: Path) -> None:
    tasks = "tasks:\n  - {name: whoami, check: test_whoami, hosts: [h2], schedule: {every: 5m}}\n"
    runner = make_runner(
        cluster,
        tmp_path,
        tasks,
        **{"groups: [cluster]}\n  h2: {": "groups: [cluster]}\n  h2: {jump: h1, "},
    )
    assert runner.targets["h2"].jump is not None
    task = runner.calendar.tasks[0]
    (host_run,) = runner.run_task(task, ["h2"])
    assert interpret(host_run.raw).summary == f"USER {cluster.user}"
    assert runner.ssh._slots["h1"].transport is not None  # noqa: SLF001 - the jump connection
    runner.close()


def test_a_dead_jump_host_is_named(cluster: SshdCluster, tmp_path: Path) -> None:
    tasks = "tasks:\n  - {name: whoami, check: test_whoami, hosts: [h2], schedule: {every: 5m}}\n"
    text = {
        "groups: [cluster]}\n  h2: {": "groups: [cluster]}\n  h2: {jump: h1, ",
        "h1: {address: 127.0.0.2,": "h1: {address: 127.0.0.251,",
    }
    runner = make_runner(cluster, tmp_path, tasks, **text)
    status, summary = run_whoami(runner, "h2")
    assert status == Status.UNREACHABLE
    assert summary.startswith("via jump host h1: connection refused by 127.0.0.251")


@pytest.fixture
def sudo_user(cluster: SshdCluster) -> Iterator[str]:
    if not Path("/usr/bin/sudo").exists():
        pytest.skip("sudo not installed (scripts/test installs it as root)")
    yield cluster.user
    SUDOERS.unlink(missing_ok=True)


def test_become_runs_the_plugin_under_sudo(
    cluster: SshdCluster, tmp_path: Path, sudo_user: str
) -> None:
    SUDOERS.write_text(f"{sudo_user} ALL=(root) NOPASSWD: ALL\n")
    os.chmod(SUDOERS, 0o440)
    plain = make_runner(cluster, tmp_path, WHOAMI, **{"user: root,": f"user: {sudo_user},"})
    assert run_whoami(plain, "h1") == (Status.OK, f"USER {sudo_user}")
    become = make_runner(
        cluster,
        tmp_path,
        WHOAMI.replace("every: 5m}", "every: 5m}, become: true"),
        **{"user: root,": f"user: {sudo_user},"},
    )
    assert run_whoami(become, "h1") == (Status.OK, "USER root")


def test_become_without_a_sudoers_entry_fails_without_prompting(
    cluster: SshdCluster, tmp_path: Path, sudo_user: str
) -> None:
    SUDOERS.unlink(missing_ok=True)
    become = make_runner(
        cluster,
        tmp_path,
        WHOAMI.replace("every: 5m}", "every: 5m}, become: true"),
        **{"user: root,": f"user: {sudo_user},"},
    )
    status, summary = run_whoami(become, "h1")
    assert status == Status.ERROR
    assert (
        summary == f"sudo -n refused for {sudo_user}: add a NOPASSWD sudoers rule, or drop become"
    )
