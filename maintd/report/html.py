"""The report as one self-contained HTML page: the sections and tables of ``tables``, the charts
of ``svg`` inline, and a stylesheet in the page — nothing is fetched, so the file can be mailed,
archived or opened offline and still read the same.

Printed, each section starts a page, tables and charts are not split, the navigation is left
out and the heat-map keeps its colours; there are no dark backgrounds to waste ink. Every text
that comes from the calendar, the hosts or people is escaped.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from maintd.report import display, svg, tables
from maintd.report.content import ReportData
from maintd.report.runs import HeatCell
from maintd.report.texts import Texts
from maintd.report.trends import ForecastView, TrendChart

STYLE = """
:root { color-scheme: light; }
body { font-family: 'Noto Sans', 'WenQuanYi Zen Hei', 'Helvetica Neue', Arial, sans-serif;
  color: #222; background: #fff; margin: 2rem auto; max-width: 1100px; padding: 0 1rem;
  line-height: 1.45; }
h1 { font-size: 1.7rem; margin: 0 0 .25rem; }
h2 { font-size: 1.3rem; border-bottom: 2px solid #08519c; padding-bottom: .2rem;
  margin-top: 2.2rem; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
.period, footer, figcaption { color: #555; }
nav ol { display: flex; flex-wrap: wrap; gap: .3rem 1.4rem; padding-left: 1.2rem; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; font-size: .88rem; }
th, td { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f1f5fa; font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
pre { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; font-size: .8rem; }
figure { margin: .6rem 0 1.2rem; }
figcaption { font-size: .85rem; margin-top: .2rem; }
svg.chart { max-width: 100%; height: auto; }
footer { margin-top: 2.5rem; font-size: .85rem; }
@page { size: A4; margin: 14mm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 10pt; }
  nav { display: none; }
  section { break-before: page; page-break-before: always; }
  section:first-of-type { break-before: auto; page-break-before: auto; }
  table, figure, tr, pre { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  a { color: inherit; text-decoration: none; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def render_html(data: ReportData, texts: Texts, version: str) -> str:
    """The whole report as one HTML document."""
    title = tables.title_of(data, texts)
    sections = tables.build_sections(data, texts)
    nav = "".join(
        f'<li><a href="#{section.key}">{escape(section.title)}</a></li>' for section in sections
    )
    body = "\n".join(render_section(section, data, texts) for section in sections)
    return (
        f'<!DOCTYPE html>\n<html lang="{texts.html_lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="maintd {escape(version)}">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f'<header><h1>{escape(title)}</h1>\n<p class="period">'
        f"{escape(tables.period_line(data, texts))}</p></header>\n"
        f"<nav><ol>{nav}</ol></nav>\n{body}\n"
        f"<footer>{escape(texts('footer', version=version))}</footer>\n</body>\n</html>\n"
    )


def render_section(section: tables.Section, data: ReportData, texts: Texts) -> str:
    """A section: its heading, its lines, its chart (if it has one), then its tables."""
    parts = [f'<section id="{section.key}">', f"<h2>{escape(section.title)}</h2>"]
    parts.extend(f"<p>{escape(line)}</p>" for line in section.lines)
    chart = SECTION_TO_CHART.get(section.key)
    if chart is not None:
        parts.append(chart(data, texts))
    parts.extend(render_table(table) for table in section.tables)
    parts.append("</section>")
    return "\n".join(parts)


def render_table(table: tables.Table) -> str:
    """A table under its caption (a third-level heading), every cell escaped."""
    head = "".join(
        f"<th{_numeric(table, index)}>{escape(header)}</th>"
        for index, header in enumerate(table.headers)
    )
    rows = []
    for row in table.rows:
        cells = "".join(
            f"<td{_numeric(table, index)}>{_cell(table, index, text)}</td>"
            for index, text in enumerate(row)
        )
        rows.append(f"<tr>{cells}</tr>")
    caption = f"<h3>{escape(table.caption)}</h3>\n" if table.caption else ""
    body = "\n".join(rows)
    return f"{caption}<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def _numeric(table: tables.Table, index: int) -> str:
    return ' class="num"' if index in table.numeric else ""


def _cell(table: tables.Table, index: int, text: str) -> str:
    if index in table.preformatted and text:
        return f"<pre>{escape(text)}</pre>"
    return escape(text)


def heatmap_figure(data: ReportData, texts: Texts) -> str:
    """The status heat-map of task × day, or nothing when no run was recorded."""
    if not data.by_task:
        return ""

    def describe(cell: HeatCell) -> str:
        counts = display.status_counts(cell.counts) or texts("heatmap_no_runs")
        return texts("heatmap_cell", task=cell.task, day=cell.day.isoformat(), counts=counts)

    labels = svg.HeatLabels(texts("heatmap_title"), texts("heatmap_no_runs"))
    return _figure("heatmap", svg.heatmap_chart(data.heatmap, labels, describe),
                   texts("heatmap_title"))  # fmt: skip


def kpi_figure(data: ReportData, texts: Texts) -> str:
    """Bars of the percentage KPIs."""
    bars = [
        svg.Bar(item.name, item.pct, item.value, item.basis)
        for item in tables.kpi_items(data.kpis, texts)
        if item.is_percent
    ]
    return _figure("kpi-bars", svg.kpi_bars(bars, texts("kpi_chart")), texts("kpi_chart"))


def trend_figures(data: ReportData, texts: Texts) -> str:
    """A trend chart for every threshold forecast that holds a fit."""
    return "\n".join(
        trend_figure(view, view.chart, data, texts)
        for view in data.forecasts
        if view.chart is not None
    )


def trend_figure(view: ForecastView, chart: TrendChart, data: ReportData, texts: Texts) -> str:
    """One forecast's trend chart with its caption."""
    zone = data.period.zone
    coverage = display.coverage_text(view.coverage, texts)
    reaches = texts("no_data") if view.reaches is None else f"{view.reaches:g}"
    caption = texts("chart_caption", metric=view.metric, task=view.task, host=view.host,
                    coverage=coverage, reaches=reaches)  # fmt: skip
    labels = svg.TrendLabels(
        caption=caption,
        readings=texts("legend_readings"),
        fit=texts("legend_fit"),
        band=texts("legend_band", coverage=coverage),
        threshold=texts("legend_threshold"),
        made=texts("legend_made"),
        start_time=display.local_time(chart.start, zone, texts),
        made_time=display.local_time(chart.made, zone, texts),
        end_time=display.local_time(chart.end, zone, texts),
    )
    return _figure("trend", svg.trend_chart(chart, labels), caption)


def _figure(css: str, chart: str, caption: str) -> str:
    return f'<figure class="{css}">{chart}<figcaption>{escape(caption)}</figcaption></figure>'


SECTION_TO_CHART: dict[str, Callable[[ReportData, Texts], str]] = {
    "runs": heatmap_figure,
    "kpis": kpi_figure,
    "forecasts": trend_figures,
}
