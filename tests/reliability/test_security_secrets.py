"""Secrets never leak, proved end to end through a real `maintd run` (issue 9).

Identity passphrases and notification URL credentials, given literally or through
``{env:}``/``{file:}``, appear in no byte maintd writes: its output, maintenance log, database
(every row of every table, and the raw files), reports, CLI output, HTTP pages, webhook bodies
and notify datagrams; nor does any URL it shows carry a password or token other than ``***``.
A passphrase written literally into a calendar is refused.

Figures for RELIABILITY.md are logged at INFO: run with ``-o log_cli=true --log-cli-level=INFO``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import re
import shutil
import signal
import sqlite3
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from maintd.store import DeliveryBook, open_store
from tests.conftest import PLUGINS
from tests.daemon import Daemon, rows, run_cli
from tests.fetch import fetch
from tests.polling import wait_until
from tests.reliability.security_helpers import finished, incidents_of
from tests.sshd import SshdCluster, free_port
from tests.webhook import Webhook

log = logging.getLogger(__name__)


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
        done = run_cli(daemon, *arguments, database=database)
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
