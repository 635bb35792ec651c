"""The report in Markdown: the same sections and tables as the HTML page, the heat-map as a table
of the worst status per task and day, the other charts left to the HTML page.

Every cell is escaped: ``|`` and line breaks (``postmortem.escape_cell``), and ``<``, ``>``
and ``&``, so that a plugin printing HTML cannot put markup into a page rendered from this.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from maintd.report import tables
from maintd.report.content import ReportData
from maintd.report.postmortem import escape_cell
from maintd.report.runs import HeatMap
from maintd.report.texts import Texts

EMPTY_CELL = "·"


def render_markdown(data: ReportData, texts: Texts, version: str) -> str:
    """The whole report as Markdown text."""
    parts = [
        f"# {inline(tables.title_of(data, texts))}",
        f"_{inline(tables.period_line(data, texts))}_",
        f"> {inline(texts('charts_in_html'))}",
    ]
    for section in tables.build_sections(data, texts):
        parts.append(f'<a id="{section.key}"></a>\n\n## {inline(section.title)}')
        parts.extend(inline(line) for line in section.lines)
        if section.key == "runs" and data.by_task:
            parts.append(heatmap_table(data.heatmap, texts))
        parts.extend(render_table(table) for table in section.tables)
    parts.append(f"_{inline(texts('footer', version=version))}_")
    return "\n\n".join(parts) + "\n"


def render_table(table: tables.Table) -> str:
    """A pipe table, under its caption as a third-level heading when it has one."""
    align = ["---:" if index in table.numeric else "---" for index in range(len(table.headers))]
    lines = [table_line(table.headers), "| " + " | ".join(align) + " |"]
    lines.extend(table_line(row) for row in table.rows)
    text = "\n".join(lines)
    return f"### {inline(table.caption)}\n\n{text}" if table.caption else text


def heatmap_table(heatmap: HeatMap, texts: Texts) -> str:
    """The heat-map as a table: one row per task, one column per day, the worst status."""
    headers = [texts("col_task"), *(day.strftime("%m-%d") for day in heatmap.days)]
    rows = [
        [task, *(cell.worst or EMPTY_CELL for cell in heatmap.row(task))] for task in heatmap.tasks
    ]
    return render_table(tables.Table(tuple(headers), tuple(map(tuple, rows)),
                                     texts("heatmap_title")))  # fmt: skip


def table_line(cells: Iterable[str]) -> str:
    """One row of a pipe table, every cell escaped."""
    return "| " + " | ".join(markdown_cell(cell) for cell in cells) + " |"


def markdown_cell(text: str) -> str:
    """``text`` safe in a table cell: markup characters as entities, ``|`` escaped, line
    breaks as ``<br>``; an empty cell stays empty."""
    return escape_cell(html.escape(text, quote=False))


def inline(text: str | None) -> str:
    """``text`` on one line with markup characters as entities (headings, paragraphs)."""
    return html.escape(" ".join((text or "").split()), quote=False)
