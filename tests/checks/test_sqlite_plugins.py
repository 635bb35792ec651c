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


def default_name(source: Path) -> str:
    """backup_sqlite's name when the task gives none: the stem and 8 hex digits of the SHA-256
    of the host name and the absolute path (the SSH host is this machine)."""
    key = f"{os.uname().nodename}\n{os.path.abspath(source)}".encode()
    return f"{source.stem}-{hashlib.sha256(key).hexdigest()[:8]}"


def copies(dest: Path, name: str) -> list[Path]:
    return sorted(dest.glob(f"{name}-{STAMPED}.db"))


def stamps(seconds: int) -> list[str]:
    """The UTC timestamps a run may name its files with over the next ``seconds``."""
    now = time.time()
    return [time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now + offset)) for offset in range(seconds)]


# Holds an exclusive lock on a rollback-journal database (no reader gets in) until the test
# closes its stdin.
EXCLUSIVE_HOLDER = """
    import sqlite3, sys
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    db.execute("INSERT INTO items (payload) VALUES ('uncommitted')")
    print("held", flush=True)
    sys.stdin.read()
"""


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
    [copy] = copies(dest, default_name(source))
    assert copy.name.startswith("app-"), "the name starts with the file's stem"
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
    name = default_name(source)
    older = [dest / f"{name}-2024010{day}T010000Z.db" for day in (1, 2, 3)]
    # Another database's copies (one of them also called app.db, named by the stem alone).
    others = [dest / "other-20240101T010000Z.db", dest / "app-20240101T010000Z.db"]
    others.append(dest / "app-notes.txt")
    for path in [*older, *others]:
        path.write_bytes(b"old")
    give(work)
    checked = run_check("backup_sqlite", {"path": str(source), "dest": str(dest), "keep": 2})
    assert checked.status == Status.OK, checked
    kept = copies(dest, name)
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


def test_two_databases_with_one_file_name_keep_their_own_copies(
    run_check: RunCheck, work: Path
) -> None:
    """/srv/a/data.db and /srv/b/data.db backed up into one dest with keep 1: each run's
    retention must leave the other database's only copy alone."""
    first, second, dest = work / "a" / "data.db", work / "b" / "data.db", work / "backups"
    for source in (first, second):
        source.parent.mkdir()
        make_database(source, 10)
    dest.mkdir()
    give(work)
    for source in (first, second, first):
        checked = run_check("backup_sqlite", {"path": str(source), "dest": str(dest), "keep": 1})
        assert checked.status == Status.OK, checked
    names = {default_name(first), default_name(second)}
    assert len(names) == 2 and all(name.startswith("data-") for name in names), names
    for name in names:
        assert len(copies(dest, name)) == 1, sorted(path.name for path in dest.iterdir())
    assert len(list(dest.iterdir())) == 2


def test_an_explicit_name_is_used_as_it_is(run_check: RunCheck, work: Path) -> None:
    source, dest = work / "app.db", work / "backups"
    make_database(source, 10)
    dest.mkdir()
    give(work)
    checked = run_check("backup_sqlite", {"path": str(source), "dest": str(dest), "name": "ledger"})
    assert checked.status == Status.OK, checked
    assert [path.name for path in dest.iterdir()] == [copies(dest, "ledger")[0].name]


def test_a_source_still_locked_after_busy_timeout_is_critical(
    run_check: RunCheck, work: Path
) -> None:
    source, dest = work / "app.db", work / "backups"
    make_database(source, 100)
    dest.mkdir()
    give(work)
    holder = as_test_user(EXCLUSIVE_HOLDER, str(source))
    assert holder.stdout is not None and holder.stdin is not None
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        checked = run_check(
            "backup_sqlite",
            {"path": str(source), "dest": str(dest), "busy_timeout": 0.5},
            timeout="30s",
        )
        elapsed = time.monotonic() - started
    finally:
        holder.communicate("", timeout=10)
    assert checked.status == Status.CRITICAL, checked
    assert "still locked after 0.5 s" in checked.summary, checked
    assert elapsed < 15, "busy_timeout bounds the wait"
    assert list(dest.iterdir()) == [], "no partial copy left"


def test_a_run_stopped_by_its_deadline_removes_its_partial_copy(
    run_check: RunCheck, work: Path
) -> None:
    """maintd's deadline sends TERM while the copy waits for a lock: the plugin must unwind and
    remove its partial copy before the KILL that follows."""
    source, dest = work / "app.db", work / "backups"
    make_database(source, 100)
    dest.mkdir()
    give(work)
    holder = as_test_user(EXCLUSIVE_HOLDER, str(source))
    assert holder.stdout is not None and holder.stdin is not None
    try:
        assert holder.stdout.readline().strip() == "held"
        checked = run_check(
            "backup_sqlite",
            {"path": str(source), "dest": str(dest), "busy_timeout": 60},
            timeout="3s",
        )
    finally:
        holder.communicate("", timeout=10)
    assert checked.status not in (Status.OK, Status.WARNING), checked
    time.sleep(1)  # the remote process has had TERM and, at worst, KILL
    assert sorted(path.name for path in dest.iterdir()) == [], "no partial copy left"


def test_partial_copies_left_by_killed_runs_are_swept(run_check: RunCheck, work: Path) -> None:
    """A run killed outright (KILL) leaves its partial copy: the next run for that name
    removes it, and nothing of another name, another user or a live run."""
    source, dest = work / "app.db", work / "backups"
    make_database(source, 10)
    dest.mkdir()
    name = "app"
    stale_dir = dest / f".{name}-20240101T000000Z-k1ll3d_x.partial"
    stale_dir.mkdir()
    (stale_dir / f"{name}-20240101T000000Z.db").write_bytes(b"half a copy")
    (stale_dir / f"{name}-20240101T000000Z.db-journal").write_bytes(b"journal")
    legacy = [
        dest / f".{name}-20240102T000000Z.db.partial",
        dest / f".{name}-20240102T000000Z.db.partial-journal",
    ]
    for path in legacy:
        path.write_bytes(b"left by an older version")
    others = [dest / ".other-20240101T000000Z.db.partial", dest / ".other-notes"]
    for path in others:
        path.write_bytes(b"not ours")
    live = dest / f".{name}-20240103T000000Z-l1ve_run.partial"
    live.mkdir()
    give(work)
    foreign = dest / f".{name}-20240104T000000Z.db.partial"  # root's, not the account's
    foreign.write_bytes(b"someone else's")
    # A run still going holds the lock in its staging directory: left alone.
    holder = as_test_user(
        """
        import fcntl, os, sys
        fd = os.open(os.path.join(sys.argv[1], ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        print("held", flush=True)
        sys.stdin.read()
        """,
        str(live),
    )
    assert holder.stdout is not None and holder.stdin is not None
    try:
        assert holder.stdout.readline().strip() == "held"
        checked = run_check("backup_sqlite", {"path": str(source), "dest": str(dest), "name": name})
    finally:
        holder.communicate("", timeout=10)
    assert checked.status == Status.OK, checked
    left = sorted(path.name for path in dest.iterdir())
    expected = [path.name for path in [*others, live, foreign]] + [copies(dest, name)[0].name]
    assert left == sorted(expected)


def test_root_never_writes_through_a_symlink_placed_in_dest(
    run_check: RunCheck, work: Path
) -> None:
    """dest writable by another user, who places symlinks at every name the copy could be
    staged under: root's backup must not overwrite their target."""
    source, dest = work / "app.db", work / "backups"
    make_database(source, 50)
    victim = work / "victim.db"
    make_database(victim, 5)
    dest.mkdir()
    give(dest)  # the other user's directory
    account = pwd.getpwnam(TEST_USER)
    for stamp in stamps(30):
        link = dest / f".app-{stamp}.db.partial"
        link.symlink_to(victim)
        os.lchown(link, account.pw_uid, account.pw_gid)
    before = digest(victim)
    checked = run_check(
        "backup_sqlite", {"path": str(source), "dest": str(dest), "name": "app"}, where="ssh-root"
    )
    assert checked.status == Status.OK, checked
    assert digest(victim) == before, "the symlink's target is untouched"
    [copy] = copies(dest, "app")
    assert not copy.is_symlink() and copy.stat().st_uid == 0
    with sqlite3.connect(f"file:{copy}?mode=ro", uri=True) as db:
        assert db.execute("SELECT count(*) FROM items").fetchone() == (50,)
    db.close()


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


def test_an_empty_file_is_unknown_and_left_untouched(run_check: RunCheck, work: Path) -> None:
    """SQLite takes a 0-byte file for a new database: ANALYZE would make it one."""
    path = work / "app.db"
    path.touch()
    give(work)
    checked = run_check("db_optimise_sqlite", {"path": str(path), "vacuum": True})
    assert checked.status == Status.UNKNOWN, checked
    assert "empty" in checked.summary, checked
    assert path.stat().st_size == 0
    assert [item.name for item in work.iterdir()] == ["app.db"]


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
