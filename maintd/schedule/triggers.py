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

    def __init__(self, planner: Planner, task: Task, host: str) -> None:
        self.planner = planner
        self.task = task
        self.host = host

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        """The first fire after ``previous_fire_time`` (or at/after ``now`` for a new job)."""
        start = previous_fire_time + AFTER if previous_fire_time else now
        return next(iter(self.planner.host_fires(self.task, self.host, start)), None)

    def __getstate__(self) -> dict[str, Any]:
        raise TypeError("maintd keeps its jobs in memory; its triggers are never pickled")

    def __str__(self) -> str:
        return f"planner[{self.task.name}@{self.host}]"
