"""The overview's status grid: one row per host, one column per task, each cell the latest
result of that (task, host) in its colour, linking to the run.

A site of 1,000 hosts × 20 tasks is 20,000 cells: the grid is counted whole (the counts per
status at the top of the page) but shown a page of hosts at a time, the hosts with the worst
results first, so what needs attention is on the first page. Filters narrow it to one task,
to hosts whose name holds some text, or to hosts with a result in one status.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from maintd.status import STATUS_TO_RANK, WORST_FIRST
from maintd.store.dashboard_queries import Latest
from maintd.web.dashboard.markup import attribute, link, query, text
from maintd.web.dashboard.paths import run_path
from maintd.web.dashboard.style import NO_RESULT

HOSTS_PER_PAGE = 100
NO_RESULT_RANK = len(WORST_FIRST)  # after every status: a pair that has not run yet is no alarm
# One character per status, so a cell says its status without its colour too.
STATUS_TO_MARK = {
    "OK": "✓", "WARNING": "W", "CRITICAL": "C", "UNKNOWN": "?", "TIMEOUT": "T",
    "UNREACHABLE": "U", "ERROR": "E", "MISSED": "M", "INTERRUPTED": "I", "SKIPPED": "S",
    "RUNNING": "R", NO_RESULT: "·",
}  # fmt: skip
STATUS_ORDER = (*(status.value for status in WORST_FIRST), NO_RESULT)  # the counts' order


@dataclass(frozen=True)
class Cell:
    """One (task, host) and its latest result (run None: it has not run yet)."""

    task: str
    host: str
    run_id: int | None
    status: str  # a Status value, or NO_RESULT


@dataclass(frozen=True)
class HostRow:
    """One host: a cell per column, None where the task does not run on the host."""

    host: str
    cells: tuple[Cell | None, ...]


@dataclass(frozen=True)
class Grid:
    """One page of the grid, and the counts of the whole of it (filtered by task and host)."""

    tasks: tuple[str, ...]
    rows: tuple[HostRow, ...]
    counts: tuple[tuple[str, int], ...]  # (status, cells), worst first, NO_RESULT last
    hosts: int  # hosts shown on all pages together
    page: int
    pages: int


def build_grid(
    tasks: Sequence[str],
    results: Mapping[str, Mapping[str, Latest]],
    *,
    status: str | None = None,
    page: int = 1,
    per_page: int = HOSTS_PER_PAGE,
) -> Grid:
    """The grid of ``tasks`` (columns, in order) from ``results`` (task → host → latest
    result, one entry per host the task runs on): page ``page`` (from 1) of the hosts, worst
    first; with ``status``, only hosts with a cell in that status.

    The whole grid is kept as plain tuples; cells are built for the page shown only (20,000
    objects per view would cost more than the queries that read them).
    """
    by_host: dict[str, list[Latest | None]] = {}
    counts: Counter[str] = Counter()
    for column, task in enumerate(tasks):
        found = results.get(task, {})
        counts.update(found_status or NO_RESULT for _, found_status in found.values())
        for host, latest in found.items():
            row = by_host.get(host)
            if row is None:
                row = by_host[host] = [None] * len(tasks)
            row[column] = latest
    ranked = sorted((_worst_rank(row), host) for host, row in by_host.items())
    if status is not None:
        ranked = [item for item in ranked if _has(by_host[item[1]], status)]
    shown = ranked[(page - 1) * per_page : page * per_page]
    return Grid(
        tasks=tuple(tasks),
        rows=tuple(_host_row(host, tasks, by_host[host]) for _, host in shown),
        counts=tuple((name, counts[name]) for name in STATUS_ORDER if counts[name]),
        hosts=len(ranked),
        page=page,
        pages=max(1, math.ceil(len(ranked) / per_page)),
    )


def _worst_rank(row: Sequence[Latest | None]) -> int:
    """The rank of a host's worst result (0: CRITICAL)."""
    ranks = [STATUS_TO_RANK.get(found or NO_RESULT, NO_RESULT_RANK)
             for _, found in filter(None, row)]  # fmt: skip
    return min(ranks, default=NO_RESULT_RANK)


def _has(row: Sequence[Latest | None], status: str) -> bool:
    return any((found or NO_RESULT) == status for _, found in filter(None, row))


def _host_row(host: str, tasks: Sequence[str], row: Sequence[Latest | None]) -> HostRow:
    cells = tuple(
        None if latest is None else Cell(task, host, latest[0], latest[1] or NO_RESULT)
        for task, latest in zip(tasks, row, strict=True)
    )
    return HostRow(host, cells)


def render_counts(grid: Grid, filters: Mapping[str, str | None], chosen: str | None) -> str:
    """The counts per status as links that filter the grid by that status."""
    items = []
    for status, count in grid.counts:
        css = f"s-{status} chosen" if status == chosen else f"s-{status}"
        label = f"{'no result yet' if status == NO_RESULT else status} {count:,}"
        choose = query({**filters, "status": status, "page": None})
        items.append(f"<li>{link(choose, label, css)}</li>")
    return f'<ul class="counts">{"".join(items)}</ul>' if items else ""


def render_grid(grid: Grid, filters: Mapping[str, str | None]) -> str:
    """The page of the grid as a table, with the links to the other pages."""
    if not grid.rows:
        return '<p class="note">No host matches.</p>'
    head = "".join(
        f'<th scope="col">{link(query({**filters, "task": task, "page": None}), task)}</th>'
        for task in grid.tasks
    )
    body = "".join(_row(row, filters) for row in grid.rows)
    table = (
        f'<table class="grid"><thead><tr><th></th>{head}</tr></thead><tbody>{body}</tbody></table>'
    )
    pager = _pager(grid, filters)
    return pager + table + (pager if grid.pages > 1 else "")


def _row(row: HostRow, filters: Mapping[str, str | None]) -> str:
    host = link(query({**filters, "host": row.host, "page": None}), row.host)
    cells = "".join(f"<td>{_cell(cell)}</td>" if cell else "<td></td>" for cell in row.cells)
    return f'<tr><th scope="row">{host}</th>{cells}</tr>'


def _cell(cell: Cell) -> str:
    title = attribute(f"{cell.task} on {cell.host}: {_words(cell.status)}")
    mark = text(STATUS_TO_MARK.get(cell.status, "?"))
    css = f"cell s-{attribute(cell.status)}"
    if cell.run_id is None:
        return f'<span class="{css}" title="{title}">{mark}</span>'
    return f'<a class="{css}" href="{run_path(cell.run_id)}" title="{title}">{mark}</a>'


def _words(status: str) -> str:
    return "no result yet" if status == NO_RESULT else status


def _pager(grid: Grid, filters: Mapping[str, str | None]) -> str:
    if grid.pages == 1:
        return f'<p class="pages muted">{grid.hosts:,} hosts</p>'
    parts = [f"page {grid.page} of {grid.pages} ({grid.hosts:,} hosts)"]
    if grid.page > 1:
        parts.insert(0, link(query({**filters, "page": str(grid.page - 1)}), "← previous"))
    if grid.page < grid.pages:
        parts.append(link(query({**filters, "page": str(grid.page + 1)}), "next →"))
    return f'<p class="pages">{" · ".join(parts)}</p>'
