"""An APScheduler executor that hands each fire's scheduled times to maintd's handler.

APScheduler's own executors call the job function without saying which scheduled time it is
for, drop fires they judge too late, and (with coalescing) merge several into one without a
trace. maintd needs each scheduled time, because each one becomes a row of the ledger.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor

FireHandler = Callable[[str, str, list[datetime]], None]  # task, host, scheduled times


class FireExecutor(ThreadPoolExecutor):  # type: ignore[misc]
    """Runs ``handler(task, host, run_times)`` in a thread pool for each submitted job."""

    def __init__(self, handler: FireHandler, max_workers: int) -> None:
        super().__init__(max_workers=max_workers, pool_kwargs={"thread_name_prefix": "maintd-fire"})
        self.handler = handler

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        task, host = job.args

        def done(future: Future[None]) -> None:
            error = future.exception()
            if error is not None:
                self._run_job_error(job.id, error, error.__traceback__)
            else:
                self._run_job_success(job.id, [])

        future = self._pool.submit(self.handler, task, host, list(run_times))
        future.add_done_callback(done)
