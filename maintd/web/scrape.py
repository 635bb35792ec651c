"""One scrape of /metrics: the fires' metrics kept by ``RunMetrics``, plus what is read from the
daemon at scrape time (incidents open, checks in flight, SSH connections, workers), the build
and the start time.

The daemon hands the readings in as callables, so this package knows nothing of its insides.
The database reading is cached for a few seconds: a scrape storm (several Prometheus servers,
someone's curl loop) then costs one query per period, not one per scrape.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from maintd.web.exposition import Family, Labels, Sample, render
from maintd.web.metrics import RunMetrics

log = logging.getLogger("maintd.web")
INCIDENTS_CACHE_SECONDS = 5.0
T = TypeVar("T")


@dataclass(frozen=True)
class Readings:
    """What a scrape reads from the daemon, each a callable that may raise (its metric is then
    left out of that scrape, and the reason logged)."""

    open_incidents: Callable[[], Mapping[str, int]]  # by severity; reads the database
    running_checks: Callable[[], int]
    ssh_connections: Callable[[], int]
    fire_workers: Callable[[], int]


class Cached(Generic[T]):
    """``fetch()``'s value, fetched again once ``seconds`` old. Concurrent callers wait for the
    one fetch in progress rather than starting their own; a failed fetch is not cached."""

    def __init__(
        self, fetch: Callable[[], T], seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.fetch = fetch
        self.seconds = seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._value: T | None = None
        self._fetched_at: float | None = None

    def get(self) -> T:
        """The cached value, or a fresh one. Raises what ``fetch`` raises."""
        with self._lock:
            now = self.clock()
            if self._fetched_at is None or now - self._fetched_at >= self.seconds:
                self._value = self.fetch()
                self._fetched_at = now
            return self._value  # type: ignore[return-value]  # set whenever fetched_at is


class MetricsPage:
    """Renders /metrics: build info, start time, the fires' metrics and the readings."""

    def __init__(
        self,
        runs: RunMetrics,
        readings: Readings,
        *,
        version: str,
        started_at: float,
        cache_seconds: float = INCIDENTS_CACHE_SECONDS,
    ) -> None:
        """``started_at``: the process's start, in seconds since the Unix epoch."""
        self.runs = runs
        self.readings = readings
        self.version = version
        self.started_at = started_at
        self.open_incidents = Cached(readings.open_incidents, cache_seconds)

    def render(self) -> str:
        """The exposition text of one scrape."""
        families = [
            _gauge("maintd_build_info", "maintd's version, as a label; always 1.",
                   1, (("version", self.version),)),
            _gauge("maintd_start_time_seconds",
                   "When this maintd process started, in seconds since the Unix epoch.",
                   self.started_at),
            *self.runs.families(),
        ]  # fmt: skip
        families.extend(self._read())
        return render(families)

    def _read(self) -> list[Family]:
        """The readings' families; one that cannot be read is left out of this scrape."""
        families = []
        incidents = _reading("open incidents", self.open_incidents.get)
        if incidents is not None:
            samples = [
                Sample("maintd_open_incidents", (("severity", severity),), count)
                for severity, count in sorted(incidents.items())
            ]
            text = (
                "Incidents open or acknowledged, by severity (read at most every "
                f"{self.open_incidents.seconds:g} s)."
            )
            families.append(Family("maintd_open_incidents", "gauge", text, samples))
        pool_gauges = (
            ("maintd_running_checks", "Checks in flight now (claimed, not yet recorded).",
             self.readings.running_checks),
            ("maintd_ssh_connections",
             "SSH connections open now (one per host in use, shared by its checks).",
             self.readings.ssh_connections),
            ("maintd_fire_workers",
             "Threads the scheduler runs fires on (defaults.concurrency.total).",
             self.readings.fire_workers),
        )  # fmt: skip
        for name, text, read in pool_gauges:
            value = _reading(name, read)
            if value is not None:
                families.append(_gauge(name, text, value))
        return families


def _gauge(name: str, text: str, value: float, labels: Labels = ()) -> Family:
    return Family(name, "gauge", text, [Sample(name, labels, value)])


def _reading(what: str, read: Callable[[], T]) -> T | None:
    """``read()``, or None (logged) when it fails: one broken reading must not cost the
    whole scrape."""
    try:
        return read()
    except Exception as error:  # a scrape must answer with what it has
        log.warning("/metrics: could not read %s: %s", what, error)
        return None
