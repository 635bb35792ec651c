"""backup_sqlite and db_optimise_sqlite run over SSH (as the plain test account) on real SQLite
files: a WAL database written by another process during the backup, free pages a VACUUM gives
back, a file damaged in the middle, and a write lock held by another process."""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import sqlite3
import subprocess
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from maintd.status import Status
from tests.checks.conftest import RunCheck
from tests.sshd import TEST_USER, SshdCluster

SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin:/bin") or "/usr/bin/python3"
STAMPED = "[0-9]" * 8 + "T" + "[0-9]" * 6 + "Z"


@pytest.fixture
def work(cluster: SshdCluster) -> Iterator[Path]:
    """A directory of the test account's (tmp_path sits under a 0700 root dir); whatever the
    test puts there is handed to the account by ``give``."""
    path = Path(tempfile.mkdtemp(prefix="maintd-sqlite-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def give(*paths: Path) -> None:
    """Hand files and directories (recursively) to the test account."""
    account = pwd.getpwnam(TEST_USER)
    for top in paths:
        for path in [top, *(top.rglob("*") if top.is_dir() else [])]:
            os.chown(path, account.pw_uid, account.pw_gid)


def make_database(path: Path, rows: int, *, wal: bool = False, payload: int = 200) -> None:
    with sqlite3.connect(path) as db:
        if wal:
            db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
        db.execute("CREATE INDEX items_payload ON items (payload)")
        db.executemany(
            "INSERT INTO items (payload) VALUES (?)",
            ((f"{i:08d}" + "x" * payload,) for i in range(rows)),
        )
    db.close()


def corrupt(path: Path) -> None:
    """Overwrite bytes in the middle of the file: inside a b-tree page, the header intact."""
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.seek(size // 2)
        handle.write(b"\xff" * 300)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def as_test_user(script: str, *args: str) -> subprocess.Popen[str]:
    """A python3 process of the test account's (so the -wal, -shm and -journal files it makes
    are the account's too), talking over stdin/stdout. The system python3: the account may
    not reach the virtualenv's interpreter."""
    return subprocess.Popen(
        [SYSTEM_PYTHON, "-c", textwrap.dedent(script), *args],
        user=TEST_USER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip


# --- backup_sqlite ----------------------------------------------------------------------------

# Commits one row at a time until the test closes its stdin, then says how many it wrote.
WRITER = """
    import select, sqlite3, sys
    db = sqlite3.connect(sys.argv[1], timeout=10)
    written = 0
    while True:
        with db:
            db.execute("INSERT INTO items (payload) VALUES ('written during the backup')")
        written += 1
        if written == 1:
            print("writing", flush=True)
        if select.select([sys.stdin], [], [], 0)[0]:  # the test closed stdin: stop
            break
    print(written, flush=True)
"""


def test_backup_of_a_wal_database_while_another_process_writes(
    run_check: RunCheck, work: Path
) -> None:
    source, dest = work / "app.sqlite3", work / "backups"
    make_database(source, 20000, wal=True)
    dest.mkdir()
    give(work)
    initial = 20000
    writer = as_test_user(WRITER, str(source))
    assert writer.stdout is not None and writer.stdin is not None
    try:
        assert writer.stdout.readline().strip() == "writing"
        checked = run_check("backup_sqlite", {"path": str(source), "dest": str(dest)})
    finally:
        rest, _ = writer.communicate("", timeout=10)  # closing its stdin stops it
    written = int(rest)
    assert writer.returncode == 0 and written > 1, "the writer should have kept writing"
    assert checked.status == Status.OK, checked
    [copy] = dest.glob(f"app-{STAMPED}.db")
    assert [path.name for path in dest.iterdir()] == [copy.name], "no temporary file left"
    assert copy.stat().st_mode & 0o077 == 0, "a copy holds all the data: owner only"
    assert checked.perfdata["backup_size_bytes"].value == copy.stat().st_size
    assert checked.perfdata["backup_duration_s"].value >= 0
    with sqlite3.connect(f"file:{copy}?mode=ro", uri=True) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",), "one file"
        count, highest = db.execute("SELECT count(*), max(id) FROM items").fetchone()
    db.close()
    # A consistent snapshot: every row up to some commit of the writer's, none missing.
    assert initial < count <= initial + written
    assert highest == count


def test_backup_keeps_the_newest_copies_and_only_its_own(run_check: RunCheck, work: Path) -> None:
    source, dest = work / "app.db", work / "backups"
    make_database(source, 10)
    dest.mkdir()
    older = [dest / f"app-2024010{day}T010000Z.db" for day in (1, 2, 3)]
    others = [dest / "other-20240101T010000Z.db", dest / "app-notes.txt"]
    for path in [*older, *others]:
        path.write_bytes(b"old")
    give(work)
    checked = run_check("backup_sqlite", {"path": str(source), "dest": str(dest), "keep": 2})
    assert checked.status == Status.OK, checked
    kept = sorted(dest.glob(f"app-{STAMPED}.db"))
    assert len(kept) == 2 and kept[0] == older[2], kept
    assert all(path.exists() for path in others)
    assert "2 pruned" in checked.summary


def test_backup_refuses_a_file_that_is_not_a_database(run_check: RunCheck, work: Path) -> None:
    source, dest = work / "notes.db", work / "backups"
    source.write_text("just some text, long enough to look like a header or two\n")
    dest.mkdir()
    give(work)
    checked = run_check("backup_sqlite", {"path": str(source), "dest": str(dest)})
    assert checked.status == Status.UNKNOWN, checked
    assert "is not a SQLite 3 database" in checked.summary
    assert list(dest.iterdir()) == []


def test_backup_into_a_missing_directory_is_critical_and_creates_nothing(
    run_check: RunCheck, work: Path
) -> None:
    source, dest = work / "app.db", work / "not-mounted" / "backups"
    make_database(source, 10)
    give(work)
    checked = run_check("backup_sqlite", {"path": str(source), "dest": str(dest)})
    assert checked.status == Status.CRITICAL, checked
    assert f"{dest} does not exist" in checked.summary
    assert checked.perfdata["backup_age_s"].value is None  # no copy ever made
    assert not dest.parent.exists()


def test_backup_of_a_damaged_database_is_critical_and_leaves_no_copy(
    run_check: RunCheck, work: Path
) -> None:
    source, dest = work / "app.db", work / "backups"
    make_database(source, 3000)
    corrupt(source)
    dest.mkdir()
    give(work)
    checked = run_check("backup_sqlite", {"path": str(source), "dest": str(dest)})
    assert checked.status == Status.CRITICAL, checked
    assert "integrity" in checked.summary or "malformed" in checked.summary, checked
    assert list(dest.iterdir()) == [], "a damaged copy is not kept, nor its temporary file"


# --- db_optimise_sqlite -----------------------------------------------------------------------


@pytest.mark.parametrize("wal", [False, True], ids=["rollback", "wal"])
def test_vacuum_gives_free_pages_back(run_check: RunCheck, work: Path, wal: bool) -> None:
    path = work / "app.db"
    make_database(path, 3000, wal=wal, payload=1000)
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM items WHERE id > 300")
    db.close()
    give(work)
    before = path.stat().st_size
    checked = run_check("db_optimise_sqlite", {"path": str(path), "vacuum": True})
    assert checked.status == Status.OK, checked
    assert "integrity ok, analyzed, vacuumed" in checked.summary
    perf = {label: datum.value for label, datum in checked.perfdata.items()}
    assert perf["freelist_pages"] > 0
    assert perf["db_size_bytes"] == before
    assert perf["db_size_after_bytes"] == path.stat().st_size < before / 4
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("SELECT count(*) FROM items").fetchone() == (300,)
    db.close()


def test_a_damaged_database_is_critical_and_left_untouched(run_check: RunCheck, work: Path) -> None:
    path = work / "app.db"
    make_database(path, 3000)
    corrupt(path)
    give(work)
    damaged = digest(path)
    checked = run_check("db_optimise_sqlite", {"path": str(path), "vacuum": True})
    assert checked.status == Status.CRITICAL, checked
    assert "integrity check failed" in checked.summary or "malformed" in checked.summary, checked
    assert digest(path) == damaged, "nothing is done to a damaged file"
    assert sorted(item.name for item in work.iterdir()) == ["app.db"]


def test_a_file_that_is_not_a_database_is_unknown(run_check: RunCheck, work: Path) -> None:
    path = work / "app.db"
    path.write_bytes(b"\x00not sqlite at all" * 100)
    give(work)
    checked = run_check("db_optimise_sqlite", {"path": str(path)})
    assert checked.status == Status.UNKNOWN, checked
    assert "is not a SQLite 3 database" in checked.summary


def test_a_database_another_process_is_writing_is_a_warning_after_busy_timeout(
    run_check: RunCheck, work: Path
) -> None:
    path = work / "app.db"
    make_database(path, 100)
    give(work)
    holder = as_test_user(
        """
        import sqlite3, sys
        db = sqlite3.connect(sys.argv[1], isolation_level=None)
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO items (payload) VALUES ('uncommitted')")
        print("held", flush=True)
        sys.stdin.read()  # until the test closes stdin
        """,
        str(path),
    )
    assert holder.stdout is not None and holder.stdin is not None
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        checked = run_check("db_optimise_sqlite", {"path": str(path), "busy_timeout": 0.5})
        elapsed = time.monotonic() - started
    finally:
        holder.communicate("", timeout=10)  # closing its stdin ends its transaction
    assert checked.status == Status.WARNING, checked
    assert "locked" in checked.summary and "integrity ok" in checked.summary, checked
    assert 0.5 <= elapsed < 15, "waits for the lock as long as asked, then gives up"
