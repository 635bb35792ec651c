"""`maintd incidents postmortem ID`: a Markdown post-mortem draft of one incident."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from maintd.cli.options import config_option
from maintd.cli.paths import Records, database_option, open_records
from maintd.report import postmortem as report
from maintd.store import DeliveryBook


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
    with open_records(config_path, database) as records:
        text = _draft(records, incident_id, datetime.now(UTC))
    if out is None:
        click.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    click.echo(f"incident {incident_id}: post-mortem written to {out}", err=True)


def _draft(records: Records, incident_id: int, now: datetime) -> str:
    """Read what the store holds about the incident and write it up."""
    incident = records.incident(incident_id)
    runs = []
    if incident["task"] and incident["host"]:
        end = incident["resolved_at"] or now
        runs = records.ledger.runs_of_pair(
            incident["task"], incident["host"], incident["opened_at"], end
        )
    deliveries = DeliveryBook(records.ledger.engine).of_incident(incident_id)
    timeline = records.incidents.timeline(incident_id)
    return report.write_postmortem(incident, timeline, runs, deliveries, records.zone, now=now)
