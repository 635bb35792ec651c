"""`maintd incidents postmortem ID`: a Markdown post-mortem draft of one incident."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from pathlib import Path

import click

from maintd.cli.options import config_option
from maintd.cli.paths import calendar_if_any, database_option, resolve_database
from maintd.errors import UsageError
from maintd.report import postmortem as report
from maintd.store import IncidentBook, Ledger, open_store, postmortem_queries


@click.command()
@click.argument("incident_id", type=int)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Write the Markdown to this file (default: stdout).",
)  # fmt: skip
@config_option
@database_option
def postmortem(
    *, incident_id: int, out: Path | None, config_path: Path | None, database: str | None
) -> None:
    """Write a post-mortem draft of an incident (Markdown): summary, impact, timeline, SLA,
    notifications and actions from the record, with the root cause left to fill in."""
    calendar = calendar_if_any(config_path)
    zone = calendar.zone if calendar else UTC
    now = datetime.now(UTC)
    ledger = open_store(resolve_database(database, calendar))
    try:
        text = _draft(ledger, incident_id, zone, now)
    finally:
        ledger.close()
    if out is None:
        click.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    click.echo(f"incident {incident_id}: post-mortem written to {out}", err=True)


def _draft(ledger: Ledger, incident_id: int, zone: tzinfo, now: datetime) -> str:
    """Read what the store holds about the incident and write it up."""
    book = IncidentBook(ledger.engine)
    incident = book.get(incident_id)
    if incident is None:
        raise UsageError(f"no incident {incident_id}")
    runs = []
    if incident["task"] and incident["host"]:
        end = incident["resolved_at"] or now
        runs = postmortem_queries.runs_of_pair(
            ledger.engine, incident["task"], incident["host"], incident["opened_at"], end
        )
    deliveries = postmortem_queries.deliveries_of(ledger.engine, incident_id)
    timeline = book.timeline(incident_id)
    return report.write_postmortem(incident, timeline, runs, deliveries, zone, now=now)
