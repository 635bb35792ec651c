"""Where the calendar, the database and the maintenance log are, by the contract's order of
precedence."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, tzinfo
from pathlib import Path
from typing import Any, TypeVar

import click

from maintd.cli.options import resolve_calendar_path
from maintd.config import Calendar, load_calendar
from maintd.config.secrets import resolve_secret
from maintd.errors import ConfigError, UsageError
from maintd.store import IncidentBook, Ledger, open_store

Command = TypeVar("Command", bound=Any)


def database_option(command: Command) -> Command:
    """Add ``--db URL`` (a bare path is a SQLite file)."""
    return click.option(
        "--db",
        "database",
        metavar="URL",
        help="SQLAlchemy URL or SQLite file (default: $MAINTD_DB, the calendar's store.url, "
        "$STATE_DIRECTORY/maintd.db, ./maintd.db).",
    )(command)


def resolve_database(given: str | None, calendar: Calendar | None) -> str:
    """--db, else $MAINTD_DB, else the calendar's store.url, else the state directory's or
    the working directory's maintd.db."""
    if given:
        return given
    if os.environ.get("MAINTD_DB"):
        return os.environ["MAINTD_DB"]
    if calendar is not None and calendar.store is not None:
        try:
            return resolve_secret(calendar.store.url)
        except Exception as error:
            raise UsageError(f"store.url: {error}") from None
    state = os.environ.get("STATE_DIRECTORY", "").split(":")[0]
    return str(Path(state) / "maintd.db") if state else "maintd.db"


def resolve_log_dir(given: Path | None) -> Path:
    """--log-dir, else $MAINTD_LOG_DIR, else systemd's $LOGS_DIRECTORY, else ./logs."""
    if given is not None:
        return given
    for variable in ("MAINTD_LOG_DIR", "LOGS_DIRECTORY"):
        value = os.environ.get(variable, "").split(":")[0]
        if value:
            return Path(value)
    return Path("logs")


def calendar_if_any(config_path: Path | None) -> Calendar | None:
    """The calendar when one is where the options say; reading the ledger does not need one."""
    try:
        return load_calendar(resolve_calendar_path(None, config_path)).calendar
    except ConfigError:
        return None


class Records:
    """What a command that reads or answers the record works on: the calendar when one is found
    (its zone for local times; UTC without one) and the store, opened when first used, so that
    a command refusing its arguments never creates a database."""

    def __init__(self, calendar: Calendar | None, database: str | None) -> None:
        self.calendar = calendar
        self._database = database
        self._ledger: Ledger | None = None

    @property
    def zone(self) -> tzinfo:
        return self.calendar.zone if self.calendar else UTC

    @property
    def ledger(self) -> Ledger:
        if self._ledger is None:
            self._ledger = open_store(resolve_database(self._database, self.calendar))
        return self._ledger

    @property
    def incidents(self) -> IncidentBook:
        return IncidentBook(self.ledger.engine)

    def incident(self, incident_id: int) -> dict[str, Any]:
        """One incident, or a usage error naming the number given."""
        incident = self.incidents.get(incident_id)
        if incident is None:
            raise UsageError(f"no incident {incident_id}")
        return incident

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()


@contextmanager
def open_records(config_path: Path | None, database: str | None) -> Iterator[Records]:
    """The calendar the options name (if any) and its store, closed afterwards."""
    records = Records(calendar_if_any(config_path), database)
    try:
        yield records
    finally:
        records.close()


def required_calendar(calendar: Calendar | None, config_path: Path | None, why: str) -> Calendar:
    """The calendar a command cannot work without; UsageError saying ``why`` and where it
    looked when none loads."""
    if calendar is None:
        where = resolve_calendar_path(None, config_path)
        raise UsageError(f"{why} and needs the calendar: none loads from {where} (give "
                         f"--config PATH, or see `maintd validate {where}`)")  # fmt: skip
    return calendar
