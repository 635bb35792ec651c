"""One run's page (``/runs/<id>``): when it was scheduled, started and finished, how it ended,
its output as the ledger keeps it (escaped, in a ``<pre>``), what it measured (its perfdata,
each label linking to the metric's trend), and the runs of its (task, host) around it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from maintd.web.dashboard.markup import (
    NOTHING,
    facts,
    link,
    local_time,
    query,
    span,
    status_badge,
    table,
    text,
    when,
)
from maintd.web.dashboard.paths import incident_path, run_path, trend_path

Row = Mapping[str, Any]
MEASUREMENT_HEADERS = ("label", "value", "unit", "warn", "crit", "min", "max")


def title_of(run: Row) -> str:
    """``Run 12: disk on db1``."""
    return f"Run {run['id']}: {run['task']} on {run['host']}"


@dataclass(frozen=True)
class RunView:
    """A run and what its page shows beside it."""

    run: Row
    measurements: Sequence[Row]  # its perfdata
    neighbours: Sequence[Row]  # the newest runs of its (task, host)
    incidents: Sequence[Row]  # the open incidents of its (task, host)
    now: datetime
    zone: tzinfo


def render_run(view: RunView) -> str:
    """The body of a run's page; links are relative to ``/runs/<id>``."""
    root, run, now, zone = "../", view.run, view.now, view.zone
    details = facts([
        ("status", status_badge(run["status"])),
        ("task", link(root + query({"task": run["task"]}), run["task"])),
        ("host", link(root + query({"host": run["host"]}), run["host"])),
        ("scheduled", when(run["scheduled_for"], now, zone)),
        ("started", when(run["started_at"], now, zone)),
        ("finished", when(run["finished_at"], now, zone)),
        ("duration", text(_duration(run["duration"]))),
        ("exit code", text(_or_nothing(run["exit_code"]))),
        ("attempt", text(run["attempt"])),
        ("trigger", text(run["trigger"])),
        ("node", text(run["node"] or NOTHING)),
        ("summary", text(run["summary"] or NOTHING)),
        ("reason", text(run["reason"] or NOTHING)),
    ])  # fmt: skip
    parts = [details]
    if view.incidents:
        links = ", ".join(
            link(root + incident_path(row["id"]), f"#{row['id']} {row['title']} ({row['state']})")
            for row in view.incidents
        )
        parts.append(f"<p>Open incidents of this task on this host: {links}</p>")
    parts.append("<h2>Output</h2>")
    # The ledger keeps the first line as the summary (its perfdata parsed into the table
    # below) and the rest, with maintd's notes, as the output: together, what the plugin said.
    output = "\n".join(part for part in (run["summary"], run["output"]) if part)
    parts.append(f"<pre>{text(output)}</pre>" if output else '<p class="note">No output.</p>')
    parts.append("<h2>Perfdata</h2>")
    parts.append(_measurements(run, view.measurements, root))
    parts.append("<h2>Recent runs of this task on this host</h2>")
    parts.append(_neighbours(run, view.neighbours, root, zone))
    return "".join(parts)


def _measurements(run: Row, measurements: Sequence[Row], root: str) -> str:
    if not measurements:
        return '<p class="note">No perfdata.</p>'
    rows = [
        [
            link(root + trend_path(run["task"], run["host"], item["name"]), item["name"]),
            f'<span class="num">{text(_or_nothing(item["value"]))}</span>',
            text(item["unit"] or ""),
            text(item["warn"] or ""),
            text(item["crit"] or ""),
            text(_or_blank(item["minimum"])),
            text(_or_blank(item["maximum"])),
        ]
        for item in measurements
    ]
    return table(MEASUREMENT_HEADERS, rows, "perfdata")


def _neighbours(run: Row, neighbours: Sequence[Row], root: str, zone: tzinfo) -> str:
    rows = []
    for other in neighbours:
        label = f"#{other['id']}" + (" (this run)" if other["id"] == run["id"] else "")
        rows.append([
            link(root + run_path(other["id"]), label),
            text(local_time(other["scheduled_for"], zone)),
            status_badge(other["status"]),
            text(_duration(other["duration"])),
            text(other["summary"] or other["reason"] or ""),
        ])  # fmt: skip
    return table(("run", "scheduled", "status", "duration", "summary"), rows, "neighbours")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return NOTHING
    return f"{seconds:.2f}s" if seconds < 60 else span(timedelta(seconds=seconds))


def _or_nothing(value: object) -> object:
    return NOTHING if value is None else value


def _or_blank(value: object) -> object:
    return "" if value is None else value
