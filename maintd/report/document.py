"""The report as one JSON object for scripts: every section's data under its own key, by the
contract of the read commands — times as datetimes in the calendar's zone (the CLI writes them
ISO-8601 with their offset), durations in seconds, statuses as their upper-case words,
percentages rounded to 0.01 with the counts behind them exact.

The KPIs come in already shaped as `maintd kpi --format json` shapes them, so both commands
say the same thing the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

from maintd.report.content import ReportData
from maintd.report.planned import ReasonGroup, TaskCompliance
from maintd.report.runs import Failure, StatusCounts
from maintd.report.sla import Clock, IncidentOutcome
from maintd.report.trends import ForecastView


def build_document(data: ReportData, kpis: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON object of the report; ``kpis`` is the KPI section as `maintd kpi` writes it."""
    zone = data.period.zone
    return {
        "period": {
            "length": data.period.length.value, "from": _local(data.period.start, zone),
            "to": _local(data.period.end, zone), "timezone": data.timezone,
            "generated_at": _local(data.generated_at, zone),
        },
        "plan": _plan(data),
        "runs": {
            "by_task": [_counts("task", counts) for counts in data.by_task],
            "by_host": [_counts("host", counts) for counts in data.by_host],
            "by_day": [
                {"task": cell.task, "date": cell.day.isoformat(), "worst": cell.worst,
                 "statuses": dict(cell.counts)}
                for cell in data.heatmap.cells
            ],
        },
        "failures": {
            "total": data.failures_total,
            "latest": [_failure(failure, zone) for failure in data.failures],
        },
        "incidents": [_incident(incident, zone) for incident in data.incidents],
        "kpis": dict(kpis),
        "forecasts": [_forecast(view, zone) for view in data.forecasts],
        "next_period": {
            "from": _local(data.next_period.start, zone), "to": _local(data.next_period.end, zone),
            "tasks": [
                {"task": task.task, "fires": task.fires, "hosts": task.hosts,
                 "first_run": _local(task.first_run, zone), "will_not_run": task.will_not_run,
                 "reasons": [{"reason": reason, "count": count} for reason, count in task.reasons]}
                for task in data.upcoming
            ],
        },
    }  # fmt: skip


def _plan(data: ReportData) -> dict[str, Any]:
    compliance = data.compliance
    return {
        **_compliance(compliance.total),
        "unplanned": compliance.unplanned,
        "tasks": [{"task": task.task, **_compliance(task)} for task in compliance.tasks],
        "not_done_reasons": [_group(group) for group in compliance.not_done],
        "skipped_reasons": [_group(group) for group in compliance.skipped],
    }


def _compliance(task: TaskCompliance) -> dict[str, Any]:
    return {
        "planned": task.planned, "skipped": task.skipped, "not_yet_due": task.not_yet_due,
        "due": task.due, "done": task.done, "late": task.late, "not_done": task.not_done,
        "compliance_pct": None if task.pct is None else round(task.pct, 2),
    }  # fmt: skip


def _group(group: ReasonGroup) -> dict[str, Any]:
    """A group of fires; ``status`` None means no row was recorded for them."""
    return {"status": group.status, "reason": group.reason, "count": group.count,
            "pairs": list(group.pairs), "more_pairs": group.more_pairs}  # fmt: skip


def _counts(key: str, counts: StatusCounts) -> dict[str, Any]:
    return {key: counts.name, "total": counts.total, "statuses": dict(counts.counts)}


def _failure(failure: Failure, zone: tzinfo) -> dict[str, Any]:
    return {
        "task": failure.task, "host": failure.host,
        "scheduled_for": _local(failure.scheduled_for, zone), "status": failure.status,
        "summary": failure.summary, "output": failure.output, "reason": failure.reason,
        "duration": failure.duration, "exit_code": failure.exit_code,
    }  # fmt: skip


def _incident(incident: IncidentOutcome, zone: tzinfo) -> dict[str, Any]:
    return {
        "id": incident.id, "kind": incident.kind, "task": incident.task, "host": incident.host,
        "title": incident.title, "severity": incident.severity, "state": incident.state,
        "opened_at": _local(incident.opened_at, zone), "reopened": incident.reopened,
        "respond": _clock(incident.respond, zone), "resolve": _clock(incident.resolve, zone),
    }  # fmt: skip


def _clock(clock: Clock, zone: tzinfo) -> dict[str, Any]:
    return {"due": _local(clock.due, zone), "answered_at": _local(clock.answered, zone),
            "outcome": clock.outcome.value}  # fmt: skip


def _forecast(view: ForecastView, zone: tzinfo) -> dict[str, Any]:
    eta_in = (view.eta - view.made).total_seconds() if view.eta is not None else None
    return {
        "kind": view.kind, "task": view.task, "host": view.host, "metric": view.metric,
        "made_at": _local(view.made, zone), "verdict": view.verdict, "signal": view.signal,
        "reason": view.reason, "reaches": view.reaches, "coverage": view.coverage,
        "eta": _local(view.eta, zone), "eta_in_seconds": eta_in,
        "eta_low": _local(view.eta_low, zone), "eta_high": _local(view.eta_high, zone),
        "slope_per_day": view.slope_per_day, "expected": view.expected,
        "band_low": view.band_low, "band_high": view.band_high, "score": view.score,
        "incident_id": view.incident_id, "charted": view.chart is not None,
    }  # fmt: skip


def _local(moment: datetime | None, zone: tzinfo) -> datetime | None:
    return None if moment is None else moment.astimezone(zone)
