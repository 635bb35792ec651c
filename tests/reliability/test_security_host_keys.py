"""A host whose SSH key changes, proved end to end through a real `maintd run` (issue 9).

The run against the changed key is refused (UNREACHABLE naming the new key's fingerprint), an
incident opens and reaches a webhook, known_hosts is left alone, `maintd hosts trust` refuses
while the old key is recorded and says what to do, and after the documented `ssh-keygen -R` +
`maintd hosts trust` the runs recover and the incident resolves.

Figures for RELIABILITY.md are logged at INFO: run with ``-o log_cli=true --log-cli-level=INFO``.
"""

from __future__ import annotations

import logging
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PLUGINS
from tests.daemon import Daemon, run_cli
from tests.polling import wait_until
from tests.reliability.security_helpers import finished, incidents_of
from tests.sshd import SshdCluster, sshd_available
from tests.webhook import Webhook

log = logging.getLogger(__name__)


def fingerprint(public_key: Path) -> str:
    """``SHA256:…`` of a public key file, as ssh-keygen prints it."""
    done = subprocess.run(  # noqa: S603
        ["ssh-keygen", "-l", "-E", "sha256", "-f", str(public_key)],  # noqa: S607
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.split()[1]


CHANGED_KEY_TASKS = """
severities: {critical: {respond: 1h, resolve: 4h}}
notify: {ops: [WEBHOOK]}
tasks:
  - {name: ping, check: test_status, hosts: [h1], schedule: {every: 1s}, severity: critical,
     catch_up: none, incidents: {attempts: 4}}
"""
# Four failures in a row open the incident: the fires that land while sshd restarts are
# refused (UNREACHABLE, "connection refused") and must not be the ones that open it.


@pytest.fixture
def lone_host(tmp_path: Path) -> Iterator[SshdCluster]:
    """One loopback SSH host of this test's own, whose key the test may change."""
    reason = sshd_available()
    if reason:
        pytest.skip(reason)
    host = SshdCluster(tmp_path / "sshd", hosts=1).start()
    yield host
    host.stop()


def replace_host_key(host: SshdCluster) -> None:
    """Restart the host's sshd, same address and port, with a new host key (a reinstall, or
    someone in the middle). The key is made first, to keep the restart short."""
    new_key = host.directory / "new_host_key"
    subprocess.run(  # noqa: S603
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(new_key)],  # noqa: S607
        check=True,
    )  # fmt: skip
    host.stop()
    new_key.replace(host.host_key)
    new_key.with_suffix(".pub").replace(host.host_key.with_suffix(".pub"))
    host.start()


def test_a_changed_host_key_is_refused_becomes_an_incident_and_trust_recovers(
    lone_host: SshdCluster, tmp_path: Path, webhook: Webhook
) -> None:
    known_hosts = tmp_path / "known_hosts"  # the daemon's own: the cluster rewrites its copy
    shutil.copy(lone_host.known_hosts, known_hosts)
    known_hosts.chmod(0o600)
    calendar = lone_host.calendar_text(
        CHANGED_KEY_TASKS.replace("WEBHOOK", webhook.url("ops")), plugin_dirs=[str(PLUGINS)]
    ).replace(str(lone_host.known_hosts), str(known_hosts))
    calendar = calendar.replace("defaults:\n", "defaults:\n  notify: [ops]\n", 1)
    (tmp_path / "daemon").mkdir()
    daemon = Daemon(tmp_path / "daemon")
    daemon.calendar.write_text(calendar)
    name = f"[127.0.0.2]:{lone_host.port}"
    before = known_hosts.read_bytes()
    try:
        daemon.start()
        daemon.messages("READY=1")
        wait_until(lambda: len(ok_runs(daemon)) >= 3, 20, "three OK runs")
        replace_host_key(lone_host)
        new_key = fingerprint(lone_host.host_key.with_suffix(".pub"))
        notice = webhook.wait_for("#1 ping on h1: opened", "/ops")
        (refused, *_) = [r for r in finished(daemon, "ping", "h1") if r["status"] == "UNREACHABLE"]
        changed = f"HOST KEY CHANGED for {name}: it offered ssh-ed25519 {new_key}"
        assert str(refused["summary"]).startswith(f"{changed} but {known_hosts} has ")
        assert notice["title"] == "[UNREACHABLE] #1 ping on h1: opened"
        assert changed in notice["message"]
        assert known_hosts.read_bytes() == before  # never rewritten by maintd
        # `hosts trust` refuses while the old key is recorded, and says what to do.
        refusal = run_cli(daemon, "hosts", "trust", "h1", "--yes", database=False)
        assert refusal.returncode != 0
        assert f"ssh-keygen -R '{name}' -f {known_hosts}" in refusal.stderr
        assert known_hosts.read_bytes() == before
        subprocess.run(  # noqa: S603 - the documented way
            ["ssh-keygen", "-R", name, "-f", str(known_hosts)],  # noqa: S607
            check=True, capture_output=True,
        )  # fmt: skip
        before_trust = len(ok_runs(daemon))
        trusted = run_cli(daemon, "hosts", "trust", "h1", "--yes", database=False)
        assert trusted.returncode == 0, trusted.stderr
        assert f"{name} offers ssh-ed25519 {new_key}" in trusted.stdout
        webhook.wait_for("#1 ping on h1: resolved", "/ops")
        assert len(ok_runs(daemon)) > before_trust
        assert daemon.stop() == 0
    finally:
        daemon.close()
    (incident,) = incidents_of(daemon)
    assert (incident["title"], incident["state"]) == ("ping on h1: UNREACHABLE", "resolved")
    assert stat.S_IMODE(known_hosts.stat().st_mode) == 0o600
    log.info("changed host key: %s refused, incident #1 opened and resolved after trust", new_key)


def ok_runs(daemon: Daemon) -> list[dict[str, Any]]:
    return [row for row in finished(daemon, "ping", "h1") if row["status"] == "OK"]
