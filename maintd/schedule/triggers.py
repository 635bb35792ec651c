"""APScheduler triggers that ask the planner, so the daemon fires exactly what `maintd plan`
shows: the same instants (jitter and the DST policy included), every one of them — fires that
will be skipped included, because each one must end as a row in the ledger."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from apscheduler.triggers.base import BaseTrigger

from maintd.config.model import Task
from maintd.plan import Planner

AFTER = timedelta(microseconds=1)


class PlannerTrigger(BaseTrigger):  # type: ignore[misc]
    """The fires of one task on one host, from the planner."""

    def __init__(
        self, planner: Planner, task: Task, host: str, since: datetime | None = None
    ) -> None:
        """``since``: where a new job's fires start (None: when the scheduler adds it)."""
        self.planner = planner
        self.task = task
        self.host = host
        self.since = since

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        """The first fire after ``previous_fire_time``, or for a new job the first at or after
        ``since`` (a fire already due is handed over at once), else at or after ``now``."""
        if previous_fire_time is not None:
            start = previous_fire_time + AFTER
        else:
            start = min(self.since, now) if self.since is not None else now
        return next(iter(self.planner.host_fires(self.task, self.host, start)), None)

    def __getstate__(self) -> dict[str, Any]:
        raise TypeError("maintd keeps its jobs in memory; its triggers are never pickled")

    def __str__(self) -> str:
        return f"planner[{self.task.name}@{self.host}]"
