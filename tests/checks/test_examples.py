"""Every task of the example calendar in schedules/, run once for real on this machine.

Each must give a plugin's own answer — OK, WARNING, CRITICAL or UNKNOWN with a reason — never
maintd's ERROR or a traceback. Only what would touch this machine or point at servers it does
not have is redirected: backup destinations go to a scratch directory, database tasks go to
the test PostgreSQL (with an `app` database made for them), and the SQLite task optimises a
real maintd ledger in scratch space. Hosts: tasks that include the maintenance host `self` run
locally; the others over SSH to a loopback host, as root where the task uses `become`.
"""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from maintd.config import load_calendar
from maintd.config.model import Task
from maintd.plan import Planner
from maintd.status import Status
from maintd.store import FireKey, open_store
from tests.checks.conftest import RunCheck
from tests.conftest import REPOSITORY
from tests.postgres import PostgresServer
from tests.sshd import TEST_USER

EXAMPLE = load_calendar(REPOSITORY / "schedules").calendar
PLANNER = Planner(EXAMPLE)
PLUGIN_ANSWERS = {Status.OK, Status.WARNING, Status.CRITICAL, Status.UNKNOWN}
# Tasks that must be OK here, not merely answered.
MUST_BE_OK = {
    "pg-backup", "pg-restore-drill", "pg-vacuum", "ledger-backup", "sqlite-optimise",
    "memory", "self-memory", "latency",
}  # fmt: skip


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    """A directory the SSH test account can write (pytest's own tmp_path is root's only)."""
    directory = _account_dir(Path(tempfile.mkdtemp(prefix="maintd-examples-")))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def _account_dir(directory: Path) -> Path:
    directory.mkdir(exist_ok=True)
    account = pwd.getpwnam(TEST_USER)
    os.chown(directory, account.pw_uid, account.pw_gid)
    return directory


@pytest.fixture(scope="module")
def app_database(postgres: PostgresServer) -> str:
    postgres.sql("DROP DATABASE IF EXISTS app")
    postgres.sql("CREATE DATABASE app")
    postgres.sql(
        "CREATE TABLE orders (id serial PRIMARY KEY, item text);"
        "INSERT INTO orders (item) SELECT 'item ' || n FROM generate_series(1, 5000) n;",
        database="app",
    )
    return "app"


def _params(task: Task, scratch: Path, postgres: PostgresServer) -> dict[str, Any]:
    params = dict(task.params)
    if "dest" in params:
        params["dest"] = str(scratch / task.name)
        _account_dir(Path(params["dest"]))  # backup_sqlite writes only to an existing one
    if task.check == "backup_freshness":
        params["dir"] = str(scratch / "pg-backup")
    if task.check in ("backup_postgres", "db_optimise_postgres"):
        params.update(db_host="127.0.0.1", db_port=postgres.port, db_user="postgres")
    if task.check in ("db_optimise_sqlite", "backup_sqlite"):
        ledger_path = scratch / "maintd.db"
        ledger = open_store(str(ledger_path))
        ledger.claim(FireKey("disk", "self", datetime(2026, 11, 25, tzinfo=UTC)), "schedule")
        ledger.close()
        params["path"] = str(ledger_path)
    return params


def _where(task: Task) -> str:
    if "self" in PLANNER.hosts[task.name]:
        return "local"
    return "ssh-root" if task.become else "ssh"


@pytest.mark.parametrize("task", EXAMPLE.tasks, ids=[task.name for task in EXAMPLE.tasks])
def test_each_example_task_gives_a_plugins_answer_here(
    task: Task,
    run_check: RunCheck,
    scratch: Path,
    postgres: PostgresServer,
    app_database: str,
) -> None:
    checked = run_check(
        task.check or "",
        _params(task, scratch, postgres),
        where=_where(task),
        command=list(task.command) if task.command else None,
    )
    assert checked.status in PLUGIN_ANSWERS, checked
    assert checked.summary.strip(), checked
    assert "Traceback" not in checked.stdout + checked.stderr, checked
    if task.name in MUST_BE_OK:
        assert checked.status == Status.OK, checked
