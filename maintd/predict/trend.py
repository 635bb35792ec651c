"""Time to threshold: when a metric reaches a value, and how sure that is.

Given one metric's ``Point``s, a threshold and the time now, ``forecast_threshold`` returns a
``Forecast``: a robust trend through the recent history (its ``Fit``), when it reaches the
threshold, an interval around that time, a ``Verdict`` and one sentence saying why.
``least_squares_eta`` is the naive baseline (Prometheus ``predict_linear``) that the backtest
compares it with.

The statistics (buckets of medians, resets and level shifts, Theil-Sen, the daily cycle,
Sen's interval) live in ``robust``, which says why each was chosen. This module puts them
together and decides what the fit means:

- **Segment.** Only what follows the last reset is fitted, in two pieces around a one-off
  level shift. Resets that recur (two or more in the window) also say when the next is due:
  a crossing forecast for after it is not announced, since the reset has kept it lower every
  time.
- **Daily cycle.** When the fit has one, the eta is when the daily *peak* reaches the
  threshold — when an hourly reading would first get there (the envelope of the peaks: up to
  a day early).
- **Interval.** A prediction band for a bucket's median: its slope part is Sen's interval,
  its level part the residuals' robust spread (1.4826 x MAD), the two added in quadrature
  around the centre of the data. ``eta_low`` is when the band's near edge reaches the
  threshold, ``eta_high`` when its far edge does; closed form and deterministic, unlike a
  bootstrap, and as cheap as the fit. No eta is given while the slope's interval still holds
  zero.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from operator import attrgetter
from typing import Any, Literal

from maintd.predict.robust import (
    DAY_SECONDS,
    MAD_TO_SIGMA,
    Piece,
    bucket_points,
    build_slot_finder,
    choose_bucket_width,
    estimate_autocorrelation_inflation,
    estimate_sen_interval,
    find_daily_profile,
    find_segment,
    fit_theil_sen,
)

Direction = Literal["up", "down"]

MIN_BUCKETS = 5
# A line fitted on a week says little about next quarter: etas further out than this many
# windows are "not within the horizon".
EXTRAPOLATION = 4


def horizon_for(window: timedelta, within: timedelta) -> timedelta:
    """How far ahead a `predict:` forecast believes an eta: ``EXTRAPOLATION`` windows, but
    never less than the warning's own ``within`` (asked for, it is looked at)."""
    return max(EXTRAPOLATION * window, within)


@dataclass(frozen=True, slots=True)
class Point:
    """One reading of a metric. ``value`` None (a plugin's ``U``), NaN or infinite is dropped."""

    at: datetime
    value: float | None


class Verdict(StrEnum):
    """What a forecast concluded, for code; ``Forecast.reason`` says it for people."""

    REACHES = "reaches"  # heading there within the horizon: eta is set
    ALREADY = "already"  # the latest bucket is at or past the threshold
    BEYOND = "beyond"  # heading there, but not within the horizon
    RESET_FIRST = "reset-first"  # heading there, but a recurring reset is due before
    UNCLEAR = "unclear"  # moving toward it, but its interval still holds a flat line
    NOT_HEADING = "not-heading"  # flat, or moving away from the threshold
    INSUFFICIENT = "insufficient"  # too little history (since the last reset) to say


@dataclass(frozen=True)
class Fit:
    """A fitted trend and its band, in the metric's units, for reports to draw.

    ``trend_at(t)`` is the line; ``fit_at(t)`` adds the daily cycle (``season``: one offset per
    ``bucket`` from midnight UTC, empty when none was found); ``band_at(t)`` is the prediction
    band of a bucket's median, narrowest at ``pivot`` (the centre of the data fitted).
    """

    now: datetime
    level_now: float  # the trend line at now, without the daily cycle
    slope_per_day: float
    slope_low_per_day: float
    slope_high_per_day: float
    pivot: datetime
    spread: float  # half-width of the band at the pivot: z x the residuals' robust scale
    bucket: timedelta
    season: tuple[float, ...] = ()

    def trend_at(self, at: datetime) -> float:
        """The trend line at ``at``."""
        return self.level_now + self.slope_per_day * _days(at - self.now)

    def fit_at(self, at: datetime) -> float:
        """The fitted value at ``at``: the trend plus the daily cycle."""
        if not self.season:
            return self.trend_at(at)
        slot = int(at.timestamp() % DAY_SECONDS // self.bucket.total_seconds())
        return self.trend_at(at) + self.season[slot % len(self.season)]

    def band_at(self, at: datetime) -> tuple[float, float]:
        """The (low, high) prediction band at ``at``."""
        after = _days(at - self.pivot)
        faster = (self.slope_high_per_day - self.slope_per_day) * after
        slower = (self.slope_low_per_day - self.slope_per_day) * after
        centre = self.fit_at(at)
        return (centre - math.hypot(max(-faster, -slower), self.spread),
                centre + math.hypot(max(faster, slower), self.spread))  # fmt: skip


@dataclass(frozen=True)
class Forecast:
    """When a metric reaches ``reaches``, with an interval, and why.

    ``eta`` is the median estimate; ``eta_low`` and ``eta_high`` bound it with probability
    ``coverage``, ``eta_high`` None meaning "not within the horizon, maybe never".
    ``segment_started`` is set when a reset was seen in the window and only what followed was
    fitted; ``reset_every`` when resets recur, how often; ``level_shift`` when a one-off jump
    toward the threshold moved the level but not the slope. ``fit`` is None when there was
    too little history to fit anything.
    """

    verdict: Verdict
    reason: str
    method: str
    direction: Direction
    reaches: float
    coverage: float
    now: datetime
    horizon: datetime
    fitted_from: datetime | None
    fitted_to: datetime | None
    points_used: int
    segment_started: datetime | None
    level_shift: datetime | None
    reset_every: timedelta | None
    eta: datetime | None
    eta_low: datetime | None
    eta_high: datetime | None
    fit: Fit | None

    @property
    def slope_per_day(self) -> float | None:
        """The trend in units a day, or None without a fit."""
        return self.fit.slope_per_day if self.fit else None

    @property
    def level_now(self) -> float | None:
        """The trend line's value at ``now``, or None without a fit."""
        return self.fit.level_now if self.fit else None

    def reached_within(self, within: timedelta) -> bool:
        """Whether this forecast warns: its median estimate falls within ``within`` of now."""
        return self.eta is not None and self.eta <= self.now + within


def forecast_threshold(  # noqa: PLR0913 - the points, and one keyword per setting of `predict:`
    points: Iterable[Point],
    *,
    reaches: float,
    now: datetime,
    window: timedelta,
    min_history: timedelta,
    coverage: float = 0.8,
    direction: Direction = "up",
    horizon: timedelta | None = None,
) -> Forecast:
    """Forecast when the metric reaches ``reaches``, from its points in the last ``window``
    (any order; points after ``now`` are ignored).

    ``direction`` "down" forecasts a metric falling to a floor (free space, a battery).
    ``horizon`` (default: 4 windows) is how far ahead an eta is believed. Raises ValueError for
    naive datetimes or out-of-range arguments; never for odd data, which the reason explains.
    """
    _check_arguments(now, window, min_history, coverage)
    sign = 1.0 if direction == "up" else -1.0
    width = choose_bucket_width(window)
    buckets = bucket_points(clean_points(points, since=now - window, until=now), now, width, sign)
    start, shift, reset_every = find_segment(buckets)
    segment = buckets[start:]
    base = Forecast(
        verdict=Verdict.INSUFFICIENT, reason="", method="theil-sen", direction=direction,
        reaches=reaches, coverage=coverage, now=now,
        horizon=now + (horizon if horizon is not None else EXTRAPOLATION * window),
        fitted_from=segment[0].first if segment else None,
        fitted_to=segment[-1].last if segment else None,
        points_used=sum(bucket.count for bucket in segment),
        segment_started=segment[0].first if start > 0 else None,
        level_shift=segment[shift].first if shift else None, reset_every=reset_every,
        eta=None, eta_low=None, eta_high=None, fit=None,
    )  # fmt: skip
    if not segment:
        return _with(base, Verdict.INSUFFICIENT, f"no data in the last {format_span(window)}")
    pieces = [[(bucket.days, bucket.value) for bucket in part]
              for part in ([segment[:shift], segment[shift:]] if shift else [segment])]  # fmt: skip
    fit = _fit(pieces, now, coverage, sign, width) if len(segment) >= MIN_BUCKETS else None
    base = replace(base, fit=fit)
    if segment[-1].value >= sign * reaches:
        reason = _already(reaches, direction)
        return _with(base, Verdict.ALREADY, reason, eta=now, eta_low=now, eta_high=now)
    if fit is None or now - segment[0].first < min_history:
        reason = _too_little(base, len(segment), min_history)
        return _with(base, Verdict.INSUFFICIENT, reason, fit=None)
    return _conclude(base, fit, sign)


def clean_points(
    points: Iterable[Point], *, since: datetime | None = None, until: datetime | None = None
) -> list[Point]:
    """The points in (since, until] (an end None: open) with a finite value, sorted by time.

    Raises ValueError for a naive datetime: a forecast must never mix clocks.
    """
    kept = []
    for point in points:
        if point.at.utcoffset() is None:
            raise ValueError(f"naive datetime {point.at.isoformat()}: use aware UTC times")
        value = point.value
        if value is None or not math.isfinite(value):
            continue
        if (since is not None and point.at <= since) or (until is not None and point.at > until):
            continue
        kept.append(point)
    kept.sort(key=attrgetter("at"))
    return kept


def least_squares_eta(
    points: Iterable[Point],
    reaches: float,
    now: datetime,
    window: timedelta,
    direction: Direction = "up",
) -> datetime | None:
    """When ordinary least squares over the window reaches ``reaches``: Prometheus'
    ``predict_linear``, with no resets and no robustness, kept as the baseline to beat.

    Returns ``now`` when the line is already past it, None when it never gets there.
    """
    _check_arguments(now, window, timedelta(0), 0.5)
    cleaned = clean_points(points, since=now - window, until=now)
    days = [_days(point.at - now) for point in cleaned]
    values = [float(point.value or 0.0) for point in cleaned]
    if len(days) < 2 or min(days) == max(days):
        return None
    mean_days, mean_value = statistics.fmean(days), statistics.fmean(values)
    spread = sum((day - mean_days) ** 2 for day in days)
    pairs = zip(days, values, strict=True)
    slope = sum((day - mean_days) * (value - mean_value) for day, value in pairs) / spread
    level_now = mean_value - slope * mean_days
    sign = 1.0 if direction == "up" else -1.0
    if sign * level_now >= sign * reaches:
        return now
    if sign * slope <= 0:
        return None
    return now + timedelta(days=(reaches - level_now) / slope)


def format_span(span: timedelta) -> str:
    """A duration the way people say it: ``45 min``, ``10 h``, ``3.5 d``."""
    seconds = span.total_seconds()
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < DAY_SECONDS:
        return f"{seconds / 3600:.0f} h"
    days = seconds / DAY_SECONDS
    return f"{days:.0f} d" if days >= 10 else f"{days:.1f} d".replace(".0 ", " ")


def format_range(low: timedelta, high: timedelta | None) -> str:
    """``9-13 d``, ``5 h-2.5 d``, or ``4 d-never`` for an open interval."""
    low_text = format_span(low)
    if high is None:
        return f"{low_text}-never"
    high_text = format_span(high)
    low_number, low_unit = low_text.split()
    if high_text.endswith(f" {low_unit}"):
        return f"{low_number}-{high_text}"
    return f"{low_text}-{high_text}"


def _check_arguments(
    now: datetime, window: timedelta, min_history: timedelta, coverage: float
) -> None:
    if now.utcoffset() is None:
        raise ValueError(f"naive now {now.isoformat()}: use an aware UTC time")
    if window <= timedelta(0) or min_history < timedelta(0):
        raise ValueError("window must be positive and min_history not negative")
    if not 0 < coverage < 1:
        raise ValueError(f"coverage must lie strictly between 0 and 1, not {coverage}")


def _fit(
    pieces: Sequence[Piece], now: datetime, coverage: float, sign: float, width: timedelta
) -> Fit:
    """The trend, daily cycle and band of ``pieces`` (oriented), returned in real units."""
    line = fit_theil_sen(pieces)
    season = find_daily_profile(pieces, line.residuals, now, width)
    if season:
        slot_of = build_slot_finder(now, width)
        pieces = [[(day, value - season[slot_of(day)]) for day, value in piece]
                  for piece in pieces]  # fmt: skip
        line = fit_theil_sen(pieces)
    inflation = estimate_autocorrelation_inflation(line.residuals)
    z = statistics.NormalDist().inv_cdf((1 + coverage) / 2)
    low, high = estimate_sen_interval(line.slopes, [len(piece) for piece in pieces], z, inflation)
    scale = MAD_TO_SIGMA * statistics.median(abs(residual) for residual in line.residuals)
    spread = z * scale * math.sqrt(1 + inflation / len(pieces[-1]))
    pivot = now + timedelta(days=statistics.median(day for day, _ in pieces[-1]))
    if sign < 0:
        low, high = -high, -low
    return Fit(now, sign * line.level, sign * line.slope, low, high, pivot, spread, width,
               tuple(sign * offset for offset in season))  # fmt: skip


def _conclude(base: Forecast, fit: Fit, sign: float) -> Forecast:
    """Set eta, the interval and the verdict from ``fit`` (real units; ``sign`` orients)."""
    slope = sign * fit.slope_per_day
    slowest = min(sign * fit.slope_high_per_day, sign * fit.slope_low_per_day)
    eta_low, eta_high = _interval(base, fit, sign)
    interval = {"eta_low": eta_low, "eta_high": eta_high}
    notes = _notes(base)
    if slope <= 0:
        reason = "flat or falling" if sign > 0 else "flat or rising"
        return _with(base, Verdict.NOT_HEADING, reason + notes, **interval)
    rate = f"{fit.slope_per_day:+.3g}/d"
    if slowest <= 0:
        reason = (f"no clear trend: {rate}, {base.coverage * 100:.0f} % interval "
                  f"{fit.slope_low_per_day:+.3g} to {fit.slope_high_per_day:+.3g}/d")  # fmt: skip
        return _with(base, Verdict.UNCLEAR, reason + notes, **interval)
    gap = sign * base.reaches - _peak(fit, sign) - sign * fit.level_now
    eta = base.now + timedelta(days=max(0.0, gap) / slope)
    if eta > base.horizon:
        reason = f"{rate}: not within the {format_span(base.horizon - base.now)} horizon"
        return _with(base, Verdict.BEYOND, reason + notes, **interval)
    if base.reset_every and base.segment_started and base.segment_started + base.reset_every < eta:
        reason = (f"{rate} would reach {base.reaches:g} in {format_span(eta - base.now)}, but it "
                  f"is reset every {format_span(base.reset_every)}, next due "
                  f"{_stamp(base.segment_started + base.reset_every)}")  # fmt: skip
        return _with(base, Verdict.RESET_FIRST, reason, **interval)
    # The edges are solved apart from the median: with an interval of almost no width,
    # rounding could put an edge microseconds on the wrong side of it.
    eta_low = min(eta_low or base.now, eta)
    eta_high = max(eta_high, eta) if eta_high is not None else None
    reason = _reaches(base, eta, eta_low, eta_high) + notes
    return _with(base, Verdict.REACHES, reason, eta=eta, eta_low=eta_low, eta_high=eta_high)


def _interval(base: Forecast, fit: Fit, sign: float) -> tuple[datetime | None, datetime | None]:
    """When the band's near edge and its far edge reach the threshold, within the horizon."""
    target = sign * base.reaches - _peak(fit, sign)
    slope = sign * fit.slope_per_day
    start, stop = _days(base.now - fit.pivot), _days(base.horizon - fit.pivot)
    level = sign * fit.trend_at(fit.pivot)
    faster = max(sign * fit.slope_high_per_day, sign * fit.slope_low_per_day) - slope
    slower = slope - min(sign * fit.slope_high_per_day, sign * fit.slope_low_per_day)
    early = _Edge(level, slope, faster, fit.spread, 1.0).first_reach(target, start, stop)
    late = _Edge(level, slope, slower, fit.spread, -1.0).first_reach(target, start, stop)
    return _at(fit.pivot, early), _at(fit.pivot, late)


def _peak(fit: Fit, sign: float) -> float:
    """How far the daily cycle's peak (toward the threshold) lies beyond the trend."""
    return max((sign * offset for offset in fit.season), default=0.0)


@dataclass(frozen=True, slots=True)
class _Edge:
    """One edge of the band, oriented, u days from the pivot:
    level + slope u + side sqrt((widen u)^2 + spread^2)."""

    level: float
    slope: float
    widen: float
    spread: float
    side: float

    def at(self, u: float) -> float:
        return self.level + self.slope * u + self.side * math.hypot(self.widen * u, self.spread)

    def first_reach(self, target: float, start: float, stop: float) -> float | None:
        """First u in [start, stop] where the edge reaches ``target``, or None.

        Squared: (widen^2 - slope^2) u^2 + 2 A slope u + spread^2 - A^2 = 0, A = target - level;
        roots that do not satisfy the unsquared equation are dropped.
        """
        if self.at(start) >= target:
            return start
        gap = target - self.level
        roots = _roots(self.widen**2 - self.slope**2, 2 * gap * self.slope,
                       self.spread**2 - gap**2)  # fmt: skip
        tolerance = 1e-7 * (abs(target) + abs(self.level) + self.spread + 1)
        found = [root for root in roots
                 if start <= root <= stop and abs(self.at(root) - target) <= tolerance]  # fmt: skip
        return min(found) if found else None


def _roots(quadratic: float, linear: float, constant: float) -> list[float]:
    if abs(quadratic) < 1e-12 * (abs(linear) + abs(constant) + 1e-300):
        return [-constant / linear] if linear else []
    discriminant = linear * linear - 4 * quadratic * constant
    if discriminant < 0:
        # A double root (a band of zero width) comes out a hair negative.
        if discriminant < -1e-9 * linear * linear:
            return []
        discriminant = 0.0
    root = math.sqrt(discriminant)
    return [(-linear - root) / (2 * quadratic), (-linear + root) / (2 * quadratic)]


def _reaches(
    base: Forecast, eta: datetime, eta_low: datetime | None, eta_high: datetime | None
) -> str:
    low = (eta_low or base.now) - base.now
    high = None if eta_high is None else eta_high - base.now
    median = format_span(eta - base.now)
    return (f"reaches {base.reaches:g} in {format_range(low, high)} "
            f"(median {median}, {base.coverage * 100:.0f} % interval)")  # fmt: skip


def _already(reaches: float, direction: Direction) -> str:
    return f"already at or {'above' if direction == 'up' else 'below'} {reaches:g}"


def _too_little(base: Forecast, buckets: int, min_history: timedelta) -> str:
    history = base.now - (base.fitted_from or base.now)
    text = f"not enough history: {format_span(history)} of {format_span(min_history)}"
    if history >= min_history:
        text = f"not enough history: {buckets} readings of {MIN_BUCKETS}"
    return text + _notes(base)


def _notes(base: Forecast) -> str:
    notes = []
    if base.fit is not None and base.fit.season:
        notes.append("; at the daily peak")
    if base.segment_started is not None:
        notes.append(f"; fitted since the reset at {_stamp(base.segment_started)}")
    if base.level_shift is not None:
        notes.append(f"; the jump at {_stamp(base.level_shift)} counted as a one-off")
    return "".join(notes)


def _stamp(at: datetime) -> str:
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _with(base: Forecast, verdict: Verdict, reason: str, **changes: Any) -> Forecast:
    return replace(base, verdict=verdict, reason=reason, **changes)


def _at(pivot: datetime, days: float | None) -> datetime | None:
    return None if days is None else pivot + timedelta(days=days)


def _days(span: timedelta) -> float:
    return span.total_seconds() / DAY_SECONDS
