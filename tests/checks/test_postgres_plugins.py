"""backup_postgres and db_optimise_postgres run over SSH (as the plain test account) against a
real PostgreSQL server: real dumps, real restores, real bloat and a real lock held by another
session."""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from maintd.status import Status
from tests.checks.conftest import Checked, RunCheck
from tests.postgres import PostgresServer
from tests.sshd import TEST_USER, SshdCluster, free_port

STAMPED = "[0-9]" * 8 + "T" + "[0-9]" * 6 + "Z"


@pytest.fixture
def database(postgres: PostgresServer) -> Iterator[str]:
    """A fresh, empty database, dropped afterwards (with whatever the test left connected)."""
    name = f"maintd_t_{secrets.token_hex(4)}"
    postgres.sql(f'CREATE DATABASE "{name}"')
    yield name
    postgres.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    postgres.sql(f'DROP DATABASE IF EXISTS "{name}_restore_drill" WITH (FORCE)')


@pytest.fixture
def dest(cluster: SshdCluster) -> Iterator[Path]:
    """An empty directory the test account may write (tmp_path sits under a 0700 root dir)."""
    path = Path(tempfile.mkdtemp(prefix="maintd-pgdump-"))
    account = pwd.getpwnam(TEST_USER)
    os.chown(path, account.pw_uid, account.pw_gid)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def connection(postgres: PostgresServer) -> dict[str, object]:
    return {"db_host": "127.0.0.1", "db_port": postgres.port, "db_user": "postgres"}


Backup = Callable[..., Checked]


@pytest.fixture
def backup(run_check: RunCheck, postgres: PostgresServer, database: str, dest: Path) -> Backup:
    """backup_postgres of the test's database into the test's dest, with more ``params``."""

    def run(where: str = "ssh", **params: object) -> Checked:
        task = {"database": database, "dest": str(dest), **connection(postgres), **params}
        return run_check("backup_postgres", task, where=where)

    return run


def fill(postgres: PostgresServer, database: str) -> dict[str, int]:
    """A few tables (one with awkward names) and rows; returns the row count of each."""
    postgres.sql(
        """
        CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL);
        INSERT INTO customers (name) SELECT 'c' || i FROM generate_series(1, 250) i;
        CREATE TABLE orders (id serial PRIMARY KEY, customer int REFERENCES customers,
                             total numeric);
        INSERT INTO orders (customer, total)
            SELECT 1 + i % 250, i * 1.5 FROM generate_series(1, 1200) i;
        CREATE SCHEMA "Odd Schema";
        CREATE TABLE "Odd Schema"."line items" (sku text, qty int);
        INSERT INTO "Odd Schema"."line items" SELECT 's' || i, i FROM generate_series(1, 37) i;
        CREATE TABLE empty_one (x int);
        """,
        database,
    )
    return {
        "public.customers": 250,
        "public.orders": 1200,
        '"Odd Schema"."line items"': 37,
        "public.empty_one": 0,
    }


def dumps(directory: Path, base: str) -> list[Path]:
    return sorted(directory.glob(f"{base}-{STAMPED}.dump"))


def with_password(postgres: PostgresServer, database: str, form: str) -> str:
    """``database`` as a conninfo or a URI that carries a password (trust authentication
    ignores it, so a plugin that did not refuse it would succeed)."""
    if form == "conninfo":
        return (
            f"host=127.0.0.1 port={postgres.port} user=postgres password=S3cret dbname={database}"
        )
    return f"postgresql://postgres:S3cret@127.0.0.1:{postgres.port}/{database}"


def stamps(seconds: int) -> list[str]:
    """The UTC timestamps a run may name its files with over the next ``seconds``."""
    now = time.time()
    return [time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now + offset)) for offset in range(seconds)]


def database_exists(postgres: PostgresServer, name: str) -> bool:
    query = f"SELECT count(*) FROM pg_database WHERE datname = '{name}'"  # noqa: S608 - test names
    return postgres.sql(query) == "1"


# --- backup_postgres --------------------------------------------------------------------------


def test_backup_writes_a_verified_dump_that_pg_restore_lists(
    postgres: PostgresServer, database: str, dest: Path, backup: Backup
) -> None:
    fill(postgres, database)
    checked = backup()
    assert checked.status == Status.OK, checked
    [dump] = dumps(dest, database)
    assert dump.stat().st_uid == pwd.getpwnam(TEST_USER).pw_uid
    assert dump.stat().st_mode & 0o077 == 0, "a dump holds all the data: owner only"
    assert checked.perfdata["backup_size_bytes"].value == dump.stat().st_size > 0
    assert checked.perfdata["backup_age_s"].value == 0
    assert "restore_duration_s" not in checked.perfdata  # no drill, no RTO claimed
    listing = subprocess.run(
        ["pg_restore", "--list", str(dump)], capture_output=True, text=True, check=True
    ).stdout
    for table in ("public customers", "public orders", "public empty_one", "line items"):
        assert f"TABLE DATA {table}" in listing or table in listing, listing
    assert "TABLE DATA public customers" in listing, listing
    assert [path.name for path in dest.iterdir()] == [dump.name], "no temporary file left"


def test_backup_keeps_the_newest_dumps_and_only_its_own(
    postgres: PostgresServer, database: str, dest: Path, backup: Backup
) -> None:
    fill(postgres, database)
    older = [dest / f"{database}-2024010{day}T010000Z.dump" for day in (1, 2, 3)]
    others = [dest / "other-20240101T010000Z.dump", dest / "notes.txt"]
    for path in [*older, *others]:
        path.write_bytes(b"old")
    checked = backup(keep=2)
    assert checked.status == Status.OK, checked
    kept = dumps(dest, database)
    assert len(kept) == 2, kept
    assert kept[0] == older[2], "the newest older dump stays, the two oldest go"
    assert all(path.exists() for path in others), "other databases' files are not touched"
    assert "2 pruned" in checked.summary


def test_backup_of_an_unreachable_server_fails_cleanly(
    run_check: RunCheck, dest: Path, database: str
) -> None:
    closed = free_port()  # nothing listens there
    checked = run_check(
        "backup_postgres",
        {"database": database, "dest": str(dest), "db_host": "127.0.0.1", "db_port": closed},
    )
    assert checked.status in (Status.CRITICAL, Status.UNKNOWN), checked
    assert "pg_dump" in checked.summary and "failed" in checked.summary, checked
    assert "connect" in checked.summary.lower() or "refused" in checked.summary.lower(), checked
    assert list(dest.iterdir()) == [], "no half-written dump is left behind"


def test_backup_refuses_a_database_name_that_would_need_changing(
    run_check: RunCheck, postgres: PostgresServer, database: str, dest: Path
) -> None:
    """ "my db" and "my_db" would both be dumped as my_db-*.dump, each task pruning the
    other's dumps: such a name needs an explicit `name`."""
    checked = run_check(
        "backup_postgres",
        {"database": f"{database} x", "dest": str(dest), **connection(postgres)},
    )
    assert checked.status == Status.UNKNOWN, checked
    assert "set name" in checked.summary, checked
    assert list(dest.iterdir()) == []


def test_tasks_with_distinct_names_keep_their_own_dumps_in_a_shared_dest(
    run_check: RunCheck, postgres: PostgresServer, database: str, dest: Path
) -> None:
    """One database name on two servers (here: reached by name and by a conninfo, with a
    name each) dumped into one dest with keep 1: neither prunes the other's only dump."""
    fill(postgres, database)
    conninfo = f"host=127.0.0.1 port={postgres.port} user=postgres dbname={database}"
    tasks = [
        {"database": database, "name": "app-db1", **connection(postgres)},
        {"database": conninfo, "name": "app-db2"},
    ]
    for task in [*tasks, tasks[0]]:
        checked = run_check("backup_postgres", {**task, "dest": str(dest), "keep": 1})
        assert checked.status == Status.OK, checked
    assert len(dumps(dest, "app-db1")) == 1 and len(dumps(dest, "app-db2")) == 1
    assert len(list(dest.iterdir())) == 2
    # A conninfo says nothing a file could be named by: without a name it is refused.
    checked = run_check("backup_postgres", {"database": conninfo, "dest": str(dest)})
    assert checked.status == Status.UNKNOWN and "set name" in checked.summary, checked


@pytest.mark.parametrize(
    "case",
    [(check, form) for check in ("backup_postgres", "db_optimise_postgres")
     for form in ("conninfo", "uri")],
    ids="-".join,
)  # fmt: skip
def test_a_database_carrying_a_password_is_refused_and_never_shown(
    run_check: RunCheck,
    postgres: PostgresServer,
    database: str,
    dest: Path,
    case: tuple[str, str],
) -> None:
    check, form = case
    params: dict[str, object] = {"database": with_password(postgres, database, form)}
    if check == "backup_postgres":
        params["dest"] = str(dest)
    checked = run_check(check, params)
    assert checked.status == Status.UNKNOWN, checked
    assert "PGPASSFILE" in checked.summary and ".pgpass" in checked.summary, checked
    assert "S3cret" not in checked.stdout + checked.stderr, checked
    assert list(dest.iterdir()) == []


def test_backup_as_root_never_writes_through_a_symlink_placed_in_dest(
    postgres: PostgresServer, database: str, dest: Path, backup: Backup
) -> None:
    """dest belongs to another user, who places symlinks at every name the dump could be
    staged under: root's pg_dump must not overwrite their target."""
    fill(postgres, database)
    victims = Path(tempfile.mkdtemp(prefix="maintd-victim-"))
    try:
        victim = victims / "precious"
        victim.write_bytes(b"root's own data\n")
        account = pwd.getpwnam(TEST_USER)
        for stamp in stamps(30):
            link = dest / f".{database}-{stamp}.dump.partial"
            link.symlink_to(victim)
            os.lchown(link, account.pw_uid, account.pw_gid)
        checked = backup(where="ssh-root")
        assert victim.read_bytes() == b"root's own data\n", "the symlink's target is untouched"
    finally:
        shutil.rmtree(victims)
    assert checked.status == Status.OK, checked
    [dump] = dumps(dest, database)
    assert not dump.is_symlink() and dump.stat().st_size > 0


def test_restore_drill_restores_compares_and_drops_its_scratch_database(
    postgres: PostgresServer, database: str, dest: Path, backup: Backup
) -> None:
    counts = fill(postgres, database)
    # A stale scratch database from an interrupted drill (it carries the drill's marker).
    scratch = f"{database}_restore_drill"
    postgres.sql(f'CREATE DATABASE "{scratch}"')
    postgres.sql(
        f"COMMENT ON DATABASE \"{scratch}\" IS 'maintd restore drill scratch database for x'"
    )
    older = dest / f"{database}-20240101T010000Z.dump"
    older.write_bytes(b"old")
    checked = backup(keep=1, restore_drill=True)
    assert checked.status == Status.OK, checked
    assert checked.perfdata["restore_duration_s"].value > 0
    assert f"{len(counts)} tables, {sum(counts.values())} rows match" in checked.summary
    assert not database_exists(postgres, scratch), "the scratch database is dropped"
    assert not older.exists(), "a passed drill prunes as usual"
    assert [path.name for path in dest.iterdir()] == [dumps(dest, database)[0].name]


def test_restore_drill_counts_in_the_dump_snapshot_while_the_source_is_written(
    postgres: PostgresServer, database: str, dest: Path, backup: Backup
) -> None:
    """Rows inserted while the drill runs are neither in the dump nor in the source counts:
    without the shared snapshot every drill on a busy database would fail."""
    fill(postgres, database)
    stop = threading.Event()

    def write() -> None:
        while not stop.is_set():
            postgres.sql("INSERT INTO orders (customer, total) VALUES (1, 1)", database)

    before = int(postgres.sql("SELECT count(*) FROM orders", database))
    writer = threading.Thread(target=write)
    writer.start()
    try:
        checked = backup(restore_drill=True)
    finally:
        stop.set()
        writer.join()
    after = int(postgres.sql("SELECT count(*) FROM orders", database))
    assert after > before + 1, "the writer should have been busy during the drill"
    assert checked.status == Status.OK, checked


def test_restore_drill_catches_a_dump_that_lists_but_does_not_restore(
    postgres: PostgresServer, database: str, dest: Path, backup: Backup
) -> None:
    """A CHECK calling a function that reads another table unqualified: fine in the source,
    but pg_restore runs with an empty search_path. `pg_restore --list` cannot see that."""
    postgres.sql(
        """
        CREATE TABLE limits (n int);
        INSERT INTO limits VALUES (100);
        CREATE FUNCTION under_limit(x int) RETURNS boolean LANGUAGE sql
            AS 'SELECT x < (SELECT max(n) FROM limits)';
        CREATE TABLE items (x int CHECK (under_limit(x)));
        INSERT INTO items VALUES (1), (2);
        """,
        database,
    )
    older = dest / f"{database}-20240101T010000Z.dump"
    older.write_bytes(b"old")
    checked = backup(keep=1, restore_drill=True)
    assert checked.status == Status.CRITICAL, checked
    assert "pg_restore" in checked.summary and "limits" in checked.summary, checked
    assert checked.perfdata["restore_duration_s"].value > 0
    assert older.exists(), "a failed drill prunes nothing"
    assert len(dumps(dest, database)) == 2, "the new dump is kept for inspection"
    assert not database_exists(postgres, f"{database}_restore_drill")


@pytest.mark.parametrize("scratch", ["same", "foreign"])
def test_restore_drill_never_uses_a_database_it_did_not_make(
    postgres: PostgresServer, database: str, dest: Path, scratch: str, backup: Backup
) -> None:
    fill(postgres, database)
    if scratch == "same":
        name = database
    else:  # an unrelated database that happens to have the scratch name
        name = f"{database}_restore_drill"
        postgres.sql(f'CREATE DATABASE "{name}"')
        postgres.sql("CREATE TABLE precious (x int)", name)
    checked = backup(restore_drill=True, scratch_database=name)
    assert checked.status == Status.UNKNOWN, checked
    assert name in checked.summary and (
        "must not be" in checked.summary or "not made by the drill" in checked.summary
    ), checked
    assert database_exists(postgres, name)
    assert postgres.sql("SELECT count(*) FROM customers", database) == "250"
    if scratch == "foreign":
        assert postgres.sql("SELECT count(*) FROM precious", name) == "0"
    assert list(dest.iterdir()) == [], "refused before dumping"


def test_restore_drill_refuses_a_scratch_name_createdb_would_read_as_an_option(
    run_check: RunCheck, postgres: PostgresServer, database: str, dest: Path
) -> None:
    fill(postgres, database)
    checked = run_check(
        "backup_postgres",
        {"database": database, "dest": str(dest), "restore_drill": True,
         "scratch_database": "-V", **connection(postgres)},
    )  # fmt: skip
    assert checked.status == Status.UNKNOWN, checked
    assert "scratch_database must not start with '-'" in checked.summary, checked
    assert list(dest.iterdir()) == [], "refused before dumping"


# --- db_optimise_postgres ---------------------------------------------------------------------


def bloat(postgres: PostgresServer, database: str) -> None:
    """Two tables made bloated on purpose (autovacuum off, half the rows deleted or updated)
    and a clean one; statistics flushed before returning (they are reported asynchronously)."""
    postgres.sql(
        """
        CREATE TABLE deleted (id int, pad text) WITH (autovacuum_enabled = false);
        INSERT INTO deleted SELECT i, repeat('x', 20) FROM generate_series(1, 100000) i;
        DELETE FROM deleted WHERE id % 2 = 0;
        CREATE TABLE updated (id int, pad text) WITH (autovacuum_enabled = false);
        INSERT INTO updated SELECT i, 'a' FROM generate_series(1, 20000) i;
        UPDATE updated SET pad = 'b' WHERE id <= 10000;
        CREATE TABLE clean (id int) WITH (autovacuum_enabled = false);
        INSERT INTO clean SELECT generate_series(1, 5000);
        """,
        database,
    )
    # The backend sends its counters before it says it is idle once this is set.
    postgres.sql("SELECT pg_stat_force_next_flush()", database)
    dead = postgres.sql(
        "SELECT sum(n_dead_tup) FROM pg_stat_user_tables WHERE relname IN ('deleted', 'updated')",
        database,
    )
    assert int(dead) == 60000, "statistics should show the dead rows before the check runs"


def vacuum_counts(postgres: PostgresServer, database: str) -> dict[str, int]:
    rows = postgres.sql("SELECT relname, vacuum_count FROM pg_stat_user_tables", database)
    return {name: int(count) for name, count in (line.split("|") for line in rows.splitlines())}


def test_optimise_vacuums_the_bloated_tables_only(
    run_check: RunCheck, postgres: PostgresServer, database: str
) -> None:
    bloat(postgres, database)
    checked = run_check("db_optimise_postgres", {"database": database, **connection(postgres)})
    assert checked.status == Status.OK, checked
    perf = {label: datum.value for label, datum in checked.perfdata.items()}
    assert perf["tables_vacuumed"] == 2
    assert perf["dead_tuples_before"] >= 60000
    assert perf["dead_tuples_after"] < perf["dead_tuples_before"]
    assert perf["dead_tuples_after"] == 0
    assert "vacuumed public.deleted" in checked.long_output
    assert "vacuumed public.updated" in checked.long_output
    assert "clean" not in checked.long_output
    assert vacuum_counts(postgres, database) == {"deleted": 1, "updated": 1, "clean": 0}


def test_optimise_leaves_a_clean_database_alone(
    run_check: RunCheck, postgres: PostgresServer, database: str
) -> None:
    postgres.sql("CREATE TABLE clean (id int); INSERT INTO clean SELECT 1", database)
    checked = run_check("db_optimise_postgres", {"database": database, **connection(postgres)})
    assert checked.status == Status.OK, checked
    assert checked.perfdata["tables_vacuumed"].value == 0
    assert "no table over 20% dead" in checked.summary
    assert vacuum_counts(postgres, database) == {"clean": 0}


LOCK_DELETED = "LOCK TABLE deleted IN ACCESS EXCLUSIVE MODE"


def test_optimise_skips_a_locked_table_with_a_warning_within_lock_timeout(
    run_check: RunCheck, postgres: PostgresServer, database: str
) -> None:
    bloat(postgres, database)
    # Another session holds the table in an open transaction for as long as the test runs.
    with postgres.holding(LOCK_DELETED, database):
        started = time.monotonic()
        checked = run_check(
            "db_optimise_postgres",
            {"database": database, "lock_timeout": "300ms", **connection(postgres)},
        )
        elapsed = time.monotonic() - started
    assert checked.status == Status.WARNING, checked
    assert "not vacuumed: public.deleted" in checked.summary, checked
    assert "lock not granted within 300ms" in checked.long_output
    assert checked.perfdata["tables_vacuumed"].value == 1  # the other bloated table still is
    assert elapsed < 15, "a held lock must not make the check hang"
    assert vacuum_counts(postgres, database)["deleted"] == 0


# psql before 9.6 (RHEL 7's 9.2, say): of several -c options only the last one runs.
OLD_PSQL = """#!/usr/bin/python3
import os, sys
args, last, rest = sys.argv[1:], None, []
while args:
    if args[0] == "-c" and len(args) > 1:
        last, args = args[1], args[2:]
    else:
        rest, args = [*rest, args[0]], args[1:]
os.execv({real!r}, ["psql", *rest, *(["-c", last] if last is not None else [])])
"""


def test_optimise_sets_lock_timeout_with_a_psql_older_than_9_6(
    run_check: RunCheck,
    postgres: PostgresServer,
    database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the statements as separate -c options, an old psql ran only the VACUUM: no
    lock_timeout, and the VACUUM of a locked table waited for ever."""
    real = shutil.which("psql")
    assert real is not None
    old = tmp_path / "old-psql"
    old.mkdir()
    (old / "psql").write_text(OLD_PSQL.format(real=real))
    (old / "psql").chmod(0o755)
    monkeypatch.setenv("PATH", f"{old}:{os.environ['PATH']}")  # the local run inherits it
    bloat(postgres, database)
    with postgres.holding(LOCK_DELETED, database):
        started = time.monotonic()
        checked = run_check(
            "db_optimise_postgres",
            {"database": database, "lock_timeout": "300ms", **connection(postgres)},
            where="local",
            timeout="30s",
        )
        elapsed = time.monotonic() - started
    assert checked.status == Status.WARNING, checked
    assert "lock not granted within 300ms" in checked.long_output, checked
    assert checked.perfdata["tables_vacuumed"].value == 1
    assert elapsed < 15, "a held lock must not make the check hang"
