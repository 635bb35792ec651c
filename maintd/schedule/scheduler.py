"""The in-memory APScheduler behind the daemon: one job per (task, host), built from the planner
at start and on every reload. No job store, nothing pickled: the calendar is the truth about
what is scheduled, the ledger about what happened.

APScheduler computes how long to sleep from the wall clock when it goes to sleep, then sleeps on
the monotonic clock: a wall clock stepped back by ten minutes (NTP, a VM resumed) would keep it
asleep ten minutes, its heartbeat job included, and the daemon would be declared dead; one
stepped forward past a due fire would not wake it either. So it looks again at least every
second, whatever the wall clock does, and each look is the heartbeat.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from maintd.config.model import Calendar, Task
from maintd.plan import Planner
from maintd.schedule.executor import Dropped, FireExecutor, FireHandler
from maintd.schedule.triggers import PlannerTrigger

HEARTBEAT_SECONDS = 1.0  # the longest the scheduler sleeps without looking at the clock again


@dataclass(frozen=True)
class Changes:
    """What a calendar (re)load did to the jobs."""

    added: int
    removed: int
    kept: int


class Scheduler:
    """Fires (task, host) jobs through ``handler``; tells ``on_dropped`` about fires it could not
    start (the previous run of the same job still running), so they get a ledger row too —
    after that run, so each job's rows are written in the order of its fires."""

    def __init__(self, handler: FireHandler, on_dropped: Dropped, max_workers: int) -> None:
        self.last_heartbeat = time.monotonic()
        self.scheduler = _SteadyScheduler(
            self._beat,
            timezone=UTC,
            executors={"default": FireExecutor(handler, max_workers, on_dropped)},
            # One run at a time per job; every scheduled time is handed over (no coalescing,
            # no grace check here): the handler records each one.
            job_defaults={"coalesce": False, "max_instances": 1, "misfire_grace_time": None},
        )
        self.fingerprints: dict[str, str] = {}
        self._lock = threading.Lock()

    def apply(self, calendar: Calendar, planner: Planner, since: datetime | None = None) -> Changes:
        """Make the jobs match ``calendar``: add new ones, replace changed ones, remove gone
        ones, and leave unchanged ones alone so they neither skip nor repeat a fire. Added
        jobs fire from ``since`` on (at start: where the catch-up stopped, so the fires that
        fall due while the daemon starts are not lost), else from the moment they are added."""
        with self._lock:
            wanted: dict[str, tuple[str, Any, str]] = {}
            for task in calendar.tasks:
                for host in planner.hosts[task.name]:
                    job_id = f"{task.name}@{host}"
                    wanted[job_id] = (host, task, _fingerprint(calendar, task, host))
            removed = [job_id for job_id in self.fingerprints if job_id not in wanted]
            for job_id in removed:
                self.scheduler.remove_job(job_id)
                del self.fingerprints[job_id]
            added = kept = 0
            for job_id, (host, task, fingerprint) in wanted.items():
                if self.fingerprints.get(job_id) == fingerprint:
                    kept += 1
                    continue
                self.scheduler.add_job(
                    _never_called,
                    trigger=PlannerTrigger(planner, task, host, since),
                    args=(task.name, host),
                    id=job_id,
                    name=job_id,
                    replace_existing=True,
                )
                self.fingerprints[job_id] = fingerprint
                added += 1
            return Changes(added, len(removed), kept)

    def start(self) -> None:
        """Start firing; each look of the scheduler thread at its jobs is a heartbeat."""
        self.scheduler.start()

    def pause(self) -> None:
        """Take no new fires (on SIGTERM); running ones go on."""
        self.scheduler.pause()

    def shutdown(self, wait: bool) -> None:
        """Stop the scheduler; with ``wait``, until the running fires have finished."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)

    def next_fire(self) -> datetime | None:
        """The earliest next fire time of all jobs."""
        times = [
            job.next_run_time for job in self.scheduler.get_jobs() if job.next_run_time is not None
        ]
        return min(times, default=None)

    def heartbeat_age(self) -> float:
        """Seconds since the scheduler thread last looked at its jobs."""
        return time.monotonic() - self.last_heartbeat

    def _beat(self) -> None:
        self.last_heartbeat = time.monotonic()


class _SteadyScheduler(BackgroundScheduler):  # type: ignore[misc]
    """A BackgroundScheduler that never sleeps longer than HEARTBEAT_SECONDS and calls
    ``on_look`` each time it has looked at its jobs."""

    def __init__(self, on_look: Callable[[], None], **options: Any) -> None:
        super().__init__(**options)
        self.on_look = on_look

    def _process_jobs(self) -> float:
        # APScheduler's own round; its answer (None: paused or no jobs, wait for a wakeup) is
        # a wall-clock difference, trusted for one second at most.
        wait: float | None = super()._process_jobs()
        self.on_look()
        return HEARTBEAT_SECONDS if wait is None else min(wait, HEARTBEAT_SECONDS)


def _never_called(task: str, host: str) -> None:
    """Jobs go through FireExecutor, which calls the handler instead of the job function."""


def _fingerprint(calendar: Calendar, task: Task, host: str) -> str:
    """What a job's fire times depend on: its task, its host, the timezone."""
    material = json.dumps(
        [
            calendar.timezone,
            task.model_dump(mode="json"),
            calendar.hosts[host].model_dump(mode="json"),
        ],
        sort_keys=True,
    )
    return hashlib.sha256(material.encode()).hexdigest()
