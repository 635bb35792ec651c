"""`maintd incidents`: reading and answering incidents the daemon's responder opened."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner, Result

from maintd.cli import cli
from maintd.respond import Policy, Responder
from maintd.respond import Result as RunResult
from maintd.status import Status
from maintd.store import IncidentBook, open_store

T0 = datetime.now(UTC) - timedelta(hours=1)  # the timeline is in time order


def maintd(database: Path, *arguments: str) -> Result:
    environment = {"MAINTD_DB": str(database), "MAINTD_CONFIG": str(database.parent / "none")}
    return CliRunner().invoke(cli, list(arguments), env=environment)


def test_people_list_show_acknowledge_note_and_resolve_incidents(tmp_path: Path) -> None:
    database = tmp_path / "maintd.db"
    ledger = open_store(str(database))
    respond = Responder(IncidentBook(ledger.engine), lambda _: Policy(), lambda *_: "critical")
    respond.observe(RunResult("disk", "db1", Status.CRITICAL, "DISK CRITICAL - / 97%", T0))
    respond.observe(RunResult("load", "db2", Status.OK, "LOAD OK", T0))
    ledger.close()

    listed = (
        maintd(database, "incidents", "--format", "json")
        if False
        else maintd(database, "incidents", "list", "--format", "json")
    )
    assert listed.exit_code == 0, listed.output
    (incident,) = json.loads(listed.stdout)
    assert (incident["title"], incident["state"]) == ("disk on db1: CRITICAL", "open")
    number = str(incident["id"])

    assert "disk on db1: CRITICAL" in maintd(database, "incidents").stdout  # list by default
    acked = maintd(database, "incidents", "ack", number, "--by", "li", "--note", "on it")
    assert acked.exit_code == 0 and "acknowledged by li" in acked.stdout
    assert maintd(database, "incidents", "note", number, "--by", "li").exit_code == 2
    noted = maintd(database, "incidents", "note", number, "--by", "li", "--note", "disk swapped")
    assert noted.exit_code == 0
    assert maintd(database, "incidents", "resolve", number, "--by", "li").exit_code == 0
    assert maintd(database, "incidents", "resolve", number).exit_code == 2  # resolved already
    assert maintd(database, "incidents", "show", "999").exit_code == 2

    shown = json.loads(maintd(database, "incidents", "show", number, "--format", "json").stdout)
    assert shown["state"] == "resolved" and shown["acknowledged_by"] == "li"
    steps = [(step["kind"], step["by"], step["text"]) for step in shown["timeline"]]
    assert steps == [
        ("opened", None, "DISK CRITICAL - / 97%"),
        ("acknowledged", "li", "on it"),
        ("note", "li", "disk swapped"),
        ("resolved", "li", ""),
    ]
    table = maintd(database, "incidents", "show", number).stdout
    assert "acknowledged by: li" in table and "disk swapped" in table
    assert maintd(database, "incidents", "list", "--state", "resolved").stdout.count("disk") == 1
