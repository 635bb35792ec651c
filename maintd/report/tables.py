"""The report's sections as plain text: a title, a few lines, and tables of strings — the same
for Markdown and HTML, which only lay them out (and escape them) in their own way; the HTML
page adds its charts to the sections named in ``html``.

Takes a ``ReportData`` and the ``Texts`` of one language; returns ``Section``s in reading
order. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from maintd.report import display
from maintd.report.content import ReportData
from maintd.report.kpi import Kpis, Mean, Share
from maintd.report.planned import ReasonGroup, TaskCompliance
from maintd.report.runs import StatusCounts, statuses_seen
from maintd.report.sla import Clock, count_outcomes
from maintd.report.texts import Texts


@dataclass(frozen=True)
class Table:
    """Rows of text under headers; ``numeric`` columns align right, ``preformatted`` columns
    hold program output whose lines matter."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str | None = None
    numeric: frozenset[int] = field(default_factory=frozenset)
    preformatted: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Section:
    """One section: ``key`` names it for anchors and charts."""

    key: str
    title: str
    lines: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()


@dataclass(frozen=True)
class KpiItem:
    """One KPI as shown: its name, value, basis, and its percentage (None: not a percentage,
    or nothing measured)."""

    name: str
    value: str
    basis: str
    pct: float | None
    is_percent: bool


SECTION_KEYS = ("plan", "runs", "failures", "incidents", "kpis", "forecasts", "next")


def build_sections(data: ReportData, texts: Texts) -> tuple[Section, ...]:
    """Every section of the report, in ``SECTION_KEYS`` order."""
    return (
        plan_section(data, texts),
        runs_section(data, texts),
        failures_section(data, texts),
        incidents_section(data, texts),
        kpis_section(data, texts),
        forecasts_section(data, texts),
        next_section(data, texts),
    )


def title_of(data: ReportData, texts: Texts) -> str:
    """The report's title, after its length (daily, weekly, ...)."""
    return texts(f"title_{data.period.length.value}")


def period_line(data: ReportData, texts: Texts) -> str:
    """From when to when, in which zone, written when."""
    period = data.period
    # A period cut at odd seconds (--from 10:20:30) says so: rounded, it could read as empty.
    seconds = any(moment.second for moment in (period.start, period.end))
    return texts(
        "period_line",
        start=display.local_time(period.start, period.zone, texts, seconds=seconds),
        end=display.local_time(period.end, period.zone, texts, seconds=seconds),
        zone=data.timezone,
        generated=display.local_time(data.generated_at, period.zone, texts, seconds=seconds),
    )


def plan_section(data: ReportData, texts: Texts) -> Section:
    """Planned vs done: the compliance, per task, and what was not done or skipped, why."""
    compliance, total = data.compliance, data.compliance.total
    if total.planned == 0 and compliance.unplanned == 0:
        return Section("plan", texts("section_plan"), (texts("nothing_planned"),))
    lines = [
        texts("compliance_line", pct=display.percent(total.pct, texts), done=total.done,
              due=total.due, late=total.late),
        texts("skipped_line", skipped=total.skipped, not_yet_due=total.not_yet_due),
    ]  # fmt: skip
    if compliance.unplanned:
        lines.append(texts("unplanned_line", count=compliance.unplanned))
    lines.append(texts("plan_note"))
    headers = ("task", "planned", "skipped", "due", "done", "late", "not_done", "compliance")
    rows = [_compliance_row(task, texts) for task in compliance.tasks]
    rows.append(_compliance_row(total, texts))
    tables = [Table(_headers(texts, *headers), tuple(rows), numeric=frozenset(range(1, 8)))]
    if compliance.not_done:
        groups = tuple(_group_row(group, texts) for group in compliance.not_done)
        columns = _headers(texts, "status", "reason", "fires", "where")
        tables.append(Table(columns, groups, texts("not_done_by_reason"), frozenset({2})))
    if compliance.skipped:
        groups = tuple(_group_row(group, texts)[1:] for group in compliance.skipped)
        columns = _headers(texts, "reason", "fires", "where")
        tables.append(Table(columns, groups, texts("skipped_by_reason"), frozenset({1})))
    return Section("plan", texts("section_plan"), tuple(lines), tuple(tables))


def _compliance_row(task: TaskCompliance, texts: Texts) -> tuple[str, ...]:
    counts = (task.planned, task.skipped, task.due, task.done, task.late, task.not_done)
    name = task.task or texts("all_tasks")
    return (name, *map(str, counts), display.percent(task.pct, texts))


def _group_row(group: ReasonGroup, texts: Texts) -> tuple[str, ...]:
    status = group.status or texts("no_data")
    reason = group.reason or (texts("no_record") if group.status is None else texts("no_data"))
    where = display.pairs_cell(group.pairs, group.more_pairs, texts)
    return (status, reason, str(group.count), where)


def runs_section(data: ReportData, texts: Texts) -> Section:
    """Runs by status, per task and per host (the heat-map is drawn by the HTML page)."""
    if not data.by_task:
        return Section("runs", texts("section_runs"), (texts("no_runs"),))
    statuses = statuses_seen(data.by_task)
    tables = tuple(
        Table(
            (texts(column), *statuses, texts("col_total")),
            tuple(_status_row(counts, statuses) for counts in table),
            texts(caption),
            frozenset(range(1, len(statuses) + 2)),
        )
        for caption, column, table in (("by_task", "col_task", data.by_task),
                                       ("by_host", "col_host", data.by_host))
    )  # fmt: skip
    return Section("runs", texts("section_runs"), (), tables)


def _status_row(counts: StatusCounts, statuses: list[str]) -> tuple[str, ...]:
    return (counts.name, *(str(counts.count(status)) for status in statuses), str(counts.total))


def failures_section(data: ReportData, texts: Texts) -> Section:
    """The latest failures, with what they said."""
    if not data.failures:
        return Section("failures", texts("section_failures"), (texts("no_failures"),))
    line = texts("failures_line", shown=len(data.failures), total=data.failures_total)
    zone = data.period.zone
    rows = tuple(
        (display.local_time(failure.scheduled_for, zone, texts, seconds=True), failure.task,
         failure.host, failure.status, failure.summary or failure.reason or "", failure.output)
        for failure in data.failures
    )  # fmt: skip
    headers = _headers(texts, "time", "task", "host", "status", "summary", "output")
    table = Table(headers, rows, preformatted=frozenset({5}))
    return Section("failures", texts("section_failures"), (line,), (table,))


def incidents_section(data: ReportData, texts: Texts) -> Section:
    """The incidents opened in the period and how their clocks did."""
    if not data.incidents:
        return Section("incidents", texts("section_incidents"), (texts("no_incidents"),))
    counts = count_outcomes(data.incidents)
    summary = {
        clock: ", ".join(f"{texts(f'outcome_{outcome.value}')} {count}"
                         for outcome, count in by_outcome.items() if count)
        for clock, by_outcome in counts.items()
    }  # fmt: skip
    line = texts("incidents_line", opened=len(data.incidents), **summary)
    zone = data.period.zone
    rows = tuple(
        (str(incident.id), display.local_time(incident.opened_at, zone, texts),
         texts.word("kind", incident.kind), incident.title, incident.severity,
         texts.word("state", incident.state), _clock(incident.respond, data, texts),
         _clock(incident.resolve, data, texts))
        for incident in data.incidents
    )  # fmt: skip
    headers = _headers(texts, "id", "opened", "kind", "title", "severity", "state", "respond",
                       "resolve")  # fmt: skip
    table = Table(headers, rows, numeric=frozenset({0}))
    return Section("incidents", texts("section_incidents"), (line,), (table,))


def _clock(clock: Clock, data: ReportData, texts: Texts) -> str:
    outcome = texts(f"outcome_{clock.outcome.value}")
    if clock.due is None:
        return outcome
    return texts("clock_cell", outcome=outcome,
                 due=display.local_time(clock.due, data.period.zone, texts))  # fmt: skip


def kpi_items(kpis: Kpis, texts: Texts) -> tuple[KpiItem, ...]:
    """The headline KPIs, percentages and mean times, each with the counts behind it."""
    opened = kpis.incidents_opened
    return (
        _share_item("planned_on_time", kpis.planned_on_time, texts),
        _mean_item("mtta", kpis.acknowledge, opened, texts),
        _mean_item("mttr", kpis.resolve, opened, texts),
        _share_item("on_time_response", kpis.response, texts),
        _share_item("on_time_resolution", kpis.resolution, texts),
        _share_item("first_time_fix", kpis.first_time_fix, texts),
        _share_item("backup_verified", kpis.backup_verified, texts),
    )


def _share_item(key: str, share: Share, texts: Texts) -> KpiItem:
    basis = texts(f"basis_{key}", part=share.part, whole=share.whole, pending=share.pending)
    value = display.percent(share.pct, texts)
    return KpiItem(texts(f"kpi_{key}"), value, basis, share.pct, is_percent=True)


def _mean_item(key: str, mean: Mean, opened: int, texts: Texts) -> KpiItem:
    basis = texts(f"basis_{key}", count=mean.count, opened=opened)
    value = display.duration(mean.seconds, texts)
    return KpiItem(texts(f"kpi_{key}"), value, basis, None, is_percent=False)


def kpis_section(data: ReportData, texts: Texts) -> Section:
    """The KPIs of the period, as `maintd kpi` computes them."""
    rows = tuple((item.name, item.value, item.basis) for item in kpi_items(data.kpis, texts))
    table = Table(_headers(texts, "kpi", "value", "basis"), rows, numeric=frozenset({1}))
    return Section("kpis", texts("section_kpis"), (), (table,))


def forecasts_section(data: ReportData, texts: Texts) -> Section:
    """The latest forecast of every series, with its interval."""
    if not data.forecasts:
        return Section("forecasts", texts("section_forecasts"), (texts("no_forecasts"),))
    zone = data.period.zone
    rows = tuple(
        (f"{view.task}@{view.host} · {view.metric}", texts.word("kind", view.kind), view.verdict,
         display.local_time(view.eta, zone, texts),
         display.eta_interval(view.made, view.eta_low, view.eta_high, view.coverage, texts),
         view.signal, display.local_time(view.made, zone, texts), view.reason)
        for view in data.forecasts
    )  # fmt: skip
    headers = _headers(texts, "series", "kind", "verdict", "eta", "interval", "signal", "made",
                       "reason")  # fmt: skip
    return Section("forecasts", texts("section_forecasts"), (texts("forecasts_line"),),
                   (Table(headers, rows),))  # fmt: skip


def next_section(data: ReportData, texts: Texts) -> Section:
    """What the planner has for the next period, per task."""
    zone = data.next_period.zone
    line = texts("next_line", start=display.local_time(data.next_period.start, zone, texts),
                 end=display.local_time(data.next_period.end, zone, texts))  # fmt: skip
    if not data.upcoming:
        return Section("next", texts("section_next"), (line, texts("no_upcoming")))
    rows = tuple(
        (task.task, str(task.fires), str(task.hosts), _first(task.first_run, data, texts),
         str(task.will_not_run), "; ".join(f"{count} × {reason}" for reason, count in task.reasons))
        for task in data.upcoming
    )  # fmt: skip
    headers = _headers(texts, "task", "fires", "hosts", "first_run", "will_not_run", "why")
    table = Table(headers, rows, numeric=frozenset({1, 2, 4}))
    return Section("next", texts("section_next"), (line,), (table,))


def _first(moment: datetime | None, data: ReportData, texts: Texts) -> str:
    return display.local_time(moment, data.next_period.zone, texts)


def _headers(texts: Texts, *columns: str) -> tuple[str, ...]:
    return tuple(texts(f"col_{column}") for column in columns)
