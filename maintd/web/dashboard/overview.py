"""The overview (``/``), what an on-call engineer glances at: the counts per status, the open
incidents with their SLA clocks, the status grid of task × host, and the fires of the next
24 hours, all narrowed by the same filters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from maintd.plan.upcoming import Upcoming
from maintd.web.dashboard.filters import STATUSES, Filters
from maintd.web.dashboard.grid import Grid, render_counts, render_grid
from maintd.web.dashboard.incidents import render_open_incidents
from maintd.web.dashboard.markup import attribute, link, local_time, query, relative, table, text
from maintd.web.dashboard.style import NO_RESULT

REFRESH_SECONDS = 30


@dataclass(frozen=True)
class Overview:
    """Everything the overview shows, read for one view."""

    filters: Filters
    tasks: Sequence[str]  # the calendar's, for the task filter
    grid: Grid
    incidents: Sequence[Mapping[str, Any]]
    open_incidents: int
    upcoming: Upcoming
    now: datetime
    zone: tzinfo


def render_overview(view: Overview) -> str:
    """The body of the overview."""
    kept = view.filters.as_query()
    return "".join([
        _form(view.filters, view.tasks),
        render_counts(view.grid, kept, view.filters.status),
        f'<section id="incidents"><h2>Open incidents ({view.open_incidents:,})</h2>',
        render_open_incidents(view.incidents, view.open_incidents, view.now, view.zone),
        '</section><section id="grid"><h2>Latest result of each task on each host</h2>',
        render_grid(view.grid, kept),
        '</section><section id="upcoming"><h2>Next 24 hours</h2>',
        _upcoming(view.upcoming, view.now, view.zone),
        "</section>",
    ])  # fmt: skip


def _form(filters: Filters, tasks: Sequence[str]) -> str:
    """The filter form: a GET of this same page, so every view can be bookmarked."""
    task_options = _options(["", *tasks], filters.task or "", "every task")
    status_options = _options(["", *STATUSES], filters.status or "", "any status")
    return (
        '<form class="filters" method="get">'
        f'<label>task<select name="task">{task_options}</select></label>'
        f'<label>host (db1, or db* for many)<input name="host" value="{attribute(filters.host)}" '
        'size="16" maxlength="200"></label>'
        f'<label>status<select name="status">{status_options}</select></label>'
        f'<button type="submit">filter</button>{link("?", "show everything")}</form>'
    )


def _options(values: Sequence[str], chosen: str, everything: str) -> str:
    options = []
    for value in values:
        label = everything if value == "" else ("no result yet" if value == NO_RESULT else value)
        selected = " selected" if value == chosen else ""
        options.append(f'<option value="{attribute(value)}"{selected}>{text(label)}</option>')
    return "".join(options)


def _upcoming(upcoming: Upcoming, now: datetime, zone: tzinfo) -> str:
    if not upcoming.total:
        return '<p class="note">No fire planned in the next 24 hours.</p>'
    shown = len(upcoming.fires)
    note = (
        f"the first {shown} of {upcoming.total:,} fires"
        if upcoming.total > shown else f"{upcoming.total:,} fires"
    )  # fmt: skip
    rows = [
        [
            text(local_time(fire.at, zone)),
            text(relative(fire.at, now)),
            link(query({"task": fire.task}), fire.task),
            link(query({"host": fire.host}), fire.host),
            "runs" if fire.runs else text(f"will not run: {fire.reason}"),
        ]
        for fire in upcoming.fires
    ]
    per_task = ", ".join(f"{text(task)} {count:,}" for task, count in upcoming.by_task)
    return (
        f'<p class="muted">{note}</p>'
        + table(("at", "in", "task", "host", "decision"), rows, "upcoming")
        + f"<details><summary>fires per task</summary><p>{per_task}</p></details>"
    )
