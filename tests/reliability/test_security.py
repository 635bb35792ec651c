"""The security claims of issue 9, each proved end to end through a real `maintd run`.

- A host whose SSH key changes is refused (UNREACHABLE naming the new key's fingerprint), an
  incident opens and reaches a webhook, known_hosts is left alone, and after the documented
  `ssh-keygen -R` + `maintd hosts trust` the runs recover and the incident resolves.
- Parameters full of shell metacharacters reach a check plugin and a `command:` task
  literally, with and without `become` (sudo), and no payload runs.
- Secrets (identity passphrases, notification URL credentials, given literally or through
  ``{env:}``/``{file:}``) appear in no byte maintd writes: its output, maintenance log,
  database, reports, CLI output, HTTP pages and notify datagrams.
- The database and its WAL companions are created 0600, the maintenance log 0640, their
  directories without world access, even under umask 000; `hosts trust` writes known_hosts
  0600; `report --out` follows the umask.
- The HTTP endpoint listens on 127.0.0.1 only unless another address is configured.
- maintd.service keeps the settings those modes rely on, at an exposure well under 2.0.

Figures for RELIABILITY.md are logged at INFO: run with ``-o log_cli=true --log-cli-level=INFO``.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import logging
import os
import re
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from maintd.store import DeliveryBook, IncidentBook, open_store
from tests.conftest import PLUGINS
from tests.daemon import Daemon, rows
from tests.fetch import fetch
from tests.sshd import SshdCluster, free_port, sshd_available
from tests.webhook import Webhook

log = logging.getLogger(__name__)

SUDOERS = Path("/etc/sudoers.d/maintd-test-security")  # its own file: other suites use theirs


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    server = Webhook()
    yield server
    server.close()


class Datagrams:
    """Every notify datagram a daemon sends, read by a thread so that none is lost."""

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.received: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError, OSError):
                self.received.append(self.daemon.notify.recv(65536).decode(errors="replace"))

    def wait_for(self, text: str, seconds: float = 20.0) -> None:
        wait_until(lambda: any(text in item for item in self.received), seconds, text)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)


def wait_until(condition: Callable[[], object], seconds: float, what: str) -> None:
    """Poll ``condition`` until it is true; fail naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"waited {seconds} s in vain for {what}")


def run_maintd(
    daemon: Daemon, *arguments: str, database: bool = True, umask: int = -1
) -> subprocess.CompletedProcess[str]:
    """`maintd ARGUMENTS [--db …] --config …`, whatever its exit code."""
    store = ["--db", str(daemon.database)] if database else []
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "maintd", *arguments, *store, "--config", str(daemon.calendar)],
        capture_output=True, text=True, timeout=60, check=False, umask=umask,
    )  # fmt: skip


def finished(daemon: Daemon, task: str, host: str) -> list[dict[str, Any]]:
    """The finished runs of (task, host), newest first."""
    return [
        row for row in rows(daemon)
        if (row["task"], row["host"]) == (task, host) and row["status"] != "RUNNING"
    ]  # fmt: skip


def incidents_of(daemon: Daemon) -> list[dict[str, Any]]:
    ledger = open_store(str(daemon.database))
    try:
        return IncidentBook(ledger.engine).listing(states=["open", "acknowledged", "resolved"])
    finally:
        ledger.close()


def fingerprint(public_key: Path) -> str:
    """``SHA256:…`` of a public key file, as ssh-keygen prints it."""
    done = subprocess.run(  # noqa: S603
        ["ssh-keygen", "-l", "-E", "sha256", "-f", str(public_key)],  # noqa: S607
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.split()[1]


# ---------------------------------------------------------------------------------------------
# 1. A changed host key


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
        refusal = run_maintd(daemon, "hosts", "trust", "h1", "--yes", database=False)
        assert refusal.returncode != 0
        assert f"ssh-keygen -R '{name}' -f {known_hosts}" in refusal.stderr
        assert known_hosts.read_bytes() == before
        subprocess.run(  # noqa: S603 - the documented way
            ["ssh-keygen", "-R", name, "-f", str(known_hosts)],  # noqa: S607
            check=True, capture_output=True,
        )  # fmt: skip
        before_trust = len(ok_runs(daemon))
        trusted = run_maintd(daemon, "hosts", "trust", "h1", "--yes", database=False)
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


# ---------------------------------------------------------------------------------------------
# 2. Shell metacharacters


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


# ---------------------------------------------------------------------------------------------
# 3. Secrets


PASSPHRASES = {
    "env": "pp-env-Q7xLm29Zt",  # defaults.ssh.passphrase: {env: …}
    "file": "pp-file-R4kWn81Yv",  # h2's passphrase: {file: …}
    "wrong": "pp-wrong-T5jHq63Xs",  # h3's {file: …} holds this, not its key's passphrase
    "h3": "pp-h3-V6cFp52Uq",  # h3's key's real passphrase, in no calendar
    "literal": "pp-literal-U2gBd47Wr",  # written into a calendar by mistake: refused
}
URL_SECRETS = {
    "literal": ("S3CRET-lit-A1b2C3", "tok-lit-D4e5F6g7", "hook-lit-W1x2Y3"),
    "env": ("S3CRET-env-H8i9J0", "tok-env-K1l2M3n4", "hook-env-Z4a5B6"),
    "file": ("S3CRET-file-O5p6Q7", "tok-file-R8s9T0u1", "hook-file-C7d8E9"),
    "dead": ("S3CRET-dead/x@y#1", "tok-dead-V2w3X4y5", "hook-dead-F1g2H3"),
    "garbled": ("S3CRET-garbled-J9k8", "tok-garbled-L7m6N5", "hook-garbled-P4q3"),
}


# Whatever shape a secret takes, no URL shown may carry a password or a token but "***"
# (a library that abbreviates one to its first and last character still gives them away).
URL_PASSWORD = re.compile(rb"[A-Za-z][\w+.\-]*://[^\s/@'\"]*:(?!\*\*\*@)[^\s/@'\"]+@")
URL_TOKEN = re.compile(rb"[?&]token=(?!\*\*\*)[^\s&'\"<]+")


def secret_url(port: int, password: str, token: str, path: str, scheme: str = "json") -> str:
    return f"{scheme}://ops:{quote(password, safe='')}@127.0.0.1:{port}/{path}?token={token}"


def secret_forms() -> dict[str, str]:
    """Every secret and the encodings it could leak in (URL-quoted, in a Basic auth header)."""
    forms: dict[str, str] = {}
    secrets = [*PASSPHRASES.values(), *(part for parts in URL_SECRETS.values() for part in parts)]
    for secret in secrets:
        forms[secret] = secret
        forms[f"quoted {secret}"] = quote(secret, safe="")
        forms[f"basic auth {secret}"] = base64.b64encode(f"ops:{secret}".encode()).decode()
    return forms


NOTIFYING_TASKS = """
severities: {critical: {respond: 1h, resolve: 4h}}
notify:
  literal: [LITERAL_URL]
  fromenv: [{env: MAINTD_TEST_NOTIFY_URL}]
  fromfile: [{file: URL_FILE}]
  dead: [DEAD_URL]
  garbled: [GARBLED_URL]
http: {listen: "127.0.0.1:HTTP_PORT"}
tasks:
  - {name: fine, check: test_status, hosts: [h1, h2, h3], schedule: {every: 1s}, catch_up: none}
  - {name: broken, check: test_status, hosts: [h1], schedule: {every: 1s}, catch_up: none,
     params: {code: CODE}, severity: critical}
"""


def locked_key(cluster: SshdCluster, path: Path, passphrase: str) -> Path:
    """A copy of the cluster's client key, encrypted with ``passphrase``."""
    path.write_bytes(cluster.client_key.read_bytes())
    path.chmod(0o600)
    subprocess.run(  # noqa: S603
        # One KDF round: the daemon decrypts the key at every connection (h3's, which fails,
        # at every fire), and the default 16 rounds cost a CPU-second each on a loaded box.
        ["ssh-keygen", "-q", "-p", "-a", "1", "-N", passphrase, "-P", "", "-f", str(path)],  # noqa: S607
        check=True,
    )  # fmt: skip
    return path


def secret_calendar(
    cluster: SshdCluster, directory: Path, webhook_port: int, http_port: int
) -> str:
    """A calendar whose hosts log in with encrypted keys and whose notify lists hold
    credentials, literally and through {env:}/{file:}."""
    secret_file = directory / "secret-file"
    secret_file.write_text(PASSPHRASES["file"] + "\n")
    wrong_file = directory / "wrong-file"
    wrong_file.write_text(PASSPHRASES["wrong"] + "\n")
    url_file = directory / "url-file"
    url_file.write_text(secret_url(webhook_port, *URL_SECRETS["file"]) + "\n")
    keys = {name: locked_key(cluster, directory / f"key-{name}", PASSPHRASES[name])
            for name in ("env", "file", "h3")}  # fmt: skip
    dead_port = free_port()  # nothing listens there: every delivery fails (and apprise cannot
    # even parse the garbled URL)
    tasks = (
        NOTIFYING_TASKS.replace("LITERAL_URL", secret_url(webhook_port, *URL_SECRETS["literal"]))
        .replace("DEAD_URL", secret_url(dead_port, *URL_SECRETS["dead"]))
        .replace("GARBLED_URL", secret_url(dead_port, *URL_SECRETS["garbled"], scheme="jsonx"))
        .replace("URL_FILE", str(url_file))
        .replace("HTTP_PORT", str(http_port))
    )
    text = cluster.calendar_text(tasks, plugin_dirs=[str(PLUGINS)])
    text = text.replace(
        f"identity: {cluster.client_key},",
        f"identity: {keys['env']}, passphrase: {{env: MAINTD_TEST_PASSPHRASE}},",
    ).replace(
        "defaults:\n", "defaults:\n  notify: [literal, fromenv, fromfile, dead, garbled]\n", 1
    )
    host_keys = {
        "h2": f"identity: {keys['file']}, passphrase: {{file: {secret_file}}}, ",
        "h3": f"identity: {keys['h3']}, passphrase: {{file: {wrong_file}}}, ",
    }
    for host, settings in host_keys.items():
        text = text.replace(f"  {host}: {{", f"  {host}: {{{settings}", 1)
    return text


def test_no_secret_appears_in_any_byte_maintd_writes(
    cluster: SshdCluster, tmp_path: Path, webhook: Webhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    http_port = free_port()
    good = secret_calendar(cluster, tmp_path, webhook.port, http_port)
    monkeypatch.setenv("MAINTD_TEST_PASSPHRASE", PASSPHRASES["env"])
    monkeypatch.setenv("MAINTD_TEST_NOTIFY_URL", secret_url(webhook.port, *URL_SECRETS["env"]))
    daemon = Daemon(tmp_path)
    daemon.calendar.write_text(good.replace("CODE", "2"))
    broken = tmp_path / "broken.yaml"  # a literal passphrase, and an error beside each secret
    broken.write_text(
        good.replace("CODE", "0")
        .replace("{env: MAINTD_TEST_PASSPHRASE}", json.dumps(PASSPHRASES["literal"]))
        .replace("fromenv: [{env:", "fromenv: [{envv:")
    )
    haystack: dict[str, bytes] = {}
    datagrams = Datagrams(daemon)
    try:
        daemon.start()
        datagrams.wait_for("READY=1")
        exercise_the_daemon(daemon, webhook)
        haystack.update(http_pages(daemon, http_port))
        daemon.calendar.write_text(good.replace("CODE", "0"))  # a reload that resolves it
        daemon.signal(signal.SIGHUP)
        webhook.wait_for("broken on h1: resolved")
        shutil.copy(broken, daemon.calendar)  # a reload that is refused
        daemon.signal(signal.SIGHUP)
        datagrams.wait_for("reload refused")
        assert daemon.stop() == 0
    finally:
        datagrams.close()
        daemon.close()
    daemon.calendar.write_text(good.replace("CODE", "0"))
    haystack.update(cli_outputs(daemon, broken))
    haystack.update(files_written(daemon))
    dump, table_rows, tables = database_dump(daemon.database)
    haystack["every row of every table"] = dump
    haystack["notify datagrams"] = "\n".join(datagrams.received).encode()
    # The bodies maintd posted (the path they were posted to is the test's own record).
    bodies = [
        {key: value for key, value in item.items() if key != "path"} for item in webhook.received
    ]
    haystack["webhook bodies"] = json.dumps(bodies).encode()
    found = leaks_in(haystack)
    assert not found, "\n".join(sorted(set(found)))
    assert b"passphrase: must not be written in the calendar" in haystack[f"validate {broken}"]
    assert f"json://127.0.0.1:{webhook.port}".encode() in haystack["every row of every table"]
    log.info(
        "secrets: %d secrets (%d forms) searched in %d places, %d bytes, %d rows of %d tables,"
        " %d datagrams: 0 found", len(PASSPHRASES) + 3 * len(URL_SECRETS), len(secret_forms()),
        len(haystack), sum(map(len, haystack.values())), table_rows, tables,
        len(datagrams.received),
    )  # fmt: skip


def leaks_in(haystack: dict[str, bytes]) -> list[str]:
    """Each secret form found, and each URL password or token not shown as ***, with where."""
    found = [
        f"{what} in {place}"
        for what, form in secret_forms().items()
        for place, data in haystack.items()
        if form.encode() in data
    ]
    return found + [
        f"{match.group().decode(errors='replace')!r} in {place}"
        for place, data in haystack.items()
        for pattern in (URL_PASSWORD, URL_TOKEN)
        for match in pattern.finditer(data)
    ]


def exercise_the_daemon(daemon: Daemon, webhook: Webhook) -> None:
    """Successes, failures, an incident notified to three lists, deliveries that fail."""
    for path in ("/hook-lit-W1x2Y3", "/hook-env-Z4a5B6", "/hook-file-C7d8E9"):
        webhook.wait_for("broken on h1: opened", path)
    wait_until(lambda: finished(daemon, "fine", "h2"), 20, "a run on h2")
    assert finished(daemon, "fine", "h1")[-1]["status"] == "OK"
    assert finished(daemon, "fine", "h2")[-1]["status"] == "OK"  # the {file:} passphrase
    wait_until(lambda: finished(daemon, "fine", "h3"), 20, "a run on h3")
    assert finished(daemon, "fine", "h3")[-1]["status"] == "ERROR"  # a wrong passphrase
    wait_until(
        lambda: {row["target"] for row in failed_deliveries(daemon)} == {"dead", "garbled"},
        20,
        "failed deliveries to the dead and the garbled URL",
    )


def failed_deliveries(daemon: Daemon) -> list[dict[str, Any]]:
    ledger = open_store(str(daemon.database))
    try:
        book = DeliveryBook(ledger.engine)
        return [row for row in book.listing() if row["attempts"] and row["last_error"]]
    finally:
        ledger.close()


def http_pages(daemon: Daemon, port: int) -> dict[str, bytes]:
    """The endpoint's pages: metrics, health, the dashboard, every incident, a run of each
    (task, host) and every failed run."""
    paths = ["/", "/metrics", "/healthz", "/readyz", "/?status=ERROR"]
    paths += [f"/incidents/{incident['id']}" for incident in incidents_of(daemon)]
    ledger = rows(daemon)
    latest = {(row["task"], row["host"]): row["id"] for row in reversed(ledger)}
    failed = [row["id"] for row in ledger if row["status"] not in ("OK", "RUNNING")][:50]
    paths += [f"/runs/{run_id}" for run_id in {*latest.values(), *failed}]
    pages = {}
    for path in paths:
        status, _headers, body = fetch(port, path)
        assert status in (200, 503), path
        pages[f"GET {path}"] = body
    return pages


def cli_outputs(daemon: Daemon, broken: Path) -> dict[str, bytes]:
    """What maintd's commands print about the run (stdout and stderr), each command with the
    exit code it must end with (3: h3's ERROR; 2: the broken calendar)."""
    incidents = [str(incident["id"]) for incident in incidents_of(daemon)]
    reading = [
        *(["report", "--period", "day", "--format", form] for form in ("md", "html", "json")),
        ["history", "--format", "json", "--limit", "100000"],
        ["incidents", "list", "--format", "json"],
        *(["incidents", "show", number] for number in incidents),
        *(["incidents", "postmortem", number] for number in incidents),
    ]
    commands = [(arguments, True, 0) for arguments in reading] + [
        (["log", "--format", "json", "--log-dir", str(daemon.logs)], False, 0),
        (["hosts", "check", "--format", "json"], False, 3),
        (["check", "fine", "--format", "json"], False, 3),
        (["validate", str(broken)], False, 2),
    ]

    def run(command: tuple[list[str], bool, int]) -> tuple[str, bytes]:
        arguments, database, exit_code = command
        done = run_maintd(daemon, *arguments, database=database)
        assert done.returncode == exit_code, (arguments, done.stderr)
        return " ".join(arguments), (done.stdout + done.stderr).encode()

    with ThreadPoolExecutor(max_workers=4) as pool:  # each is a second of Python start-up
        return dict(pool.map(run, commands))


def files_written(daemon: Daemon) -> dict[str, bytes]:
    """The daemon's output, its maintenance log files and the raw database files."""
    paths = [daemon.directory / "daemon.log", *sorted(daemon.logs.iterdir())]
    paths += [Path(f"{daemon.database}{suffix}") for suffix in ("", "-wal", "-shm")]
    return {str(path): path.read_bytes() for path in paths if path.exists()}


def database_dump(path: Path) -> tuple[bytes, int, int]:
    """(every row of every table as text, rows, tables)."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
        tables = [name for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")]  # fmt: skip
        lines = [
            f"{table}: {row!r}"
            for table in tables
            for row in connection.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - own names
        ]
    return "\n".join(lines).encode(), len(lines), len(tables)


# ---------------------------------------------------------------------------------------------
# 4. File modes


LOCAL_TASKS = f"""
timezone: UTC
plugin_dirs: [{PLUGINS}]
hosts:
  self: {{transport: local}}
tasks:
  - {{name: ok, check: test_status, hosts: [self], schedule: {{every: 1s}}, catch_up: none}}
"""


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def modes_of_a_fresh_daemon(directory: Path, umask: int) -> dict[str, int]:
    """Start `maintd run` under ``umask`` with a database and a log directory that do not
    exist yet (two levels deep each), and read the modes of what it created while it runs."""
    daemon = Daemon(directory)
    daemon.calendar.write_text(LOCAL_TASKS)
    daemon.database = directory / "state" / "maintd" / "maintd.db"
    daemon.logs = directory / "logs" / "maintd"
    previous = os.umask(umask)  # inherited by the daemon, and only by it
    try:
        daemon.start()
    finally:
        os.umask(previous)
    try:
        daemon.messages("READY=1")
        wal = Path(f"{daemon.database}-wal")
        wait_until(lambda: wal.exists() and any(daemon.logs.glob("*.log")), 20, "the files")
        modes = {
            "database": mode(daemon.database),
            "-wal": mode(wal),
            "-shm": mode(Path(f"{daemon.database}-shm")),
            "log file": mode(next(daemon.logs.glob("*.log"))),
            "state directory": mode(daemon.database.parent),
            "state parent": mode(daemon.database.parent.parent),
            "log directory": mode(daemon.logs),
            "log parent": mode(daemon.logs.parent),
        }
        assert daemon.stop() == 0
    finally:
        daemon.close()
    log.info("file modes under umask %03o: %s", umask, {k: f"{v:04o}" for k, v in modes.items()})
    return modes


@pytest.fixture(scope="module")
def fresh_daemon_modes(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[int], dict[str, int]]:
    """``modes_of_a_fresh_daemon`` for a umask, run once per umask for the module's tests."""
    return functools.cache(
        lambda umask: modes_of_a_fresh_daemon(tmp_path_factory.mktemp("modes"), umask)
    )


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077], ids=lambda umask: f"umask {umask:03o}")
def test_the_database_and_the_log_files_are_created_private_whatever_the_umask(
    fresh_daemon_modes: Callable[[int], dict[str, int]], umask: int
) -> None:
    modes = fresh_daemon_modes(umask)
    assert (modes["database"], modes["-wal"], modes["-shm"]) == (0o600, 0o600, 0o600)
    assert modes["log file"] == 0o640 & ~umask  # the group reads it; a stricter umask wins
    # The state directory: the group may enter (the CLI's readers), nobody else.
    assert (modes["state directory"], modes["state parent"]) == (0o750 & ~umask,) * 2


def test_the_log_directory_is_created_without_world_access(
    fresh_daemon_modes: Callable[[int], dict[str, int]],
) -> None:
    modes = fresh_daemon_modes(0o000)
    assert (modes["log directory"], modes["log parent"]) == (0o750, 0o750)


def test_hosts_trust_writes_known_hosts_0600_in_a_private_directory(
    cluster: SshdCluster, tmp_path: Path
) -> None:
    known_hosts = tmp_path / "ssh" / "maintd" / "known_hosts"  # nothing of it exists yet
    daemon = Daemon(tmp_path)
    daemon.calendar.write_text(
        cluster.calendar_text().replace(str(cluster.known_hosts), str(known_hosts))
    )
    daemon.close()  # only its paths are used
    done = run_maintd(daemon, "hosts", "trust", "h1", "--yes", database=False, umask=0)
    assert done.returncode == 0, done.stderr
    assert mode(known_hosts) == 0o600
    assert (mode(known_hosts.parent), mode(known_hosts.parent.parent)) == (0o700, 0o700)


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077], ids=lambda umask: f"umask {umask:03o}")
def test_report_out_gets_the_mode_the_umask_gives_any_new_file(tmp_path: Path, umask: int) -> None:
    # A report is written to be shared (a web server, a mail job) and holds no secret (see
    # above): like a shell redirection, it gets 0666 minus the umask, so a private umask keeps
    # it private.
    daemon = Daemon(tmp_path)
    daemon.close()  # only its paths are used
    daemon.calendar.write_text(LOCAL_TASKS)
    report = tmp_path / "report.md"
    done = run_maintd(daemon, "report", "--out", str(report), umask=umask)
    assert done.returncode == 0, done.stderr
    assert mode(report) == 0o666 & ~umask
    assert mode(daemon.database) == 0o600


# ---------------------------------------------------------------------------------------------
# 5. Where the HTTP endpoint listens

DEFAULT_HTTP_PORT = 9108


def listening(pid: int) -> set[tuple[str, int]]:
    """The (address, port) pairs process ``pid`` listens on over TCP, read from /proc."""
    inodes = set()
    for descriptor in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(descriptor)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    found = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                found.add(decode_address(fields[1]))
    return found


def decode_address(text: str) -> tuple[str, int]:
    """``0100007F:238C`` → ("127.0.0.1", 9108): /proc/net/tcp holds each 32-bit word of the
    address in the machine's (little-endian) byte order."""
    address, port = text.split(":")
    raw = bytes.fromhex(address)
    words = b"".join(raw[index : index + 4][::-1] for index in range(0, len(raw), 4))
    family = socket.AF_INET if len(words) == 4 else socket.AF_INET6
    return socket.inet_ntop(family, words), int(port, 16)


def refused(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=2):
            return False
    except ConnectionRefusedError:
        return True


def test_the_http_endpoint_listens_on_127_0_0_1_only_unless_told_otherwise(tmp_path: Path) -> None:
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", DEFAULT_HTTP_PORT)) == 0:
            pytest.skip(f"something already listens on the default port {DEFAULT_HTTP_PORT}")
    other = free_port()
    stages = [  # (the calendar's http:, where the daemon must listen then)
        ("http: {}", {("127.0.0.1", DEFAULT_HTTP_PORT)}),
        (f'http: {{listen: "127.0.0.3:{other}"}}', {("127.0.0.3", other)}),
        ("http: true", {("127.0.0.1", DEFAULT_HTTP_PORT)}),
        ("", set()),
    ]
    daemon = Daemon(tmp_path)
    daemon.calendar.write_text(LOCAL_TASKS + stages[0][0] + "\n")
    try:
        daemon.start()
        daemon.messages("READY=1")
        assert daemon.process is not None
        pid = daemon.process.pid
        for index, (setting, expected) in enumerate(stages):
            if index:
                daemon.calendar.write_text(LOCAL_TASKS + setting + "\n")
                daemon.signal(signal.SIGHUP)
            wait_until(lambda expected=expected: listening(pid) == expected, 15, setting)
            log.info("%s: listens on %s", setting or "no http", sorted(listening(pid)))
            if setting in ("http: {}", "http: true"):
                assert fetch(DEFAULT_HTTP_PORT, "/healthz")[0] in (200, 503)
                for elsewhere in ("127.0.0.2", "127.0.0.9"):  # other loopback addresses
                    assert refused(elsewhere, DEFAULT_HTTP_PORT), elsewhere
            if "127.0.0.3" in setting:
                assert refused("127.0.0.1", other)
        assert daemon.stop() == 0
    finally:
        daemon.close()
