"""`maintd silence`: hold the notifications of some incidents for a while, with a reason.

A silence matches by task and/or host and ends by itself at `--until`; the daemon's response
desk sends what it held (one summary) when it ends. Silences do not stop SLA clocks: a team that
silences a problem still owes its commitments (windows with `pause` are for planned work).
"""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from pathlib import Path

import click

from maintd.cli.options import config_option, format_option, parse_when
from maintd.cli.output import print_json, print_table
from maintd.cli.paths import database_option, open_records
from maintd.errors import UsageError
from maintd.store import SilenceBook

COLUMNS = ["ID", "TASK", "HOST", "FROM", "UNTIL", "BY", "REASON"]


@click.group(invoke_without_command=True)
@click.pass_context
def silence(context: click.Context) -> None:
    """Silences: notifications of matching incidents held until they end (`list` by default)."""
    if context.invoked_subcommand is None:
        context.invoke(list_silences)


@silence.command("add")
@click.option("--task", default=None, help="Only incidents of this task.")
@click.option("--host", default=None, help="Only incidents on this host.")
@click.option("--until", "until_text", required=True, help="2h, 1d, or a date-time.")
@click.option("--reason", required=True, help="Why (shown in the list and the log).")
@click.option("--by", default=None, help="Who (default: the login name).")
@config_option
@database_option
def add(  # noqa: PLR0913 - one keyword per command-line option
    *,
    task: str | None,
    host: str | None,
    until_text: str,
    reason: str,
    by: str | None,
    config_path: Path | None,
    database: str | None,
) -> None:
    """Silence the incidents of a task, a host, or a task on a host."""
    if task is None and host is None:
        raise UsageError("give --task, --host or both (a silence of everything is a blackout)")
    with open_records(config_path, database) as records:
        calendar = records.calendar
        if calendar is not None:
            if task is not None and task not in {known.name for known in calendar.tasks}:
                raise UsageError(f"no task {task!r} in the calendar")
            if host is not None and host not in calendar.hosts:
                raise UsageError(f"no host {host!r} in the calendar")
        now = datetime.now(UTC).replace(microsecond=0)
        ends = parse_when(until_text, records.zone, now, "--until", ago=False)
        if ends <= now:
            raise UsageError(f"--until {until_text!r} is not in the future")
        person = by or getpass.getuser()
        silence_id = SilenceBook(records.ledger.engine).add(
            task=task, host=host, starts_at=now, ends_at=ends, reason=reason, by=person
        )
    click.echo(f"silence {silence_id}: until {ends.isoformat(timespec='seconds')}")


@silence.command("list")
@click.option("--all", "include_ended", is_flag=True, help="Include ended silences.")
@config_option
@database_option
@format_option
def list_silences(
    *,
    include_ended: bool = False,
    config_path: Path | None = None,
    database: str | None = None,
    output_format: str = "table",
) -> None:
    """Silences in force or to come, newest first."""
    with open_records(config_path, database) as records:
        found = SilenceBook(records.ledger.engine).listing(
            datetime.now(UTC), include_ended=include_ended
        )
    zone = records.zone
    if output_format == "json":
        print_json(found)
        return
    print_table(COLUMNS, [
        [str(row["id"]), row["task"] or "*", row["host"] or "*",
         row["starts_at"].astimezone(zone).isoformat(timespec="minutes"),
         (row["removed_at"] or row["ends_at"]).astimezone(zone).isoformat(timespec="minutes"),
         row["created_by"] or "maintd", row["reason"]]
        for row in found
    ])  # fmt: skip


@silence.command("remove")
@click.argument("silence_id", type=int)
@config_option
@database_option
def remove(*, silence_id: int, config_path: Path | None, database: str | None) -> None:
    """End a silence now."""
    with open_records(config_path, database) as records:
        book = SilenceBook(records.ledger.engine)
        if book.get(silence_id) is None:
            raise UsageError(f"no silence {silence_id}")
        if not book.remove(silence_id, datetime.now(UTC)):
            raise UsageError(f"silence {silence_id} has ended already")
    click.echo(f"silence {silence_id}: removed")
