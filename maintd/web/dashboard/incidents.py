"""Incidents on the dashboard: the open ones with their SLA clocks (on the overview), and one
incident with its deadlines and its timeline (``/incidents/<id>``, where notifications link).

A clock reads as the report judges it (``report.kpi.judge_deadline``): met or breached once
answered (the respond clock by an acknowledgement, the resolve clock by a resolution), else
running with the time left, or breached and for how long. The deadlines are the response
desk's, with paused windows and business hours already counted in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from maintd.report import kpi
from maintd.respond.message import describe
from maintd.web.dashboard.markup import (
    NOTHING,
    facts,
    link,
    local_time,
    query,
    relative,
    status_badge,
    table,
    text,
    when,
)
from maintd.web.dashboard.paths import incident_path, run_path, trend_path

Row = Mapping[str, Any]
INCIDENT_HEADERS = ("#", "severity", "state", "what", "status", "opened", "respond", "resolve")


def clock(row: Row, which: str, now: datetime, zone: tzinfo) -> str:
    """One SLA clock of an incident (``which``: respond | resolve) as HTML: its verdict, with
    the deadline in the title."""
    due = row[f"{which}_due"]
    answered = row["acknowledged_at"] if which == "respond" else row["resolved_at"]
    if which == "respond" and answered is None:
        answered = row["resolved_at"]  # a resolution answers the page as well
    verdict = kpi.judge_deadline(answered, due, now)
    if verdict == kpi.Verdict.NO_COMMITMENT:
        return f'<span class="clock none">{NOTHING}</span>'
    title = text(f"due {local_time(due, zone)}")
    if verdict == kpi.Verdict.MET:
        words, css = "met", "met"
    elif verdict == kpi.Verdict.BREACHED:
        late = relative(due, now) if answered is None else f"answered {relative(due, answered)}"
        words, css = f"breached ({late})", "breached"
    else:
        warned = row[f"{which}_clock"] == "warned"
        words, css = (
            f"{relative(due, now).removeprefix('in ')} left",
            ("warned" if warned else "running"),
        )
    return f'<span class="clock {css}" title="{title}">{text(words)}</span>'


def incident_rows(rows: Sequence[Row], now: datetime, zone: tzinfo, root: str) -> list[list[str]]:
    """The cells of the incidents table, one row per incident."""
    return [
        [
            link(root + incident_path(row["id"]), f"#{row['id']}"),
            text(row["severity"]),
            text(row["state"]) + (" (flapping)" if row["flapping"] else ""),
            text(describe(dict(row))),
            status_badge(row["status"]) + " " + text(_shorten(row["summary"] or "", 160)),
            f'<span title="{text(local_time(row["opened_at"], zone))}">'
            f"{text(relative(row['opened_at'], now))}</span>",
            clock(row, "respond", now, zone),
            clock(row, "resolve", now, zone),
        ]
        for row in rows
    ]


def render_open_incidents(rows: Sequence[Row], total: int, now: datetime, zone: tzinfo) -> str:
    """The overview's incidents section: the most urgent first, and how many are open."""
    if not rows:
        return '<p class="note">No open incident.</p>'
    note = (
        f'<p class="muted">the {len(rows)} most urgent of {total:,}</p>'
        if total > len(rows) else ""
    )  # fmt: skip
    return note + table(INCIDENT_HEADERS, incident_rows(rows, now, zone, ""), "incidents")


@dataclass(frozen=True)
class IncidentView:
    """An incident and what its page shows beside it."""

    incident: Row
    steps: Sequence[Row]  # the latest steps of its timeline, oldest first
    total_steps: int
    links: Sequence[tuple[str, str]]  # (href, label), relative to the page
    runbook: str | None  # its task's, from the calendar
    now: datetime
    zone: tzinfo


def render_incident(view: IncidentView) -> str:
    """The body of an incident's page: what it is about, its clocks, links to its runs or
    forecast, and its timeline."""
    incident, now, zone = view.incident, view.now, view.zone
    acknowledged = incident["acknowledged_at"]
    by = f" by {incident['acknowledged_by']}" if incident["acknowledged_by"] else ""
    about = facts([
        ("state", text(incident["state"]) + (" (flapping)" if incident["flapping"] else "")),
        ("severity", text(incident["severity"])),
        ("kind", text(incident["kind"])),
        ("task", _filter_link("task", incident["task"])),
        ("host", _filter_link("host", incident["host"])),
        ("runbook", text(view.runbook or NOTHING)),
        ("status", status_badge(incident["status"])),
        ("summary", text(incident["summary"] or NOTHING)),
        ("opened", when(incident["opened_at"], now, zone)),
        ("acknowledged", when(acknowledged, now, zone) + text(by if acknowledged else "")),
        ("resolved", when(incident["resolved_at"], now, zone)),
        ("re-opened", text(f"{incident['reopened']} times")),
    ])  # fmt: skip
    deadlines = facts([
        ("clocks started", when(incident["clock_started_at"], now, zone)),
        ("respond by", when(incident["respond_due"], now, zone)),
        ("respond clock", clock(incident, "respond", now, zone)),
        ("resolve by", when(incident["resolve_due"], now, zone)),
        ("resolve clock", clock(incident, "resolve", now, zone)),
    ])  # fmt: skip
    related = " · ".join(link(href, label) for href, label in view.links)
    return (
        f"{about}<h2>SLA</h2>{deadlines}"
        + (f"<p>{related}</p>" if related else "")
        + "<h2>Timeline</h2>"
        + _timeline(view.steps, view.total_steps, zone)
    )


def _filter_link(name: str, value: str | None) -> str:
    """A link to the overview narrowed to ``value`` (from ``/incidents/<id>``)."""
    return link("../" + query({name: value}), value) if value else NOTHING


def _timeline(steps: Sequence[Row], total: int, zone: tzinfo) -> str:
    if not steps:
        return '<p class="note">No step recorded.</p>'
    note = (
        f'<p class="muted">the latest {len(steps)} of {total:,} steps</p>'
        if total > len(steps) else ""
    )  # fmt: skip
    rows = [
        [text(local_time(step["at"], zone)), text(step["kind"]), status_badge(step["status"]),
         text(step["text"] or ""), text(step["by"] or "maintd")]
        for step in steps
    ]  # fmt: skip
    return note + table(("at", "step", "status", "what", "by"), rows, "timeline")


def pair_links(
    incident: Row, latest_run: int | None, forecast: Row | None, root: str
) -> list[tuple[str, str]]:
    """Links from an incident to the latest run of its (task, host) and to the trend its
    forecast was made on."""
    links = []
    if latest_run is not None:
        links.append((root + run_path(latest_run), f"latest run of {describe(dict(incident))}"))
    if forecast is not None:
        path = trend_path(forecast["task"], forecast["host"], forecast["metric"])
        links.append((root + path, f"trend of {forecast['metric']}"))
    return links


def _shorten(value: str, limit: int) -> str:
    flat = " ".join(value.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
