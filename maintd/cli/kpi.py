"""`maintd kpi`: how maintenance went over a period — planned work done on time, how fast
incidents were answered and fixed, whether the fixes held and the backups were verified."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from maintd.cli.options import config_option, format_option, parse_when
from maintd.cli.output import format_local, print_json, print_table
from maintd.cli.paths import database_option, open_records
from maintd.config.types import format_duration
from maintd.errors import UsageError
from maintd.report import kpi as report
from maintd.report.kpi_json import kpis_json
from maintd.report.kpi_source import read_kpis

DEFAULT_PERIOD = timedelta(days=30)
NO_DATA = "—"
COLUMNS = ["KPI", "VALUE", "BASIS"]
WHEN_HELP = "an ISO date or date-time (local), or an age such as 7d or 24h"


@click.command()
@click.option("--since", metavar="WHEN", help=f"Start of the period: {WHEN_HELP} (default: 30d).")
@click.option("--until", metavar="WHEN", help=f"End of the period, excluded: {WHEN_HELP}.")
@config_option
@database_option
@format_option
def kpi(
    *,
    since: str | None,
    until: str | None,
    config_path: Path | None,
    database: str | None,
    output_format: str,
) -> None:
    """Maintenance KPIs of a period (default: the last 30 days)."""
    with open_records(config_path, database) as records:
        calendar, zone = records.calendar, records.zone
        now = datetime.now(UTC).replace(microsecond=0)
        start = parse_when(since, zone, now, "--since", ago=True) if since else now - DEFAULT_PERIOD
        end = parse_when(until, zone, now, "--until", ago=True) if until else now
        if start >= end:
            raise UsageError("--since must be before --until")
        kpis, _ = read_kpis(records.ledger, calendar, start, end, now)
    if output_format == "json":
        print_json(kpis_json(kpis, zone))
        return
    click.echo(f"{format_local(start, zone)} to {format_local(end, zone)}")
    print_table(COLUMNS, table_rows(kpis))


def table_rows(kpis: report.Kpis) -> list[list[str]]:
    """One row per KPI: its name, its value (``—`` without data) and the counts behind it."""
    opened = kpis.incidents_opened
    response, resolution = kpis.response, kpis.resolution
    rows = [
        _share_row("planned on time", kpis.planned_on_time,
                   f"ran at their time, {kpis.planned_on_time.missed} did not", "due fires"),
        _mean_row("MTTA", kpis.acknowledge, f"of {opened} incidents acknowledged"),
        _mean_row("MTTR", kpis.resolve, f"of {opened} incidents resolved"),
        _share_row("on-time response", response,
                   f"answered by the deadline, {response.pending} not yet due", "incidents"),
        _share_row("on-time resolution", resolution,
                   f"resolved by the deadline, {resolution.pending} not yet due", "incidents"),
        _share_row("first-time fix", kpis.first_time_fix,
                   "not re-opened within 7 days", "resolved incidents"),
        _share_row("backup verified", kpis.backup_verified, "OK", "backup runs"),
    ]  # fmt: skip
    for times in kpis.by_severity:
        count = f"of {times.opened} {times.severity} incidents"
        rows.append(_mean_row(f"MTTA {times.severity}", times.acknowledge, f"{count} acknowledged"))
        rows.append(_mean_row(f"MTTR {times.severity}", times.resolve, f"{count} resolved"))
    return rows


def _share_row(name: str, share: report.Share, outcome: str, what: str) -> list[str]:
    value = NO_DATA if share.pct is None else f"{share.pct:.1f} %"
    return [name, value, f"{share.part} of {share.whole} {what} {outcome}"]


def _mean_row(name: str, mean: report.Mean, basis: str) -> list[str]:
    if mean.seconds is None:
        return [name, NO_DATA, f"0 {basis}"]
    return [name, format_duration(timedelta(seconds=mean.seconds)), f"{mean.count} {basis}"]
