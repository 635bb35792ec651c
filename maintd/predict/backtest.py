"""Backtest: replay a metric's history and score how early, and how falsely, forecasts warned.

Given one metric's points and its ``predict:`` settings, ``backtest`` stands at every ``step``
from ``min_history`` after the first point until the real breach (the first reading at or past
the threshold) or the end of the data, forecasts with only the points known then — maintd's
``forecast_threshold`` and plain least squares over the same window (Prometheus
``predict_linear``) — and returns a ``BacktestResult`` scoring each.

A *warning* is a forecast whose median estimate falls within ``within``. It is *true* when the
breach follows within ``within``, *false* when the data shows that none did, and *unjudged*
when the data ends before ``within`` has passed without a breach. Both methods get the same
patience (no forecast before ``min_history``), so the comparison is about the fit alone.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from maintd.predict.trend import (
    Direction,
    Point,
    clean_points,
    forecast_threshold,
    horizon_for,
    least_squares_eta,
)

Method = Callable[[Sequence[Point], datetime], datetime | None]


@dataclass(frozen=True)
class MethodScore:
    """How one method did over a replay.

    ``first_warning`` is its earliest true warning and ``lead_time`` how long before the breach
    that was (None: the breach came unannounced, or there was none); ``lapses`` counts the times
    its warning went quiet again between then and the breach. ``seconds`` is the wall time
    spent forecasting, the one figure that is not deterministic.
    """

    method: str
    forecasts: int
    warnings: int
    first_warning: datetime | None
    lead_time: timedelta | None
    lapses: int
    false_warnings: int
    unjudged: int
    seconds: float

    @property
    def milliseconds_per_forecast(self) -> float:
        """Mean wall time of one forecast."""
        return 1000 * self.seconds / self.forecasts if self.forecasts else 0.0


@dataclass(frozen=True)
class BacktestResult:
    """The replay's frame — the breach (None when the data never reaches the threshold), its
    first and last forecast times — and each method's score."""

    breach: datetime | None
    first_forecast: datetime | None
    last_forecast: datetime | None
    maintd: MethodScore
    least_squares: MethodScore


def backtest(  # noqa: PLR0913 - the points, and one keyword per setting of `predict:`
    points: Iterable[Point],
    *,
    reaches: float,
    within: timedelta,
    window: timedelta,
    min_history: timedelta,
    step: timedelta,
    direction: Direction = "up",
    coverage: float = 0.8,
) -> BacktestResult:
    """Replay ``points`` every ``step`` and score maintd's forecast against least squares.

    Raises ValueError for naive datetimes or a step that is not positive.
    """
    if step <= timedelta(0):
        raise ValueError("step must be positive")
    history = clean_points(points)
    breach = first_breach(history, reaches, direction)
    times = [point.at for point in history]
    instants = _instants(times, min_history, step, breach)

    def robust(known: Sequence[Point], now: datetime) -> datetime | None:
        forecast = forecast_threshold(known, reaches=reaches, now=now, window=window,
                                      min_history=min_history, coverage=coverage,
                                      direction=direction,
                                      horizon=horizon_for(window, within))  # fmt: skip
        return forecast.eta

    def linear(known: Sequence[Point], now: datetime) -> datetime | None:
        return least_squares_eta(known, reaches, now, window, direction)

    frame = _Frame(history, times, window, within, breach, times[-1] if times else None)
    return BacktestResult(
        breach=breach,
        first_forecast=instants[0] if instants else None,
        last_forecast=instants[-1] if instants else None,
        maintd=_replay("maintd", robust, instants, frame),
        least_squares=_replay("least squares", linear, instants, frame),
    )


def first_breach(points: Sequence[Point], reaches: float, direction: Direction) -> datetime | None:
    """The first of the (sorted, cleaned) ``points`` at or past ``reaches``, or None."""
    sign = 1.0 if direction == "up" else -1.0
    for point in points:
        if point.value is not None and sign * point.value >= sign * reaches:
            return point.at
    return None


@dataclass(frozen=True)
class _Frame:
    history: Sequence[Point]
    times: Sequence[datetime]
    window: timedelta
    within: timedelta
    breach: datetime | None
    ends: datetime | None

    def known_at(self, now: datetime) -> Sequence[Point]:
        """The points a forecast at ``now`` may use: those of its window, none from later."""
        start = bisect_right(self.times, now - self.window)
        return self.history[start : bisect_right(self.times, now)]

    def judge(self, warned_at: datetime) -> str:
        """Judge a warning issued at ``warned_at``: "true", "false" or "unjudged"."""
        deadline = warned_at + self.within
        if self.breach is not None and warned_at < self.breach <= deadline:
            return "true"
        if self.breach is not None or (self.ends is not None and deadline <= self.ends):
            return "false"
        return "unjudged"


def _instants(
    times: Sequence[datetime], min_history: timedelta, step: timedelta, breach: datetime | None
) -> list[datetime]:
    if not times:
        return []
    end = breach if breach is not None else times[-1] + step
    instants = []
    now = times[0] + min_history
    while now < end:
        instants.append(now)
        now += step
    return instants


def _replay(name: str, method: Method, instants: Sequence[datetime], frame: _Frame) -> MethodScore:
    verdicts: list[str] = []
    started = time.perf_counter()
    for now in instants:
        eta = method(frame.known_at(now), now)
        warns = eta is not None and eta <= now + frame.within
        verdicts.append(frame.judge(now) if warns else "quiet")
    seconds = time.perf_counter() - started
    first_true = next((index for index, verdict in enumerate(verdicts) if verdict == "true"), None)
    lapses = 0
    if first_true is not None:
        after = verdicts[first_true:]
        lapses = sum(1 for earlier, later in pairwise(after) if earlier == "true" != later)
    first_warning = instants[first_true] if first_true is not None else None
    return MethodScore(
        method=name,
        forecasts=len(instants),
        warnings=sum(1 for verdict in verdicts if verdict != "quiet"),
        first_warning=first_warning,
        lead_time=frame.breach - first_warning if frame.breach and first_warning else None,
        lapses=lapses,
        false_warnings=verdicts.count("false"),
        unjudged=verdicts.count("unjudged"),
        seconds=seconds,
    )
