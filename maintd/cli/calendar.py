"""`maintd validate` and `maintd plan`: the commands that need no host."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import click

from maintd import config
from maintd.cli.fires import FireFormatter
from maintd.cli.options import (
    calendar_argument,
    format_option,
    parse_moment,
    resolve_calendar_path,
)
from maintd.cli.output import print_json, print_json_lines, print_table
from maintd.errors import ConfigError, UsageError, did_you_mean
from maintd.plan import Planner
from maintd.plan.localtime import to_instant
from maintd.plugins.loading import load_checked
from maintd.runtime import gc_paused

MAX_PLAN_DAYS = 3660  # ten years: the planner's horizon for wall-clock schedules


@click.command()
@calendar_argument
@format_option
def validate(*, path: Path | None, config_path: Path | None, output_format: str) -> None:
    """Check a calendar and summarise it; list every problem (exit 2) if it is wrong."""
    calendar_path = resolve_calendar_path(path, config_path)
    try:
        loaded, _ = load_checked(calendar_path)
    except ConfigError as error:
        if output_format != "json":
            raise
        print_json({"valid": False, "errors": [problem.as_dict() for problem in error.problems]})
        raise SystemExit(error.exit_code) from None
    summary = summarise(loaded, Planner(loaded.calendar), datetime.now(UTC).replace(microsecond=0))
    if output_format == "json":
        print_json(summary)
        return
    click.echo(_summary_line(summary))


def summarise(loaded: config.LoadedCalendar, planner: Planner, now: datetime) -> dict[str, Any]:
    """The facts `validate` reports about a valid calendar."""
    calendar = loaded.calendar
    groups = {group for host in calendar.hosts.values() for group in host.groups}
    next_fire = planner.next_fire(now)
    return {
        "valid": True,
        "files": [str(file) for file in loaded.files],
        "timezone": calendar.timezone,
        "hosts": len(calendar.hosts),
        "groups": len(groups),
        "tasks": len(calendar.tasks),
        "windows": len(calendar.windows),
        "blackouts": len(calendar.blackouts),
        "next_fire": FireFormatter(calendar.zone).as_dict(next_fire) if next_fire else None,
    }


def _summary_line(summary: dict[str, Any]) -> str:
    text = (
        f"ok: {summary['tasks']} tasks on {summary['hosts']} hosts in {summary['groups']} groups, "
        f"{summary['windows']} windows, {summary['blackouts']} blackouts ({summary['timezone']})"
    )
    fire = summary["next_fire"]
    if fire is None:
        return text + "; nothing runs in the coming year"
    return text + f"; next fire: {fire['task']} on {fire['host']} at {fire['at']}"


@click.command()
@calendar_argument
@click.option(
    "--days",
    type=click.FloatRange(min=0, min_open=True, max=MAX_PLAN_DAYS),
    default=1.0,
    show_default=True,
    help="Length of the period.",
)
@click.option(
    "--from",
    "start_text",
    metavar="ISO",
    help="Start (local unless an offset is given; default now).",
)
@click.option("--task", "tasks", multiple=True, help="Only this task (repeatable).")
@click.option("--host", "hosts", multiple=True, help="Only this host (repeatable).")
@format_option
def plan(  # noqa: PLR0913 - one parameter per documented option
    *,
    path: Path | None,
    config_path: Path | None,
    days: float,
    start_text: str | None,
    tasks: tuple[str, ...],
    hosts: tuple[str, ...],
    output_format: str,
) -> None:
    """Show every fire of a period, and why each one that will not run is skipped."""
    if not math.isfinite(days):
        raise UsageError(f"--days: {days} is not a number of days")
    loaded, _ = load_checked(resolve_calendar_path(path, config_path))
    calendar = loaded.calendar
    _check_names("--task", tasks, [task.name for task in calendar.tasks])
    _check_names("--host", hosts, list(calendar.hosts))
    start = parse_moment(start_text, calendar.zone, "--from")
    end = period_end(start, days, calendar.zone)
    fires = Planner(calendar).plan(start, end, tasks or None, hosts or None)
    formatter = FireFormatter(calendar.zone)
    with gc_paused():
        if output_format == "json":
            print_json_lines(formatter.as_json(fire) for fire in fires)
            return
        headers = ["AT", "UTC", "TASK", "HOST", "RUNS", "REASON"]
        print_table(headers, [formatter.as_row(fire) for fire in fires])
    skipped = sum(1 for fire in fires if not fire.runs)
    click.echo(
        f"{len(fires)} fires from {start.astimezone(calendar.zone).isoformat()} "
        f"to {end.astimezone(calendar.zone).isoformat()}, {skipped} skipped",
        err=True,
    )


def period_end(start: datetime, days: float, zone: tzinfo) -> datetime:
    """The end of a period of ``days`` local calendar days from ``start``: a day with a DST
    change is 23 or 25 hours long, and "--days 1" still means up to the same wall time."""
    local_end = start.astimezone(zone).replace(tzinfo=None) + timedelta(days=days)
    # From inside a repeated hour a short period could end "before" it starts: count elapsed.
    return max(to_instant(local_end, zone), start + timedelta(days=days))


def _check_names(option: str, given: tuple[str, ...], known: list[str]) -> None:
    for name in given:
        if name not in known:
            hint = did_you_mean(name, known)
            raise UsageError(f"{option}: no {option[2:]} named {name!r} in the calendar{hint}")
