"""What a maintenance report says, gathered once for every format: ``gather_report`` reads the
store, asks the planner and the forecast book, and returns a frozen ``ReportData`` that the
Markdown, HTML and JSON writers only lay out.

Takes the calendar (the plan, its zone), the store, the period and the KPIs already computed
(``maintd.report.kpi``, from the rows ``maintd.store.kpi_queries`` read, as `maintd kpi`
computes them); the arithmetic lives in the pure modules beside this one. The plan and the
ledger are both counted, never listed (``maintd.report.planned`` says how): the fires per
task, host and stretch of time, the runs per task, host, status and the same stretches.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from maintd.config import Calendar
from maintd.plan import Planner, counting
from maintd.predict.rows import fit_from_row
from maintd.report import planned, runs, sla, trends
from maintd.report.kpi import Kpis
from maintd.report.period import Period, next_period
from maintd.store import Ledger, report_queries
from maintd.store.forecasts import ForecastBook
from maintd.store.series import read_series

FAILURES_SHOWN = 20


@dataclass(frozen=True)
class ReportData:
    """Every section of a report, in the order people read them."""

    period: Period
    next_period: Period
    timezone: str
    generated_at: datetime
    compliance: planned.Compliance
    by_task: tuple[runs.StatusCounts, ...]
    by_host: tuple[runs.StatusCounts, ...]
    heatmap: runs.HeatMap
    failures: tuple[runs.Failure, ...]
    failures_total: int  # failing runs in the period; ``failures`` holds the latest of them
    incidents: tuple[sla.IncidentOutcome, ...]
    kpis: Kpis
    forecasts: tuple[trends.ForecastView, ...]
    upcoming: tuple[planned.UpcomingTask, ...]


def gather_report(  # noqa: PLR0913 - where to read, what to cover, and what was computed
    ledger: Ledger,
    calendar: Calendar,
    period: Period,
    now: datetime,
    *,
    kpis: Kpis,
    steps: Iterable[Mapping[str, Any]],
    failures_shown: int = FAILURES_SHOWN,
) -> ReportData:
    """Gather the report of ``period`` as of ``now``.

    ``steps`` are the incident steps read with the KPIs' rows (``KpiRows.steps``): the SLA
    outcomes are judged from the same timeline as the KPIs.
    """
    engine = ledger.engine
    planner = Planner(calendar)
    cuts = period.cuts(now)
    fires = counting.count_fires(planner, period.start, period.end, cuts)
    tallies = report_queries.count_period_runs(
        engine, period.start, period.end, cuts, {each.task: each.cuts for each in fires}
    )
    latest_failures = report_queries.read_failures(
        engine, period.start, period.end, runs.FAILING, failures_shown
    )
    opened = report_queries.read_period_incidents(engine, period.start, period.end)
    ahead = next_period(period)
    return ReportData(
        period=period,
        next_period=ahead,
        timezone=calendar.timezone,
        generated_at=now,
        compliance=planned.compare_plan(fires, tallies, now),
        by_task=runs.count_statuses(tallies, "task"),
        by_host=runs.count_statuses(tallies, "host"),
        heatmap=runs.build_heatmap(
            count_by_day(tallies, fires, cuts, period),
            [task.name for task in calendar.tasks],
            period.local_days(),
        ),
        failures=tuple(runs.shape_failure(row) for row in latest_failures),
        failures_total=runs.count_failing(tallies),
        incidents=sla.judge_incidents(opened, steps, now),
        kpis=kpis,
        forecasts=read_forecasts(ledger),
        upcoming=planned.summarise_upcoming(counting.count_fires(planner, ahead.start, ahead.end)),
    )


def count_by_day(
    tallies: Iterable[report_queries.RunTally],
    fires: Iterable[counting.TaskFires],
    cuts: Sequence[datetime],
    period: Period,
) -> Counter[tuple[str, date, str]]:
    """The runs of ``tallies`` counted by task, local day and status. A tally's piece is a
    stretch of its task's ``fires`` (or, for a task not in the calendar, a piece between
    ``cuts``); pieces are cut where the local date changes, so each lies within one day."""
    days_of = {
        each.task: [period.day_of(stretch.start) for stretch in each.stretches] for each in fires
    }
    other_days = [period.day_of(start) for start in (period.start, *cuts)]
    counts: Counter[tuple[str, date, str]] = Counter()
    for tally in tallies:
        counts[(tally.task, days_of.get(tally.task, other_days)[tally.piece], tally.status)] += (
            tally.runs
        )
    return counts


def read_forecasts(ledger: Ledger) -> tuple[trends.ForecastView, ...]:
    """The latest judgement of every series; threshold forecasts with a fit get their chart,
    drawn over the readings of the window they were made from."""
    views = []
    for row in ForecastBook(ledger.engine).latest():
        chart = None
        if fit_from_row(row) is not None:
            since, until = trends.readings_span(row)
            readings = read_series(
                ledger.engine, row["task"], row["host"], row["metric"], since=since, until=until
            )
            chart = trends.build_chart(row, readings)
        views.append(trends.view_forecast(row, chart))
    return tuple(views)
