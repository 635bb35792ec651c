"""A full disk under a running daemon: first under its database, then under its maintenance log.

Each case mounts a small tmpfs (root only), runs a real `maintd run` on it, fills the
filesystem with a filler file, then frees it. With the database full, the failure is reported
(the daemon's log, /readyz, the maintenance log), the daemon keeps scheduling, and once space
returns every fire that fell due meanwhile has its row — MISSED, saying the database could not
be written — with no gap and no duplicate, and `PRAGMA integrity_check` says ok. With the log
directory full, the fires are recorded as if nothing happened, and the log resumes saying how
many lines it lost.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import PLUGINS
from tests.daemon import Daemon, assert_no_gaps, integrity, rows, start
from tests.fetch import fetch
from tests.polling import wait_until
from tests.sshd import free_port

pytestmark = [
    pytest.mark.root,
    pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root"),
]
FULL_SECONDS = 6.0  # how long the disk stays full: several 1 s fires fall due meanwhile
DATABASE_FULL_REASON = "the database could not be written: database or disk is full"


def calendar(port: int) -> str:
    return (
        f"timezone: UTC\nplugin_dirs: [{PLUGINS}]\nhttp: {{listen: '127.0.0.1:{port}'}}\n"
        "hosts:\n  self: {transport: local}\n"
        "tasks:\n  - {name: tick, check: test_status, hosts: [self], schedule: {every: 1s}}\n"
    )


@contextlib.contextmanager
def small_tmpfs(directory: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``directory``, unmounted whatever happens."""
    directory.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(directory)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield directory
    finally:
        # Lazy: a daemon that outlived a failed test may still hold files open there.
        subprocess.run(["umount", "-l", str(directory)], check=False)


def fill(directory: Path) -> Path:
    """Write a filler file until the filesystem is full; return it."""
    filler = directory / "filler"
    fill_file(filler, b"\0")
    return filler


def fill_file(path: Path, byte: bytes) -> None:
    """Append ``byte`` to ``path`` until the filesystem refuses."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for chunk in (65536, 1):  # then byte by byte: the last partial block too
            with contextlib.suppress(OSError):
                while os.write(descriptor, byte * chunk):
                    pass
    finally:
        os.close(descriptor)


def wait_for(condition: Callable[[], object], seconds: float, what: str, daemon: Daemon) -> None:
    """Wait for ``condition``; fail at once, with the daemon's output, if the daemon dies."""

    def still_running() -> None:
        assert daemon.process is not None and daemon.process.poll() is None, daemon.output()

    wait_until(condition, seconds, lambda: f"{what} ({daemon.output()})", meanwhile=still_running)


def count_rows(daemon: Daemon) -> int:
    return len(rows(daemon))


def log_text(daemon: Daemon) -> str:
    return "\n".join(path.read_text(errors="replace") for path in sorted(daemon.logs.glob("*.log")))


def readyz(port: int) -> tuple[int, str]:
    status, _, body = fetch(port, "/readyz")
    return status, body.decode(errors="replace")


def record_figures(name: str, figures: dict[str, object]) -> None:
    """With $MAINTD_FIGURES set (a directory), write ``figures`` to NAME.json there."""
    directory = os.environ.get("MAINTD_FIGURES")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        (Path(directory) / f"{name}.json").write_text(json.dumps(figures, indent=1) + "\n")


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    made = Daemon(tmp_path)
    yield made
    made.close()


def test_a_full_database_disk_is_reported_and_every_fire_gets_its_row_once_space_returns(
    daemon: Daemon, tmp_path: Path
) -> None:
    port = free_port()
    daemon.calendar.write_text(calendar(port))
    with small_tmpfs(tmp_path / "state", "4m") as state:
        daemon.database = state / "maintd.db"
        start(daemon)
        wait_for(lambda: count_rows(daemon) >= 3, 10, "three rows", daemon)
        assert readyz(port)[0] == 200

        filler = fill(state)
        full_since = time.time()
        wait_for(lambda: "cannot write the ledger" in daemon.output(), 10, "the error", daemon)
        status, body = readyz(port)
        assert status == 503 and "database or disk is full" in body, (status, body)
        assert "ledger not writable (database or disk is full)" in log_text(daemon)
        frozen = count_rows(daemon)
        time.sleep(FULL_SECONDS)
        assert count_rows(daemon) == frozen, "rows written on a full disk?"
        filler.unlink()
        full_for = time.time() - full_since

        wait_for(lambda: "ledger takes writes again" in daemon.output(), 10, "recovery", daemon)
        wait_for(lambda: readyz(port)[0] == 200, 5, "ready again", daemon)
        recovered = count_rows(daemon)
        wait_for(lambda: count_rows(daemon) >= recovered + 2, 5, "new rows", daemon)
        daemon.signal(signal.SIGTERM)
        assert daemon.stop() == 0
        ledger = rows(daemon)
        assert integrity(daemon.database) == "ok"

    missed = [row for row in ledger if row["reason"] == DATABASE_FULL_REASON]
    # Every second of the full disk had its fire; the first and last may straddle the edges.
    assert len(missed) >= int(full_for) - 2, (len(missed), full_for)
    assert {row["status"] for row in missed} == {"MISSED"}
    assert {row["status"] for row in ledger} <= {"OK", "MISSED", "INTERRUPTED"}
    assert_no_gaps(daemon, ledger)
    assert "ledger writable again" in log_text(daemon)
    assert "Traceback" not in daemon.output()
    record_figures(
        "full_database_disk",
        {"seconds_full": round(full_for, 1), "fires_missed_while_full": len(missed),
         "reason": DATABASE_FULL_REASON, "rows": len(ledger), "integrity_check": "ok",
         "readyz_while_full": body.strip()},
    )  # fmt: skip


def test_a_full_log_directory_costs_log_lines_but_no_fire_and_the_log_says_so(
    daemon: Daemon, tmp_path: Path
) -> None:
    daemon.calendar.write_text(calendar(free_port()))
    with small_tmpfs(tmp_path / "logs", "1m") as logs:
        daemon.logs = logs
        start(daemon)
        wait_for(lambda: count_rows(daemon) >= 2, 10, "two rows", daemon)
        filler = fill(logs)
        for day in logs.glob("*.log"):  # the room left in the last page of the open file
            fill_file(day, b"#")
        wait_for(lambda: "cannot write the maintenance log" in daemon.output(), 10, "error", daemon)
        before = count_rows(daemon)
        time.sleep(FULL_SECONDS / 2)
        assert count_rows(daemon) >= before + 2, "fires stopped with the log full"
        filler.unlink()
        wait_for(lambda: "lines of this log could not be written" in log_text(daemon), 10,
                 "the log's account of its gap", daemon)  # fmt: skip
        assert daemon.stop() == 0
        text = log_text(daemon)
    ledger = rows(daemon)
    assert {row["status"] for row in ledger} <= {"OK", "INTERRUPTED"}, ledger
    assert_no_gaps(daemon, ledger)
    assert "Traceback" not in daemon.output()
    lost = [line for line in text.splitlines() if "could not be written" in line]
    record_figures(
        "full_log_directory",
        {"rows": len(ledger), "statuses": sorted({str(row["status"]) for row in ledger}),
         "log_says": lost[0].split("EVENT", 1)[1].strip()},
    )  # fmt: skip


@pytest.mark.slow
def test_a_database_disk_full_through_housekeeping_does_not_stop_the_daemon(
    daemon: Daemon, tmp_path: Path
) -> None:
    daemon.calendar.write_text(calendar(free_port()))
    with small_tmpfs(tmp_path / "state", "4m") as state:
        daemon.database = state / "maintd.db"
        start(daemon)
        wait_for(lambda: count_rows(daemon) >= 3, 10, "three rows", daemon)
        filler = fill(state)
        deadline = time.monotonic() + 75  # past the first housekeeping, 60 s after the start
        while time.monotonic() < deadline:
            assert daemon.process is not None and daemon.process.poll() is None, daemon.output()
            time.sleep(1)
        filler.unlink()
        wait_for(lambda: "ledger takes writes again" in daemon.output(), 10, "recovery", daemon)
        assert daemon.stop() == 0
        assert integrity(daemon.database) == "ok"
    assert_no_gaps(daemon, rows(daemon))
