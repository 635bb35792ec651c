"""Opening the database: one SQLAlchemy URL, SQLite tuned for a daemon and its readers.

SQLite gets WAL (readers never block the writer), synchronous=NORMAL, a busy timeout,
foreign keys, a journal size limit, and write transactions that start with BEGIN IMMEDIATE
(a deferred transaction that reads and then writes fails at once with "database is locked",
whatever the busy timeout). PostgreSQL works by changing the URL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from maintd.runtime import make_directories

BUSY_TIMEOUT_MS = 10_000
CONNECT_TIMEOUT_SECONDS = 10
JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024
# A directory maintd creates for its database: the group may enter (the CLI's readers, as with
# the unit's StateDirectoryMode=0750), others not; the file itself is 0600.
DIRECTORY_MODE = 0o750
WRITE = "maintd_write"


def database_url(value: str) -> str:
    """A URL as given, or a bare path turned into a SQLite URL (``--db ./x.db``)."""
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def open_engine(url: str) -> Engine:
    """Create the engine for ``url``; SQLite files are created 0600 (SQLite gives their -wal
    and -shm the same mode), missing directories above them 0750 (less the umask)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        # libpq waits for a dead server as long as TCP does: /readyz and every command would hang.
        connect_args = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
        return create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    database = parsed.database
    if database and database != ":memory:":
        path = Path(database)
        make_directories(path.parent, DIRECTORY_MODE)
        if not path.exists():
            descriptor = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(descriptor)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself, so writes can be IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        f"busy_timeout={BUSY_TIMEOUT_MS}",
        "foreign_keys=ON",
        f"journal_size_limit={JOURNAL_SIZE_LIMIT}",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction (BEGIN IMMEDIATE on SQLite), committed on success."""
    with engine.connect() as plain:
        connection = plain.execution_options(**{WRITE: True})
        with connection.begin():
            yield connection


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A read transaction."""
    with engine.connect() as connection, connection.begin():
        yield connection


def checkpoint(engine: Engine) -> None:
    """Fold the WAL back into the database (a long reader can otherwise let it grow)."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def fetch_all(engine: Engine, query: Any) -> list[dict[str, Any]]:
    """The rows of ``query``, each as a dict of its columns."""
    with reading(engine) as connection:
        return [dict(row._mapping) for row in connection.execute(query)]


def fetch_one(engine: Engine, query: Any) -> dict[str, Any] | None:
    """The first row of ``query`` as a dict of its columns, or None."""
    with reading(engine) as connection:
        row = connection.execute(query.limit(1)).first()
    return None if row is None else dict(row._mapping)
