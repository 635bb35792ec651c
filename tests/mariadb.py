"""A real MariaDB server on loopback for the tests.

``MariaDbServer().start()`` runs Debian's `mariadb-install-db` into a fresh data directory and
starts `mariadbd` on 127.0.0.1 at a free port as the `mysql` account, with its own socket, pid
file and error log in that directory and no option file read (``--no-defaults``: the host's
/etc/mysql never leaks in). root reaches it through the socket without a password; tests add
the accounts they need with ``sql``. ``stop()`` ends it by the PID it was started with and
removes the directory. Only 127.0.0.1 is ever listened on.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import select
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.sshd import free_port

ACCOUNT = "mysql"
SERVER = "/usr/sbin/mariadbd"
INSTALL_DB = "/usr/bin/mariadb-install-db"
START_TIMEOUT_S = 60
LOCK_TIMEOUT_S = 30


def client_path() -> str | None:
    """The command-line client, by either of its names."""
    return shutil.which("mariadb") or shutil.which("mysql")


def mariadb_available() -> str | None:
    """Why the real-MariaDB tests cannot run here, or None when they can."""
    if not Path(SERVER).exists() or not Path(INSTALL_DB).exists():
        return "MariaDB server not installed (scripts/test installs mariadb-server as root)"
    if client_path() is None:
        return "MariaDB client not installed (mariadb-client)"
    if os.geteuid() != 0:
        return "starting MariaDB as its own account needs root"
    try:
        pwd.getpwnam(ACCOUNT)
    except KeyError:
        return f"no {ACCOUNT!r} account (Debian's mariadb-server package creates it)"
    return None


def sql_literal(text: str) -> str:
    """A MariaDB string literal (backslashes are escapes in the default sql_mode)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


@dataclass
class MariaDbServer:
    """One MariaDB instance on 127.0.0.1:``port``; root over ``socket`` without a password."""

    port: int = field(default_factory=free_port)
    directory: Path = field(
        default_factory=lambda: Path(tempfile.mkdtemp(prefix="maintd-mariadb-"))
    )
    process: subprocess.Popen[bytes] | None = None

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def socket(self) -> Path:
        return self.directory / "mariadb.sock"

    @property
    def log(self) -> Path:
        return self.directory / "error.log"

    def start(self) -> MariaDbServer:
        account = pwd.getpwnam(ACCOUNT)
        # The server drops to `mysql` and must reach its socket, pid and log files here.
        os.chmod(self.directory, 0o755)  # noqa: S103 - mysql must enter it; nothing secret
        os.chown(self.directory, account.pw_uid, account.pw_gid)
        subprocess.run(
            [INSTALL_DB, "--no-defaults", f"--datadir={self.data}", f"--user={ACCOUNT}",
             "--auth-root-authentication-method=normal", "--skip-test-db"],
            capture_output=True, timeout=120, check=True,
        )  # fmt: skip
        # Small buffers and no durability: throw-away data on a shared two-core machine.
        self.process = subprocess.Popen(
            [SERVER, "--no-defaults", f"--datadir={self.data}", f"--user={ACCOUNT}",
             "--bind-address=127.0.0.1", f"--port={self.port}", f"--socket={self.socket}",
             f"--pid-file={self.directory / 'mariadbd.pid'}", f"--log-error={self.log}",
             f"--tmpdir={self.directory}", "--skip-name-resolve", "--performance-schema=OFF",
             "--innodb-buffer-pool-size=64M", "--innodb-log-file-size=48M",
             "--innodb-flush-log-at-trx-commit=0", "--skip-innodb-doublewrite",
             "--innodb-file-per-table=ON", "--max-connections=30"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"mariadbd exited at start: {self._log_tail()}")
            if self.socket.exists() and self._answers():
                return self
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"mariadbd did not answer in {START_TIMEOUT_S} s")
            time.sleep(0.1)

    def root_command(self, database: str | None = None) -> list[str]:
        """The client as root over the socket: batch mode, no column names."""
        client = client_path()
        assert client is not None
        command = [client, "--no-defaults", f"--socket={self.socket}", "--user=root",
                   "--batch", "--skip-column-names"]  # fmt: skip
        return [*command, database] if database else command

    def sql(self, statements: str, database: str | None = None) -> str:
        """Run ``statements`` as root and return the output (tab-separated rows)."""
        done = subprocess.run(
            self.root_command(database), input=statements, capture_output=True, text=True,
            timeout=120, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"SQL failed: {done.stderr.strip()}\n{statements}")
        return done.stdout.strip()

    @contextlib.contextmanager
    def holding(self, lock_statement: str) -> Iterator[None]:
        """Keep a second session open holding ``lock_statement`` (e.g. LOCK TABLES t WRITE)
        until the block ends; its locks go with the session."""
        # --unbuffered: each result is written as it comes, not when the session ends.
        session = subprocess.Popen(
            [*self.root_command(), "--unbuffered"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        assert session.stdin is not None and session.stdout is not None
        try:
            # The marker comes back only once the lock is granted.
            session.stdin.write(f"{lock_statement};\nSELECT 'locked';\n")
            session.stdin.flush()
            ready, _, _ = select.select([session.stdout], [], [], LOCK_TIMEOUT_S)
            line = session.stdout.readline().strip() if ready else "no answer"
            if line != "locked":
                raise RuntimeError(f"could not take the lock: {line!r}")
            yield
        finally:
            session.stdin.close()  # end of input ends the session and releases its locks
            try:
                session.wait(timeout=30)
            except subprocess.TimeoutExpired:
                session.kill()
                session.wait()
            session.stdout.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # a clean shutdown
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)

    def _answers(self) -> bool:
        done = subprocess.run(
            [*self.root_command(), "--connect-timeout=2", "-e", "SELECT 1"],
            capture_output=True, timeout=30, check=False,
        )  # fmt: skip
        return done.returncode == 0

    def _log_tail(self) -> str:
        try:
            return " / ".join(self.log.read_text(errors="replace").splitlines()[-5:])
        except OSError:
            return "no error log"
