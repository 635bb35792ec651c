"""Robust statistics for a trend: the building blocks that ``trend`` assembles into a forecast.

Given one metric's ``Point``s, ``bucket_points`` folds them into medians (``Bucket``s),
``find_segment`` finds the resets and a one-off level shift among those, ``fit_theil_sen`` fits a
``Line`` through pieces of (day, value) pairs, ``find_daily_profile`` finds a daily cycle in its
residuals, and ``estimate_sen_interval`` (widened by ``estimate_autocorrelation_inflation``)
bounds its slope. Values arrive oriented, times the direction's sign so that the threshold
always lies above, and days count relative to now; nothing here knows of thresholds, etas or
verdicts, which is why it stands apart from ``trend``. ``anomaly`` uses ``slot_medians`` and
``MAD_TO_SIGMA`` for its baseline too. Standard library only.

Each block, and why:

- **Buckets.** Points are folded into medians per bucket (an hour for a 7-day window, at most
  200 buckets a window): a 5-minute metric and the store's hourly rows fit alike, one bad
  reading cannot move the fit, and the pairwise fit stays cheap in pure Python (168 buckets =
  14k pairs, ~4 ms; numpy would add 15-20 MB to a daemon with 9 MB to spare).
- **Resets.** A fall against the direction of travel by more than 5 typical bucket-to-bucket
  moves *and* a quarter of the window's range, made in one step and persisting (the medians
  of three buckets either side differ by all of it), is a log rotation or a cleanup: it starts
  a new segment and only the last segment is fitted. A sawtooth is never read as a runaway and
  a drop never bends the line; small cleanups stay in and the robust fit shrugs them off.
  Resets that recur (two or more in the window) also give the usual time between them.
- **Level shifts.** One such jump *toward* the threshold (a big file landing) splits the
  segment in two pieces: the slope comes from pairs within each piece, the level from the
  last. Two or more jumps are a staircase, which is the trend itself, and stay in the fit.
- **Trend.** Theil-Sen: the median of the pairwise slopes, the level the median of the
  residual levels. Up to 29 % of wild buckets leave it standing; least squares follows them.
- **Daily cycle.** When the segment spans two days or more and an hour-of-day profile of the
  residuals predicts days it was not taken from (even days the odd ones and back), cutting
  their spread by a quarter, it is taken out and the line refitted.
- **Slope interval.** Sen's rank confidence interval, with the Mann-Kendall variance widened
  by (1 + r) / (1 - r) for the lag-1 autocorrelation r of the residuals, since neighbouring
  hours are alike. Closed form and deterministic, unlike a bootstrap, and as cheap as the fit.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Only for annotations: ``trend`` builds on this module, never the other way round.
    from maintd.predict.trend import Point

Piece = list[tuple[float, float]]  # (days relative to now, oriented value) per bucket

DAY_SECONDS = 86400.0
MAX_BUCKETS = 200
BUCKET_MINUTES = (1, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440)
RESET_STEPS = 5.0
RESET_SHARE = 0.25
SEASON_GAIN = 0.75  # a daily profile is used when it leaves at most this share of the spread
MAD_TO_SIGMA = 1.4826
MAX_AUTOCORRELATION = 0.9


@dataclass(frozen=True, slots=True)
class Bucket:
    """The median of the points in one bucket of time, and which points those were."""

    days: float  # mean time of its points, in days relative to now (negative: the past)
    value: float  # median of its points, times the direction's sign
    first: datetime
    last: datetime
    count: int


@dataclass(frozen=True, slots=True)
class Line:
    """A Theil-Sen line through oriented pieces (days relative to now), with what it was made of."""

    slope: float
    slopes: list[float]  # sorted pairwise slopes
    level: float  # of the last piece, at now
    residuals: list[float]


def choose_bucket_width(window: timedelta) -> timedelta:
    """The narrowest round bucket that keeps ``window`` within ``MAX_BUCKETS`` buckets."""
    wanted = window / MAX_BUCKETS
    for minutes in BUCKET_MINUTES:
        if timedelta(minutes=minutes) >= wanted:
            return timedelta(minutes=minutes)
    return wanted


def bucket_points(
    points: Sequence[Point], now: datetime, width: timedelta, sign: float
) -> list[Bucket]:
    """Medians per bucket aligned on the epoch, values times ``sign`` so that the threshold
    always lies above."""
    size, origin = width.total_seconds(), now.timestamp()
    buckets: list[Bucket] = []
    days: list[float] = []
    values: list[float] = []
    key, first = math.nan, 0
    for position, point in enumerate(points):
        stamp = point.at.timestamp()
        if stamp // size != key and days:
            buckets.append(_fold(days, values, points[first].at, points[position - 1].at))
            days, values, first = [], [], position
        key = stamp // size
        days.append((stamp - origin) / DAY_SECONDS)
        values.append(sign * float(point.value or 0.0))
    if days:
        buckets.append(_fold(days, values, points[first].at, points[-1].at))
    return buckets


def _fold(days: list[float], values: list[float], first: datetime, last: datetime) -> Bucket:
    values.sort()
    return Bucket(sum(days) / len(days), _median_of_sorted(values), first, last, len(values))


def find_segment(buckets: Sequence[Bucket]) -> tuple[int, int, timedelta | None]:
    """Where the current segment starts (after the last reset; 0: no reset), where in it a
    one-off level shift starts (0: none), and the usual time between resets when two or more
    were seen (None otherwise)."""
    falls, rises = _steps([bucket.value for bucket in buckets])
    start = falls[-1] if falls else 0
    shifts = [index - start for index in rises if index > start]
    gaps = [buckets[later].first - buckets[earlier].first for earlier, later in pairwise(falls)]
    every = sorted(gaps)[len(gaps) // 2] if gaps else None
    return start, shifts[0] if len(shifts) == 1 else 0, every


def _steps(values: Sequence[float]) -> tuple[list[int], list[int]]:
    """Indices where the level falls (resets) and rises (shifts) in one step.

    A step moves at least half of ``needed`` between neighbouring buckets, while the medians
    of the three buckets before and the (up to) three from it differ by all of it, the same
    way; ``needed`` is the larger of ``RESET_STEPS`` typical moves and ``RESET_SHARE`` of the
    range. A smooth acceleration moves a third of that per bucket and is no step. Of
    neighbouring candidates the largest move wins, the later on a tie, so a drop straddling two
    buckets starts the segment on the new level. A rise needs three buckets after it, so that
    one high reading cannot lift the level.
    """
    if len(values) < 3:
        return [], []
    typical = statistics.median(abs(later - earlier) for earlier, later in pairwise(values))
    needed = max(RESET_STEPS * typical, RESET_SHARE * (max(values) - min(values)))
    if needed <= 0:
        return [], []
    candidates = []
    for index in range(1, len(values)):
        move = values[index] - values[index - 1]
        before = statistics.median(values[max(0, index - 3) : index])
        change = statistics.median(values[index : index + 3]) - before
        if abs(move) >= needed / 2 and abs(change) >= needed and move * change > 0:
            candidates.append((index, move))
    steps: list[tuple[int, float]] = []
    for index, move in candidates:
        if steps and index - steps[-1][0] <= 2 and steps[-1][1] * move > 0:
            if abs(move) >= abs(steps[-1][1]):
                steps[-1] = (index, move)
        else:
            steps.append((index, move))
    falls = [index for index, move in steps if move < 0]
    rises = [index for index, move in steps if move > 0 and index <= len(values) - 3]
    return falls, rises


def fit_theil_sen(pieces: Sequence[Piece]) -> Line:
    """The median of the pairwise slopes within each piece (the seasonal-Kendall slope of
    Hirsch 1982, the pieces as blocks); each piece's level is its median residual level."""
    slopes: list[float] = []
    for piece in pieces:
        for index, (day, value) in enumerate(piece):
            slopes.extend([(other - value) / (when - day) for when, other in piece[index + 1 :]])
    slopes.sort()
    slope = _median_of_sorted(slopes) if slopes else 0.0
    residuals: list[float] = []
    level = 0.0
    for piece in pieces:
        level = statistics.median(value - slope * day for day, value in piece)
        residuals.extend(value - slope * day - level for day, value in piece)
    return Line(slope, slopes, level, residuals)


def find_daily_profile(
    pieces: Sequence[Piece], residuals: Sequence[float], now: datetime, width: timedelta
) -> list[float]:
    """Median residual per time of day (centred), or empty when there is no daily cycle.

    The cycle must predict days it was not taken from: profiles of the even and of the odd
    days, each applied to the other days, must leave at most ``SEASON_GAIN`` of the spread.
    (Slot medians always shrink the residuals they were computed from, cycle or not.)
    """
    days = [day for piece in pieces for day, _ in piece]
    slots = round(DAY_SECONDS / width.total_seconds())
    if slots < 4 or days[-1] - days[0] < 2:
        return []
    slot_of = build_slot_finder(now, width)
    keys = [slot_of(day) for day in days]
    today = now.timestamp() / DAY_SECONDS
    parities = [math.floor(today + day) % 2 for day in days]
    halves = [slot_medians(keys, residuals, slots, [parity == half for parity in parities])
              for half in (0, 1)]  # fmt: skip
    triples = zip(residuals, keys, parities, strict=True)
    crossed = statistics.median(abs(residual - halves[1 - parity][key])
                                for residual, key, parity in triples)  # fmt: skip
    if not crossed < SEASON_GAIN * statistics.median(abs(residual) for residual in residuals):
        return []
    return slot_medians(keys, residuals, slots, [True] * len(keys))


def slot_medians(
    keys: Sequence[int], residuals: Sequence[float], slots: int, chosen: Sequence[bool]
) -> list[float]:
    """A seasonal profile: the median of the ``chosen`` residuals in each of ``slots`` slots
    (``keys`` gives each residual's slot; an empty slot is 0), centred on its own median."""
    by_slot: list[list[float]] = [[] for _ in range(slots)]
    for key, residual, wanted in zip(keys, residuals, chosen, strict=True):
        if wanted:
            by_slot[key].append(residual)
    profile = [statistics.median(group) if group else 0.0 for group in by_slot]
    centre = statistics.median(profile)
    return [offset - centre for offset in profile]


def build_slot_finder(now: datetime, width: timedelta) -> Callable[[float], int]:
    """A function from days relative to ``now`` to the slot of the day (of ``width`` each,
    counted from midnight UTC) they fall in."""
    origin, size = now.timestamp(), width.total_seconds()
    slots = round(DAY_SECONDS / size)

    def slot_of(day: float) -> int:
        return int((origin + day * DAY_SECONDS) % DAY_SECONDS // size) % slots

    return slot_of


def _median_of_sorted(values: Sequence[float]) -> float:
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def estimate_autocorrelation_inflation(residuals: Sequence[float]) -> float:
    """(1 + r) / (1 - r) for the lag-1 autocorrelation r of the residuals, r in [0, 0.9]."""
    mean = statistics.fmean(residuals)
    centred = [residual - mean for residual in residuals]
    power = sum(value * value for value in centred)
    if power == 0:
        return 1.0
    lagged = sum(earlier * later for earlier, later in pairwise(centred))
    r = min(MAX_AUTOCORRELATION, max(0.0, lagged / power))
    return (1 + r) / (1 - r)


def estimate_sen_interval(
    slopes: Sequence[float], sizes: Sequence[int], z: float, inflation: float
) -> tuple[float, float]:
    """Sen's confidence interval: the pairwise slopes of ranks (N -/+ z sqrt(Var S)) / 2, with
    Var S the Mann-Kendall variance summed over the pieces (Gilbert 1987, ch. 16-17)."""
    count = len(slopes)
    if count == 0:
        return 0.0, 0.0
    variance = sum(size * (size - 1) * (2 * size + 5) / 18 for size in sizes)
    half = z * math.sqrt(inflation * variance)
    low_index = min(count - 1, max(0, round((count - half) / 2) - 1))
    high_index = min(count - 1, max(0, round((count + half) / 2)))
    return slopes[low_index], slopes[high_index]
