"""What the fires of this process tell /metrics, kept as they happen: runs by task and status,
how long checks ran, how late the scheduler started the latest fire, and when each (task, host)
last succeeded.

The pipeline reports each recorded fire here through a callback; an observation is a lock and a
few dict updates, so it costs a fire nothing worth measuring. A scrape takes a copy under the
lock and formats it outside.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from maintd.status import Status
from maintd.web.exposition import Family, Sample, histogram_samples

# From a quick probe (a tenth of a second) to the longest checks (backups, VACUUM) at 10 min.
DURATION_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)


@dataclass
class _Durations:
    """One task's histogram: observations per bucket (the last one above every bound)."""

    counts: list[int]
    total: float = 0.0


@dataclass
class _Snapshot:
    runs: dict[tuple[str, str], int] = field(default_factory=dict)
    durations: dict[str, _Durations] = field(default_factory=dict)
    last_success: dict[tuple[str, str], float] = field(default_factory=dict)
    lag: float | None = None


class RunMetrics:
    """Counters, histograms and gauges fed by the fires. Thread-safe; lives as long as the
    process (reloads and HTTP restarts keep it), so counters count since the start."""

    def __init__(self, bounds: Sequence[float] = DURATION_BUCKETS) -> None:
        self.bounds = tuple(sorted(bounds))
        self._lock = threading.Lock()
        self._state = _Snapshot()

    def observe_run(
        self, task: str, host: str, status: Status, duration: float | None, at: datetime
    ) -> None:
        """A fire of (task, host) was recorded with ``status`` at ``at``; ``duration``: how
        long its check ran, None for a fire that did not run (SKIPPED, MISSED)."""
        with self._lock:
            state = self._state
            key = (task, status.value)
            state.runs[key] = state.runs.get(key, 0) + 1
            if duration is not None:
                durations = state.durations.get(task)
                if durations is None:
                    durations = state.durations[task] = _Durations([0] * (len(self.bounds) + 1))
                durations.counts[bisect_left(self.bounds, duration)] += 1
                durations.total += duration
            if status == Status.OK:
                self._note_success(task, host, at.timestamp())

    def observe_lag(self, seconds: float) -> None:
        """The scheduler handed over a fire ``seconds`` after its scheduled time."""
        with self._lock:
            self._state.lag = seconds

    def remember_successes(self, successes: Mapping[tuple[str, str], datetime]) -> None:
        """Take the last successes recorded before this process started (from the ledger), so
        that a restart does not make every (task, host) look as if it never succeeded."""
        with self._lock:
            for (task, host), at in successes.items():
                self._note_success(task, host, at.timestamp())

    def retain_pairs(self, pairs: Collection[tuple[str, str]]) -> None:
        """Forget the last success of (task, host) pairs the calendar no longer has: a removed
        task must not look stale forever to an alert on its age."""
        with self._lock:
            last_success = self._state.last_success
            for pair in [pair for pair in last_success if pair not in pairs]:
                del last_success[pair]

    def families(self) -> list[Family]:
        """The metric families, each with its samples in a stable order."""
        with self._lock:
            state = self._state
            snapshot = _Snapshot(
                runs=dict(state.runs),
                durations={
                    task: _Durations(list(kept.counts), kept.total)
                    for task, kept in state.durations.items()
                },
                last_success=dict(state.last_success),
                lag=state.lag,
            )
        return _families_of(snapshot, self.bounds)

    def _note_success(self, task: str, host: str, timestamp: float) -> None:
        last_success = self._state.last_success
        last_success[(task, host)] = max(timestamp, last_success.get((task, host), timestamp))


def _families_of(snapshot: _Snapshot, bounds: Sequence[float]) -> list[Family]:
    runs = [
        Sample("maintd_runs_total", (("task", task), ("status", status)), count)
        for (task, status), count in sorted(snapshot.runs.items())
    ]
    durations = [
        sample
        for task, kept in sorted(snapshot.durations.items())
        for sample in histogram_samples(
            "maintd_run_duration_seconds", (("task", task),), bounds, kept.counts, kept.total
        )
    ]
    successes = [
        Sample("maintd_last_success_timestamp_seconds", (("task", task), ("host", host)), at)
        for (task, host), at in sorted(snapshot.last_success.items())
    ]
    families = [
        Family(
            "maintd_runs_total", "counter",
            "Fires recorded in the ledger by this process since it started, by task and status.",
            runs,
        ),
        Family(
            "maintd_run_duration_seconds", "histogram",
            "How long checks ran (the last attempt of each fire), by task.", durations,
        ),
        Family(
            "maintd_last_success_timestamp_seconds", "gauge",
            "When each task last finished OK on each host, in seconds since the Unix epoch.",
            successes,
        ),
    ]  # fmt: skip
    if snapshot.lag is not None:  # absent until the first scheduled fire, not a made-up 0
        text = (
            "How late the latest scheduled fire was handed to a worker, after its scheduled "
            "time (jitter included)."
        )
        lag = Sample("maintd_scheduler_lag_seconds", (), snapshot.lag)
        families.append(Family("maintd_scheduler_lag_seconds", "gauge", text, [lag]))
    return families
