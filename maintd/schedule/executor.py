"""An APScheduler executor that hands each fire's scheduled times to maintd's handler.

APScheduler's own executors call the job function without saying which scheduled time it is
for, drop fires they judge too late, and (with coalescing) merge several into one without a
trace. maintd needs each scheduled time, because each one becomes a row of the ledger.

The rows of one (task, host) are written in the order of their fires: a fire that comes due
while the previous one still runs is not dropped on the spot (its SKIPPED row would then stand
after a fire that has no row yet, and a crash at that moment would leave a hole the next start
cannot see); it is handed to ``on_dropped`` by the running instance once that one is done.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor

FireHandler = Callable[[str, str, list[datetime]], None]  # task, host, scheduled times
Dropped = Callable[[str, str, list[datetime], str], None]  # task, host, scheduled times, reason
BUSY_REASON = "the previous run is still going"
log = logging.getLogger("maintd.schedule")


class FireExecutor(ThreadPoolExecutor):  # type: ignore[misc]
    """Runs ``handler(task, host, run_times)`` in a thread pool for each submitted job, one
    instance per job at a time; fires that come due meanwhile go to ``on_dropped`` after it."""

    def __init__(self, handler: FireHandler, max_workers: int, on_dropped: Dropped) -> None:
        super().__init__(max_workers=max_workers, pool_kwargs={"thread_name_prefix": "maintd-fire"})
        self.handler = handler
        self.on_dropped = on_dropped
        self._waiting: dict[str, list[datetime]] = {}
        self._guard = threading.Lock()

    def submit_job(self, job: Any, run_times: list[datetime]) -> None:
        """Start the job, or keep ``run_times`` for its running instance to record."""
        with self._guard:
            if self._instances[job.id] >= job.max_instances:
                self._waiting.setdefault(job.id, []).extend(run_times)
                return
            self._instances[job.id] += 1
        self._do_submit_job(job, run_times)

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        task, host = job.args
        self._pool.submit(self._run, job.id, task, host, list(run_times))

    def _run(self, job_id: str, task: str, host: str, run_times: list[datetime]) -> None:
        self._call(self.handler, task, host, run_times)
        while True:
            with self._guard:  # taken and released with the instance count: none is left behind
                waiting = self._waiting.pop(job_id, [])
                if not waiting:
                    self._instances[job_id] -= 1
                    if self._instances[job_id] == 0:
                        del self._instances[job_id]
                    return
            self._call(self.on_dropped, task, host, waiting, BUSY_REASON)

    @staticmethod
    def _call(function: Callable[..., None], *arguments: Any) -> None:
        try:
            function(*arguments)
        except Exception:  # one fire must never take a worker (and its job) down
            log.exception("fire of %s@%s failed", arguments[0], arguments[1])
