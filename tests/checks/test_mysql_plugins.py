"""db_optimise_mysql on a real MariaDB server, run over SSH as the plain test account.

The server is started once for the module (tests/mariadb.py); each test works in a database of
its own. The plugin's account gets its password from an option file only.
"""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from maintd.status import Status
from tests.checks.conftest import Checked, RunCheck
from tests.mariadb import MariaDbServer, mariadb_available, sql_literal
from tests.sshd import TEST_USER, free_port

PLUGIN_USER = "maintd"
PLAIN_USER = "maintd_plain"  # SELECT and INSERT only: no PROCESS
PASSWORD = "Maintd-Test-7f3a9c"  # noqa: S105 - a throw-away account on a throw-away server
WRONG_PASSWORD = "Not-The-Password-e41b"  # noqa: S105
MIB = 1048576


@pytest.fixture(scope="module")
def mariadb() -> Iterator[MariaDbServer]:
    """A MariaDB server with an account for the plugin: SELECT and INSERT (what ANALYZE and
    OPTIMIZE need) and PROCESS (to tell which tables share the system tablespace); and one
    without PROCESS."""
    reason = mariadb_available()
    if reason:
        pytest.skip(reason)
    server = MariaDbServer().start()
    try:
        account = f"{sql_literal(PLUGIN_USER)}@'127.0.0.1'"
        plain = f"{sql_literal(PLAIN_USER)}@'127.0.0.1'"
        server.sql(
            f"CREATE USER {account} IDENTIFIED BY {sql_literal(PASSWORD)};\n"
            f"GRANT SELECT, INSERT, PROCESS ON *.* TO {account};\n"
            f"CREATE USER {plain} IDENTIFIED BY {sql_literal(PASSWORD)};\n"
            f"GRANT SELECT, INSERT ON *.* TO {plain};\n"
        )
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def option_files(mariadb: MariaDbServer) -> Iterator[dict[str, str]]:
    """Option files the test account can read: the right and a wrong password, and the
    account without PROCESS."""
    directory = Path(tempfile.mkdtemp(prefix="maintd-mycnf-"))
    directory.chmod(0o711)  # the account reaches its files by name, lists nothing
    account = pwd.getpwnam(TEST_USER)
    files = {}
    for kind, user, password in (
        ("good", PLUGIN_USER, PASSWORD),
        ("wrong", PLUGIN_USER, WRONG_PASSWORD),
        ("plain", PLAIN_USER, PASSWORD),
    ):
        path = directory / f"{kind}.cnf"
        path.write_text(
            f'[client]\nuser={user}\npassword="{password}"\nhost=127.0.0.1\nport={mariadb.port}\n'
        )
        # Owner-only, as a password file should be (and the client ignores a world-writable one).
        path.chmod(0o600)
        os.chown(path, account.pw_uid, account.pw_gid)
        files[kind] = str(path)
    yield files
    shutil.rmtree(directory, ignore_errors=True)


def new_database(server: MariaDbServer, name: str) -> str:
    server.sql(f"CREATE DATABASE `{name}`;")
    return name


def bloated_table(server: MariaDbServer, database: str, table: str) -> int:
    """An InnoDB table (its own .ibd) of 50 000 rows of padding with 45 000 deleted from the
    end: whole pages and extents come free. Returns its data_free in bytes."""
    server.sql(
        f"CREATE TABLE `{table}` (id INT PRIMARY KEY AUTO_INCREMENT, pad VARCHAR(1000))"  # noqa: S608 - the test's own names
        " ENGINE=InnoDB;\n"
        f"INSERT INTO `{table}` (pad) SELECT REPEAT('x', 900) FROM seq_1_to_50000;\n"
        f"DELETE FROM `{table}` WHERE id > 5000;\n",
        database,
    )
    # The purge thread frees the deleted pages in the background: wait until it is done.
    deadline = time.monotonic() + 20
    last = -1
    while True:
        free = data_free(server, database, table)
        if (free == last and free > 20 * MIB) or time.monotonic() > deadline:
            return free
        last = free
        time.sleep(0.5)


def data_free(server: MariaDbServer, database: str, table: str) -> int:
    return int(
        server.sql(
            "SELECT data_free FROM information_schema.TABLES WHERE table_schema = "  # noqa: S608 - quoted
            f"{sql_literal(database)} AND table_name = {sql_literal(table)};"
        )
    )


def optimise(
    run_check: RunCheck, files: dict[str, str], database: str, **params: object
) -> Checked:
    settings: dict[str, object] = {
        "database": database, "defaults_file": files["good"], "data_free_ratio": 0.2,
        "min_data_free_mb": 1, "lock_wait_timeout_s": 5,
    }  # fmt: skip
    settings.update(params)
    return run_check("db_optimise_mysql", settings)


def test_a_table_with_big_deletes_is_rebuilt_and_a_clean_one_left(
    run_check: RunCheck, mariadb: MariaDbServer, option_files: dict[str, str]
) -> None:
    database = new_database(mariadb, "opt_rebuild")
    free = bloated_table(mariadb, database, "bloated")
    assert free > 20 * MIB, "the deletes should have freed whole extents"
    mariadb.sql(
        "CREATE TABLE clean (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;\n"
        "INSERT INTO clean SELECT seq, seq FROM seq_1_to_100;\n",
        database,
    )

    checked = optimise(run_check, option_files, database)

    assert checked.status == Status.OK, checked
    assert "analysed 2 of 2 tables" in checked.summary
    assert checked.perfdata["tables_optimised"].value == 1
    before = checked.perfdata["data_free_before_bytes"].value
    after = checked.perfdata["data_free_after_bytes"].value
    assert before >= 20 * MIB
    assert after < before / 4, checked
    assert "rebuilt (InnoDB: recreate + analyze) opt_rebuild.bloated" in checked.long_output
    assert "clean" not in checked.long_output
    assert data_free(mariadb, database, "bloated") < free / 4  # the server agrees
    assert checked.perfdata["duration_s"].value > 0


def test_analyze_only_reports_but_rebuilds_nothing(
    run_check: RunCheck, mariadb: MariaDbServer, option_files: dict[str, str]
) -> None:
    database = new_database(mariadb, "opt_analyse_only")
    free = bloated_table(mariadb, database, "bloated")

    checked = optimise(run_check, option_files, database, optimise=False)

    assert checked.status == Status.OK, checked
    assert "1 over 20% free and 1 MiB would be optimised (optimise is off)" in checked.summary
    assert "would optimise opt_analyse_only.bloated" in checked.long_output
    assert checked.perfdata["tables_optimised"].value == 0
    before = checked.perfdata["data_free_before_bytes"].value
    assert checked.perfdata["data_free_after_bytes"].value == before
    assert data_free(mariadb, database, "bloated") >= free  # not rebuilt
    # ANALYZE ran: the statistics now know the table's real size, not an empty table's.
    rows = mariadb.sql(
        "SELECT n_rows FROM mysql.innodb_table_stats WHERE database_name = "  # noqa: S608 - quoted
        f"{sql_literal(database)} AND table_name = 'bloated';"
    )
    assert 4000 < int(rows) < 6000


def test_a_locked_table_is_skipped_with_a_warning_quickly(
    run_check: RunCheck, mariadb: MariaDbServer, option_files: dict[str, str]
) -> None:
    database = new_database(mariadb, "opt_locked")
    mariadb.sql(
        "CREATE TABLE busy (id INT PRIMARY KEY) ENGINE=InnoDB;\n"
        "CREATE TABLE calm (id INT PRIMARY KEY) ENGINE=InnoDB;\n"
        "INSERT INTO busy SELECT seq FROM seq_1_to_10;\n",
        database,
    )

    with mariadb.holding(f"LOCK TABLES `{database}`.busy WRITE"):
        started = time.monotonic()
        checked = optimise(run_check, option_files, database, lock_wait_timeout_s=1)
        elapsed = time.monotonic() - started

    assert checked.status == Status.WARNING, checked
    assert "skipped: opt_locked.busy" in checked.summary
    assert "analysed 1 of 2 tables" in checked.summary
    assert "NOT analysed opt_locked.busy: lock not granted within 1 s" in checked.long_output
    assert elapsed < 10, f"the plugin waited {elapsed:.1f} s for the lock"


def test_a_table_in_the_shared_system_tablespace_is_never_rebuilt(
    run_check: RunCheck, mariadb: MariaDbServer, option_files: dict[str, str]
) -> None:
    database = new_database(mariadb, "opt_shared")
    mariadb.sql(
        "SET GLOBAL innodb_file_per_table = OFF;\n"
        "CREATE TABLE legacy (id INT PRIMARY KEY) ENGINE=InnoDB;\n"
        "SET GLOBAL innodb_file_per_table = ON;\n",
        database,
    )
    # Its data_free is the free space of ibdata1, which a rebuild cannot give back.
    assert data_free(mariadb, database, "legacy") > 0

    checked = optimise(run_check, option_files, database, min_data_free_mb=0)

    assert checked.status == Status.OK, checked
    assert checked.perfdata["tables_optimised"].value == 0
    assert "left opt_shared.legacy" in checked.long_output
    assert "shared system tablespace" in checked.long_output


def test_all_databases_skips_the_system_ones(
    run_check: RunCheck, mariadb: MariaDbServer, option_files: dict[str, str]
) -> None:
    new_database(mariadb, "opt_all")
    mariadb.sql("CREATE TABLE t (id INT PRIMARY KEY) ENGINE=InnoDB;", "opt_all")
    user_tables = int(
        mariadb.sql(
            "SELECT COUNT(*) FROM information_schema.TABLES WHERE table_type = 'BASE TABLE'"
            " AND table_schema NOT IN ('mysql', 'sys', 'information_schema',"
            " 'performance_schema');"
        )
    )

    checked = optimise(run_check, option_files, "", optimise=False, min_data_free_mb=100000)

    assert checked.status == Status.OK, checked
    assert f"all databases: analysed {user_tables} of {user_tables} tables" in checked.summary
    assert "mysql." not in checked.long_output


def test_an_account_without_process_still_optimises(
    run_check: RunCheck, mariadb: MariaDbServer, option_files: dict[str, str]
) -> None:
    """information_schema.INNODB_SYS_TABLES needs PROCESS: without it the tables are still
    found, each taken to have its own tablespace."""
    database = new_database(mariadb, "opt_plain")
    mariadb.sql(
        "CREATE TABLE t (id INT PRIMARY KEY) ENGINE=InnoDB;\n"
        "CREATE TABLE m (id INT PRIMARY KEY, pad CHAR(200)) ENGINE=MyISAM;\n"
        "INSERT INTO m SELECT seq, 'x' FROM seq_1_to_20000;\n"
        "DELETE FROM m WHERE id > 2000;\n",  # MyISAM keeps the holes: data_free ~3.6 MiB
        database,
    )
    plain = {**option_files, "good": option_files["plain"]}

    checked = optimise(run_check, plain, database)

    assert checked.status == Status.OK, checked
    assert "analysed 2 of 2 tables; optimised 1 of 1" in checked.summary
    assert "optimised opt_plain.m" in checked.long_output
    assert checked.perfdata["data_free_after_bytes"].value == 0
    assert data_free(mariadb, database, "m") == 0


def test_a_wrong_password_is_unknown_with_the_reason_and_no_password(
    run_check: RunCheck, mariadb: MariaDbServer, option_files: dict[str, str]
) -> None:
    checked = run_check(
        "db_optimise_mysql", {"database": "mysql", "defaults_file": option_files["wrong"]}
    )
    assert checked.status == Status.UNKNOWN, checked
    assert "cannot connect" in checked.summary
    assert "Access denied for user 'maintd'" in checked.summary
    for secret in (WRONG_PASSWORD, PASSWORD):
        assert secret not in checked.stdout + checked.stderr


def test_a_missing_database_is_unknown(
    run_check: RunCheck, mariadb: MariaDbServer, option_files: dict[str, str]
) -> None:
    checked = optimise(run_check, option_files, "no_such_database")
    assert checked.status == Status.UNKNOWN, checked
    assert "database no_such_database does not exist" in checked.summary


def test_no_server_listening_is_unknown(run_check: RunCheck) -> None:
    checked = run_check(
        "db_optimise_mysql", {"db_host": "127.0.0.1", "db_port": free_port(), "db_user": "x"}
    )
    assert checked.status == Status.UNKNOWN, checked
    assert "cannot connect" in checked.summary and "Can't connect" in checked.summary


def test_a_missing_client_is_unknown(run_check: RunCheck) -> None:
    checked = run_check("db_optimise_mysql", {"client": "/nonexistent/mariadb"})
    assert checked.status == Status.UNKNOWN, checked
    assert checked.summary == "MYSQLOPTIMISE UNKNOWN - client /nonexistent/mariadb not found"
    assert "Traceback" not in checked.stderr
