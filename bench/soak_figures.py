"""The soak's arithmetic, kept pure: fires planned against fires recorded (lost, doubled,
statuses), the lag of each fire, how long each burst took to start, the backlog at given
instants, and the trend of a sampled quantity.

Times are epoch seconds. A fire is keyed by (host, scheduled time rounded to the millisecond).
"""

from __future__ import annotations

import math
import statistics
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

FireKey = tuple[str, float]
TEN_MINUTES = 600.0


@dataclass(frozen=True)
class Row:
    """One recorded fire: its key, when its check began (None: recorded without running), and
    its status."""

    host: str
    scheduled: float
    started: float | None
    status: str

    @property
    def key(self) -> FireKey:
        return fire_key(self.host, self.scheduled)


@dataclass(frozen=True)
class Fires:
    """Planned fires of a window beside the rows recorded for them."""

    planned: int
    rows: int
    lost: int  # planned, no row
    doubled: int  # planned, more than one row
    unplanned: int  # rows for no planned fire of the window
    statuses: Counter[str]
    lags: list[float]  # seconds from scheduled time to the check's start, sorted
    drains: list[tuple[float, float]]  # per fire instant: (scheduled, lag of its last start)
    backlog: list[tuple[float, int]]  # (instant, fires due then and not yet started)


def fire_key(host: str, scheduled: float) -> FireKey:
    return (host, round(scheduled, 3))


def judge_fires(
    planned: Iterable[FireKey], rows: Sequence[Row], backlog_at: Sequence[float]
) -> Fires:
    """Match ``rows`` to the ``planned`` fires of a window; the backlog is counted at each
    instant of ``backlog_at``."""
    wanted = set(planned)
    counts = Counter(row.key for row in rows if row.key in wanted)
    mine = [row for row in rows if row.key in wanted]
    lags = sorted(row.started - row.scheduled for row in mine if row.started is not None)
    last_start: dict[float, float] = {}
    for row in mine:
        if row.started is not None:
            last_start[row.key[1]] = max(last_start.get(row.key[1], 0.0), row.started)
    drains = sorted((at, started - at) for at, started in last_start.items())
    return Fires(
        planned=len(wanted),
        rows=sum(counts.values()),
        lost=len(wanted) - len(counts),
        doubled=sum(1 for count in counts.values() if count > 1),
        unplanned=len(rows) - len(mine),
        statuses=Counter(row.status for row in mine),
        lags=lags,
        drains=drains,
        backlog=count_backlog(wanted, mine, backlog_at),
    )


def count_backlog(
    planned: set[FireKey], rows: Sequence[Row], instants: Sequence[float]
) -> list[tuple[float, int]]:
    """At each instant: fires due by then whose check had not started. A fire recorded without
    running (MISSED, SKIPPED) counts as handled at its scheduled time; a lost fire stays in the
    backlog for good, so losing fires shows as a backlog that grows."""
    due = sorted(key[1] for key in planned)
    handled = sorted(row.scheduled if row.started is None else row.started for row in rows)
    return [(at, bisect_right(due, at) - bisect_right(handled, at)) for at in instants]


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted ``values`` (nan when there are none)."""
    if not values:
        return math.nan
    return values[max(0, math.ceil(fraction * len(values)) - 1)]


@dataclass(frozen=True)
class Trend:
    """A sampled quantity over a run: its start, middle and end values, its least-squares
    slope per ten minutes over the whole run and over its second half, and the spread of the
    second half's samples around their line."""

    start: float
    middle: float
    end: float
    slope: float  # per ten minutes, whole run
    late_slope: float  # per ten minutes, second half
    late_span: float  # seconds of the second half
    noise: float  # standard deviation of the second half's samples around their line

    def steady(self, tolerance: float) -> bool:
        """No upward trend beyond noise: over the second half, the line rises less than
        ``tolerance`` per ten minutes, or less than twice the noise over the half itself.
        Settling after the start (pools, caches, allocator arenas filling) bends the first
        half only; a leak rises in both, and the whole-run slope is shown beside."""
        rise = self.late_slope * self.late_span / TEN_MINUTES
        return self.late_slope <= tolerance or rise <= 2 * self.noise


def fit_trend(points: Sequence[tuple[float, float]]) -> Trend:
    """The trend of (time, value) ``points``, at least six, in time order."""
    values = [value for _, value in points]
    slope, _ = _fit(points)
    late = points[len(points) // 2 :]
    late_slope, intercept = _fit(late)
    residuals = [value - (late_slope * at + intercept) for at, value in late]
    return Trend(
        start=values[0],
        middle=values[len(values) // 2],
        end=values[-1],
        slope=slope * TEN_MINUTES,
        late_slope=late_slope * TEN_MINUTES,
        late_span=late[-1][0] - late[0][0],
        noise=statistics.pstdev(residuals),
    )


def _fit(points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """Least-squares slope (per second) and intercept of (time, value) ``points``."""
    times = [at for at, _ in points]
    if len(set(times)) < 2:
        return 0.0, points[0][1]
    return statistics.linear_regression(times, [value for _, value in points])
