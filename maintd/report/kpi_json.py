"""The KPIs as scripts read them (`maintd kpi --format json`, the report's JSON): each KPI with
the counts behind it, times in the calendar's zone with their offset, durations in seconds,
percentages rounded to 0.01 (the counts are exact)."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from maintd.report import kpi as report


def kpis_json(kpis: report.Kpis, zone: tzinfo) -> dict[str, Any]:
    """The JSON object: each KPI with its counts; times in ``zone`` with their offset,
    durations in seconds, percentages rounded to 0.01 (the counts are exact)."""
    return {
        "since": kpis.since.astimezone(zone),
        "until": kpis.until.astimezone(zone),
        "incidents_opened": kpis.incidents_opened,
        "planned_on_time": _share_json(kpis.planned_on_time, "on_time", "due", "missed"),
        "mtta": _mean_json(kpis.acknowledge, "acknowledged"),
        "mttr": _mean_json(kpis.resolve, "resolved"),
        "on_time_response": _deadline_json(kpis.response),
        "on_time_resolution": _deadline_json(kpis.resolution),
        "first_time_fix": {
            **_share_json(kpis.first_time_fix, "fixed", "resolved", "reopened"),
            "pending": kpis.first_time_fix.pending,
        },
        "backup_verified": _share_json(kpis.backup_verified, "ok", "ran", "failed"),
        "by_severity": [
            {
                "severity": times.severity,
                "opened": times.opened,
                "mtta": _mean_json(times.acknowledge, "acknowledged"),
                "mttr": _mean_json(times.resolve, "resolved"),
            }
            for times in kpis.by_severity
        ],
    }


def _share_json(share: report.Share, part: str, whole: str, missed: str) -> dict[str, Any]:
    return {"pct": _rounded(share.pct), part: share.part, whole: share.whole, missed: share.missed}


def _deadline_json(share: report.Share) -> dict[str, Any]:
    return {**_share_json(share, "on_time", "judged", "late"), "pending": share.pending}


def _mean_json(mean: report.Mean, count: str) -> dict[str, Any]:
    return {"seconds": _rounded(mean.seconds), count: mean.count}


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
