"""Parameters full of shell metacharacters, proved end to end through a real `maintd run`
(issue 9): they reach a check plugin (as MAINTD_P* variables) and a `command:` task (as argv)
literally, with and without `become` (sudo), and none of the payloads runs.

Figures for RELIABILITY.md are logged at INFO: run with ``-o log_cli=true --log-cli-level=INFO``.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.daemon import Daemon
from tests.polling import wait_until
from tests.reliability.security_helpers import finished
from tests.sshd import SshdCluster

log = logging.getLogger(__name__)

SUDOERS = Path("/etc/sudoers.d/maintd-test-security")  # its own file: other suites use theirs


def payloads(canary: str) -> list[str]:
    """Parameter values a shell would act on; each would create ``canary``.N if it ran."""
    return [
        f"$(touch {canary}.1)",
        f"`touch {canary}.2`",
        f"x; touch {canary}.3",
        f"x | touch {canary}.4",
        f"x && touch {canary}.5 &",
        f"'; touch {canary}.6; echo '",
        f'"; touch {canary}.7; echo "',
        f"line one\ntouch {canary}.8\nline three",
        f"> {canary}.9 < /etc/passwd",
        "*",
        "-rf",
        "--help",
        "$HOME ${PATH} \\$ \\\\ %s %n",
        "日本語 ünïcödé ☃ 🚀",
        "MAINTD_PLUGIN_0\nEOF\n'EOF'",
        "  spaced  \t tab ",
    ]


ECHO_PLUGIN = """#!/usr/bin/env python3
# ---
# name: sec_echo
# summary: Writes its parameters back in hex, with the user it runs as
# params:
{params}
# ---
import os
import pwd

names = sorted((n for n in os.environb if n.startswith(b"MAINTD_P")), key=lambda n: int(n[8:]))
print("ECHO", pwd.getpwuid(os.getuid()).pw_name, len(names))
for name in names:
    print(name.decode(), os.environb[name].hex())
"""

ARGV_SCRIPT = (
    "import os, pwd, sys; print('ARGV', pwd.getpwuid(os.getuid()).pw_name, len(sys.argv) - 1)"
    "\nfor i, a in enumerate(sys.argv[1:]): print(f'MAINTD_P{i}', os.fsencode(a).hex())"
)


def metacharacter_calendar(cluster: SshdCluster, plugins: Path, values: list[str]) -> str:
    header = "\n".join(
        f"#   p{index}: {{type: str, required: true}}" for index in range(len(values))
    )
    (plugins / "sec_echo").write_text(ECHO_PLUGIN.format(params=header))
    (plugins / "sec_echo").chmod(0o755)
    params = ", ".join(
        f"p{index}: {json.dumps(value, ensure_ascii=False)}" for index, value in enumerate(values)
    )
    argv = ", ".join(
        json.dumps(word, ensure_ascii=False)
        for word in ["/usr/bin/python3", "-c", ARGV_SCRIPT, *values]
    )
    tasks = ["tasks:"]
    for become in ("false", "true"):
        schedule = "schedule: {every: 2s}, catch_up: none, incidents: {attempts: 100}"
        tasks.append(
            f"  - {{name: check-{become}, check: sec_echo, hosts: [h5], {schedule}, "
            f"become: {become}, params: {{{params}}}}}"
        )
        tasks.append(
            f"  - {{name: command-{become}, command: [{argv}], hosts: [h5], {schedule}, "
            f"become: {become}}}"
        )
    return cluster.calendar_text("\n".join(tasks) + "\n", plugin_dirs=[str(plugins)])


@pytest.fixture
def sudo_rule(cluster: SshdCluster) -> Iterator[None]:
    if not Path("/usr/bin/sudo").exists():
        pytest.skip("sudo not installed (scripts/test installs it as root)")
    SUDOERS.write_text(f"{cluster.user} ALL=(root) NOPASSWD: ALL\n")
    SUDOERS.chmod(0o440)
    yield
    SUDOERS.unlink(missing_ok=True)


def decode_echo(output: str) -> tuple[str, list[str]]:
    """(user, values) from the lines the echo plugin or script printed."""
    lines = output.splitlines()
    user = lines[0].split()[1]
    values = [bytes.fromhex(line.split()[1] if len(line.split()) > 1 else "").decode()
              for line in lines[1:] if line.startswith("MAINTD_P")]  # fmt: skip
    return user, values


def test_shell_metacharacters_in_params_arrive_literally_through_the_daemon(
    cluster: SshdCluster, tmp_path: Path, sudo_rule: None
) -> None:
    canary = f"/tmp/maintd-canary-{uuid.uuid4().hex}"  # noqa: S108 - the hosts' account writes it
    values = payloads(canary)
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    daemon = Daemon(tmp_path)
    daemon.calendar.write_text(metacharacter_calendar(cluster, plugins, values))
    tasks = [f"{kind}-{become}" for kind in ("check", "command") for become in ("false", "true")]
    try:
        daemon.start()
        daemon.messages("READY=1")
        wait_until(lambda: all(finished(daemon, task, "h5") for task in tasks), 30, "every task")
        assert daemon.stop() == 0
    finally:
        daemon.close()
    for task in tasks:
        run = finished(daemon, task, "h5")[-1]
        assert run["status"] == "OK", run
        user, received = decode_echo(f"{run['summary']}\n{run['output']}")
        assert user == ("root" if task.endswith("true") else cluster.user), task
        assert received == values, task
    assert list(Path("/tmp").glob(Path(canary).name + "*")) == []
    log.info(
        "metacharacters: %d payloads x %d tasks arrived literally, no canary",
        len(values),
        len(tasks),
    )
