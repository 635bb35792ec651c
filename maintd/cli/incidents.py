"""`maintd incidents`: list and show incidents, report one by hand, acknowledge, resolve and
annotate them, write their post-mortem."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import click

from maintd.cli.options import config_option, format_option
from maintd.cli.output import format_local, print_json, print_table
from maintd.cli.paths import database_option, open_records
from maintd.cli.postmortem import postmortem
from maintd.errors import UsageError
from maintd.store import DeliveryBook, IncidentBook, Step

LIST_COLUMNS = ["ID", "STATE", "SEVERITY", "OPENED", "TITLE", "SUMMARY"]
STATES = ["open", "acknowledged", "resolved"]


@click.group(invoke_without_command=True)
@click.pass_context
def incidents(context: click.Context) -> None:
    """Incidents opened from check results (`list` when no command is given)."""
    if context.invoked_subcommand is None:
        context.invoke(list_incidents)


@incidents.command("list")
@click.option(
    "--state", "states", multiple=True, type=click.Choice(STATES),
    help="Only incidents in this state (repeatable; default: open and acknowledged).",
)  # fmt: skip
@config_option
@database_option
@format_option
def list_incidents(
    *,
    states: tuple[str, ...] = (),
    config_path: Path | None = None,
    database: str | None = None,
    output_format: str = "table",
) -> None:
    """Incidents, newest first."""
    with open_records(config_path, database) as records:
        found = records.incidents.listing(states=states or ("open", "acknowledged"))
    zone = records.zone
    if output_format == "json":
        print_json(found)
        return
    print_table(LIST_COLUMNS, [
        [str(row["id"]), row["state"], row["severity"], format_local(row["opened_at"], zone),
         row["title"], " ".join((row["summary"] or "").split())[:120]]
        for row in found
    ])  # fmt: skip


@incidents.command()
@click.argument("incident_id", type=int)
@config_option
@database_option
@format_option
def show(
    *, incident_id: int, config_path: Path | None, database: str | None, output_format: str
) -> None:
    """One incident with its timeline."""
    with open_records(config_path, database) as records:
        incident = records.incident(incident_id)
        timeline = records.incidents.timeline(incident_id)
        deliveries = DeliveryBook(records.ledger.engine).of_incident(incident_id)
    zone = records.zone
    if output_format == "json":
        print_json({**incident, "timeline": timeline, "deliveries": deliveries})
        return
    for label, key in (("title", "title"), ("state", "state"), ("severity", "severity"),
                       ("status", "status"), ("acknowledged by", "acknowledged_by")):  # fmt: skip
        click.echo(f"{label + ':':<17}{incident[key] or '-'}")
    for label, key in (("opened", "opened_at"), ("acknowledged", "acknowledged_at"),
                       ("resolved", "resolved_at"), ("respond by", "respond_due"),
                       ("resolve by", "resolve_due")):  # fmt: skip
        click.echo(f"{label + ':':<17}{format_local(incident[key], zone)}")
    for label, key in (("respond clock", "respond_clock"), ("resolve clock", "resolve_clock")):
        if incident[key]:
            click.echo(f"{label + ':':<17}{incident[key]}")
    click.echo()
    print_table(["AT", "STEP", "STATUS", "BY", "TEXT"], [
        [format_local(step["at"], zone), step["kind"], step["status"] or "", step["by"] or "",
         " ".join(step["text"].split())]
        for step in timeline
    ])  # fmt: skip
    if deliveries:
        click.echo()
        print_table(["QUEUED", "EVENT", "TO", "ENDPOINT", "STATE", "ATTEMPTS", "ERROR"], [
            [format_local(row["created_at"], zone), row["event"], row["target"], row["endpoint"],
             row["state"], str(row["attempts"]), (row["last_error"] or "")[:80]]
            for row in deliveries
        ])  # fmt: skip


@incidents.command("open")
@click.option("--title", required=True, help="What is wrong, in one line.")
@click.option("--severity", required=True, help="A severity of the calendar's `severities`.")
@click.option("--host", default=None, help="The host it concerns, if one.")
@click.option("--note", "text", default="", help="Details for the timeline.")
@click.option("--by", default=None, help="Who reports it (default: the login name).")
@config_option
@database_option
def open_incident(  # noqa: PLR0913 - one keyword per command-line option
    *, title: str, severity: str, host: str | None, text: str, by: str | None,
    config_path: Path | None, database: str | None,
) -> None:  # fmt: skip
    """Report a problem by hand: it gets the same SLA clocks, escalation and notices."""
    with open_records(config_path, database) as records:
        calendar = records.calendar
        if calendar is not None:
            if calendar.severities and severity not in calendar.severities:
                known = ", ".join(sorted(calendar.severities))
                raise UsageError(f"no severity {severity!r} in the calendar (known: {known})")
            if host is not None and host not in calendar.hosts:
                raise UsageError(f"no host {host!r} in the calendar")
        person = by or getpass.getuser()
        step = Step(datetime.now(UTC), "opened", text or title, by=person)
        incident_id = records.incidents.open(
            kind="manual", task=None, host=host, title=title, severity=severity, step=step
        )
    click.echo(f"incident {incident_id}: opened by {person}")


def _person_step(
    action: Callable[[IncidentBook, int, Step], None], kind: str
) -> Callable[..., None]:
    """A command where a person changes an incident: `ack`, `resolve`, `note`."""

    @click.argument("incident_id", type=int)
    @click.option("--by", default=None, help="Who (default: the login name).")
    @click.option("--note", "text", default="", help="What to add to the timeline.")
    @config_option
    @database_option
    def command(
        *, incident_id: int, by: str | None, text: str, config_path: Path | None,
        database: str | None,
    ) -> None:  # fmt: skip
        with open_records(config_path, database) as records:
            incident = records.incident(incident_id)
            if kind != "note" and incident["state"] == "resolved":
                raise UsageError(f"incident {incident_id} is resolved already")
            if kind == "note" and not text:
                raise UsageError("give the note's text with --note")
            person = by or getpass.getuser()
            action(records.incidents, incident_id, Step(datetime.now(UTC), kind, text, by=person))
        click.echo(f"incident {incident_id}: {kind} by {person}")

    return command


incidents.command("ack", help="Acknowledge an incident: someone is on it.")(
    _person_step(IncidentBook.acknowledge, "acknowledged")
)
incidents.command("resolve", help="Resolve an incident by hand.")(
    _person_step(IncidentBook.resolve, "resolved")
)
incidents.command("note", help="Add a note to an incident's timeline.")(
    _person_step(IncidentBook.note, "note")
)
incidents.add_command(postmortem)
