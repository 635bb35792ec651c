"""A real PostgreSQL server on loopback for the tests and benchmarks.

``PostgresServer(port).start()`` runs Debian's `initdb` into a fresh directory and starts
`postgres` on 127.0.0.1 at an unprivileged port as the `postgres` account (the server refuses
to run as root), with trust authentication for loopback connections only; ``stop()`` ends it
by the PID it wrote. Only 127.0.0.1 is ever listened on.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.sshd import free_port

ACCOUNT = "postgres"


def postgres_bin() -> Path | None:
    """The directory of the newest installed PostgreSQL server programs, if any."""
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"),
        key=lambda path: int(path.parent.parent.name),
    )
    return versions[-1].parent if versions else None


def postgres_available() -> str | None:
    """Why the real-PostgreSQL tests cannot run here, or None when they can."""
    if postgres_bin() is None:
        return "PostgreSQL server not installed (scripts/test installs postgresql as root)"
    if os.geteuid() != 0:
        return "starting PostgreSQL as its own account needs root"
    try:
        pwd.getpwnam(ACCOUNT)
    except KeyError:
        return f"no {ACCOUNT!r} account (Debian's postgresql package creates it)"
    return None


@dataclass
class PostgresServer:
    """One PostgreSQL instance on 127.0.0.1:``port``, superuser ``postgres``, no password."""

    port: int = field(default_factory=free_port)
    directory: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="maintd-pg-")))

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def url(self, database: str = "postgres", driver: str = "postgresql+psycopg") -> str:
        """A SQLAlchemy URL (``driver="postgresql"`` gives a libpq URL for psql/pg_dump)."""
        return f"{driver}://{ACCOUNT}@127.0.0.1:{self.port}/{database}"

    def start(self) -> PostgresServer:
        binaries = postgres_bin()
        assert binaries is not None
        account = pwd.getpwnam(ACCOUNT)
        # The account must reach its files: the directory is the only one made for it.
        os.chmod(self.directory, 0o755)  # noqa: S103 - postgres must enter it; nothing secret
        os.chown(self.directory, account.pw_uid, account.pw_gid)
        self._as_postgres(
            [str(binaries / "initdb"), "-D", str(self.data), "-U", ACCOUNT,
             "--auth-local=trust", "--auth-host=trust", "--no-sync", "-E", "UTF8",
             "--locale=C"]
        )  # fmt: skip
        self._as_postgres(
            [str(binaries / "pg_ctl"), "-D", str(self.data), "-l", str(self.directory / "log"),
             "-w", "-t", "60", "start",
             "-o", f"-h 127.0.0.1 -p {self.port} -k {self.directory} -c fsync=off"]
        )  # fmt: skip
        return self

    def sql(self, statement: str, database: str = "postgres") -> str:
        """Run ``statement`` with psql and return its unaligned output."""
        done = subprocess.run(  # noqa: S603
            ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
             self.url(database, driver="postgresql"), "-c", statement],
            capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        return done.stdout.strip()

    @contextlib.contextmanager
    def holding(self, statement: str, database: str) -> Iterator[None]:
        """Keep a second session open, inside a transaction that ran ``statement`` (e.g.
        LOCK TABLE t IN ACCESS EXCLUSIVE MODE), until the block ends."""
        session = subprocess.Popen(  # noqa: S603
            ["psql", "-X", "-q", "-A", "-t", self.url(database, driver="postgresql")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert session.stdin is not None and session.stdout is not None
        try:
            session.stdin.write(f"BEGIN; {statement}; SELECT 'held';\n")
            session.stdin.flush()
            answer = session.stdout.readline().strip()
            if answer != "held":
                raise RuntimeError(f"could not run {statement!r}: {answer!r}")
            yield
        finally:
            session.kill()  # the transaction ends with the session, and its locks
            session.communicate()

    def stop(self) -> None:
        pid_file = self.data / "postmaster.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().split()[0])
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGINT)  # PostgreSQL's "fast" shutdown
            deadline = time.monotonic() + 30
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.directory, ignore_errors=True)

    def _as_postgres(self, command: list[str]) -> None:
        subprocess.run(  # noqa: S603
            command, user=ACCOUNT, cwd=self.directory, capture_output=True, timeout=120,
            check=True,
        )  # fmt: skip


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
