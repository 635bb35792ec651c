"""What maintd creates on disk and where it listens, proved through real `maintd` processes
(issue 9).

- The database and its WAL companions are created 0600, the maintenance log 0640, their
  directories without world access, even under umask 000; `hosts trust` writes known_hosts
  0600 in a private directory; `report --out` follows the umask like any new file.
- The HTTP endpoint listens on 127.0.0.1 only unless another address is configured, and
  follows the calendar's ``http:`` across reloads.

(That maintd.service keeps the settings these modes rely on is proved by
tests/integration/test_systemd_unit.py.)

Figures for RELIABILITY.md are logged at INFO: run with ``-o log_cli=true --log-cli-level=INFO``.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import signal
import socket
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import PLUGINS
from tests.daemon import Daemon, run_cli
from tests.fetch import fetch
from tests.polling import wait_until
from tests.sshd import SshdCluster, free_port

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------
# File modes


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
    done = run_cli(daemon, "hosts", "trust", "h1", "--yes", database=False, umask=0)
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
    done = run_cli(daemon, "report", "--out", str(report), umask=umask)
    assert done.returncode == 0, done.stderr
    assert mode(report) == 0o666 & ~umask
    assert mode(daemon.database) == 0o600


# ---------------------------------------------------------------------------------------------
# Where the HTTP endpoint listens

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
