"""The KPIs of a period as `maintd kpi` and the report both compute them: read from the store
(``kpi_queries``), the calendar saying which tasks are backups, relapses looked for up to
``REOPEN_HORIZON`` past the period."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from maintd.config import Calendar
from maintd.report.kpi import REOPEN_HORIZON, Kpis, compute_kpis
from maintd.store import Ledger
from maintd.store.kpi_queries import KpiRows, read_kpi_rows


def read_kpis(
    ledger: Ledger, calendar: Calendar | None, since: datetime, until: datetime, now: datetime
) -> tuple[Kpis, KpiRows]:
    """The KPIs of [since, until) as of ``now``, and the rows they came from."""
    rows = read_kpi_rows(ledger.engine, since, until, incidents_until=until + REOPEN_HORIZON)
    kpis = compute_kpis(
        runs=rows.runs, incidents=rows.incidents, steps=rows.steps,
        backup_tasks=find_backup_tasks(calendar, rows.runs), since=since, until=until, now=now,
    )  # fmt: skip
    return kpis, rows


def find_backup_tasks(calendar: Calendar | None, runs: Iterable[dict[str, Any]]) -> set[str]:
    """The backup tasks: those running a ``backup_*`` plugin; without a calendar to say, the
    tasks whose name contains "backup"."""
    if calendar is not None:
        return {task.name for task in calendar.tasks if (task.check or "").startswith("backup_")}
    return {run["task"] for run in runs if "backup" in run["task"]}
