"""`maintd history` and `maintd status`: reading the run ledger, also while the daemon writes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from maintd.cli.options import config_option, format_option, parse_moment, resolve_calendar_path
from maintd.cli.output import format_local, print_json, print_table
from maintd.cli.paths import database_option, open_records, resolve_database
from maintd.config import load_calendar
from maintd.plan import Planner
from maintd.status import Status
from maintd.store import open_store

HISTORY_COLUMNS = ["SCHEDULED", "TASK", "HOST", "STATUS", "DURATION", "SUMMARY"]


@click.command()
@click.option("--task", "tasks", multiple=True, help="Only this task (repeatable).")
@click.option("--host", "hosts", multiple=True, help="Only this host (repeatable).")
@click.option(
    "--status", "statuses", multiple=True, type=click.Choice([s.value for s in Status]),
    help="Only runs that ended so (repeatable).",
)  # fmt: skip
@click.option("--since", metavar="ISO", help="Only fires scheduled at or after this time.")
@click.option("--limit", type=click.IntRange(min=1), default=200, show_default=True)
@config_option
@database_option
@format_option
def history(  # noqa: PLR0913 - one parameter per documented option
    *,
    tasks: tuple[str, ...],
    hosts: tuple[str, ...],
    statuses: tuple[str, ...],
    since: str | None,
    limit: int,
    config_path: Path | None,
    database: str | None,
    output_format: str,
) -> None:
    """Runs from the ledger, newest first."""
    with open_records(config_path, database) as records:
        zone = records.zone
        since_at = parse_moment(since, zone, "--since") if since else None
        rows = records.ledger.history(
            tasks=tasks, hosts=hosts, statuses=statuses, since=since_at, limit=limit
        )
    if output_format == "json":
        print_json([_history_json(row) for row in rows])
        return
    print_table(HISTORY_COLUMNS, [_history_row(row, zone) for row in rows])


def _history_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "task": row["task"],
        "host": row["host"],
        "scheduled_for": row["scheduled_for"],
        "trigger": row["trigger"],
        "status": row["status"],
        "reason": row["reason"],
        "started_at": row["started_at"],
        "finished_at": row["finished_at"],
        "duration": row["duration"],
        "exit_code": row["exit_code"],
        "attempt": row["attempt"],
        "summary": row["summary"],
    }


def _history_row(row: dict[str, Any], zone: Any) -> list[str]:
    duration = f"{row['duration']:.2f}s" if row["duration"] is not None else ""
    return [
        format_local(row["scheduled_for"], zone),
        row["task"],
        row["host"],
        row["status"],
        duration,
        row["summary"] or row["reason"] or "",
    ]


@click.command()
@config_option
@database_option
@format_option
def status(*, config_path: Path | None, database: str | None, output_format: str) -> None:
    """Every task × host: its last status and when, how many in a row, and its next fire."""
    calendar = load_calendar(resolve_calendar_path(None, config_path)).calendar
    ledger = open_store(resolve_database(database, calendar))
    latest = ledger.latest_per_pair()
    planner = Planner(calendar)
    now = datetime.now(UTC)
    entries = []
    for task in calendar.tasks:
        for host in planner.hosts[task.name]:
            runs = latest.get((task.name, host), [])
            upcoming = next(iter(planner.host_fires(task, host, now)), None)
            entries.append(_status_entry(task.name, host, runs, upcoming))
    if output_format == "json":
        print_json(entries)
        return
    rows = [
        [
            entry["task"],
            entry["host"],
            entry["status"] or "-",
            format_local(entry["last"], calendar.zone),
            str(entry["streak"]),
            format_local(entry["next"], calendar.zone),
        ]
        for entry in entries
    ]
    print_table(["TASK", "HOST", "STATUS", "LAST", "STREAK", "NEXT"], rows)


def _status_entry(
    task: str, host: str, runs: list[dict[str, Any]], upcoming: datetime | None
) -> dict[str, Any]:
    last = runs[0] if runs else None
    streak = 0
    for run in runs:
        if run["status"] != last["status"]:  # type: ignore[index]
            break
        streak += 1
    return {
        "task": task,
        "host": host,
        "status": last["status"] if last else None,
        "last": last["scheduled_for"] if last else None,
        "summary": (last["summary"] or last["reason"]) if last else None,
        "streak": streak,
        "next": upcoming,
    }
