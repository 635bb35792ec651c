"""Anomalies: readings unlike the metric's own past, and slow drifts toward a limit.

For metrics without a fixed threshold (temperature, response time, error rate).
``detect_anomaly`` takes a metric's points and a ``Rule`` and returns an ``Anomaly`` or None:

1. **Baseline** (``fit_baseline``): the median of the history, plus an hour-of-day profile
   when the history covers two days, or an hour-of-week profile when it covers two weeks —
   each kept only if it predicts the days (weeks) it was not taken from, cutting the mean
   absolute residual by a tenth. Medians and MAD, so past incidents in the history do not
   become normal. A response time of 300 ms is usual at 15:00 on a Tuesday and not at 03:00.
2. **Score** (``score_points``): a robust z per reading, (value - expected) / (1.4826 x MAD
   of the residuals) — the mean absolute deviation stands in where more than half of the
   residuals are 0, as with error counts.
3. **Persistence** (``judge_scores``): an alert needs ``at_least`` of the last ``of_last``
   readings beyond ``threshold`` the same way, so one odd reading never pages anyone.

``detect_drift`` is the other half: with a limit given, the trend forecast (which takes a daily
cycle out by itself) says whether the metric's daily peak reaches the limit within ``within``.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Literal

from maintd.predict.robust import MAD_TO_SIGMA, slot_medians
from maintd.predict.trend import (
    Direction,
    Forecast,
    Point,
    Verdict,
    clean_points,
    forecast_threshold,
)

Season = Literal["none", "daily", "weekly"]
Sense = Literal["up", "down", "both"]

MIN_BASELINE_POINTS = 30
# A finer profile is kept when, on the days (weeks) it was not taken from, it leaves at most
# this share of the coarser one's spread: held-out data already punishes overfitting.
SEASON_GAIN = 0.9
MEAN_TO_SIGMA = 1.2533  # sigma / mean absolute deviation, for a normal distribution
DAY = timedelta(days=1)
WEEK = timedelta(days=7)
SEASON_TO_DESCRIPTION = {
    "none": "its overall median",
    "daily": "its median for this hour of the day",
    "weekly": "its median for this hour of the week",
}


@dataclass(frozen=True)
class Rule:
    """When readings become an anomaly: ``at_least`` of the last ``of_last`` beyond a robust z
    of ``threshold`` (3.5: Iglewicz and Hoaglin's cut-off for the modified z-score), in
    ``direction``, and at least ``min_deviation`` from the expected value (the metric's
    resolution; 0 counts any difference once the z is high enough)."""

    threshold: float = 3.5
    at_least: int = 3
    of_last: int = 5
    direction: Sense = "both"
    min_deviation: float = 0.0

    def __post_init__(self) -> None:
        if not 1 <= self.at_least <= self.of_last or self.threshold <= 0:
            raise ValueError("a rule needs 1 <= at_least <= of_last and a positive threshold")


@dataclass(frozen=True)
class Baseline:
    """What a metric usually reads: ``level`` plus the ``season``'s profile offset (24 per day
    or 168 per week, in ``zone``), give or take ``scale`` (a robust standard deviation)."""

    season: Season
    level: float
    scale: float
    profile: tuple[float, ...]
    zone: tzinfo
    points: int

    def expected_at(self, at: datetime) -> float:
        """The usual value at ``at``."""
        if not self.profile:
            return self.level
        return self.level + self.profile[_slot_key(self.season, self.zone)(at)]


@dataclass(frozen=True)
class Score:
    """One reading against its baseline: ``score`` is its robust z."""

    at: datetime
    value: float
    expected: float
    score: float


@dataclass(frozen=True)
class Anomaly:
    """Something to tell a person about.

    ``kind`` "outlier": readings unlike the baseline since ``since``; ``score`` is their median
    robust z, ``expected`` and ``band`` what the baseline allowed at the latest of them.
    ``kind`` "drift": the trend reaches a limit within the horizon asked; ``since`` is where
    its fit starts, ``score`` the slope over its standard error, ``expected`` and ``band``
    the fit and band now, and ``forecast`` the forecast itself.
    """

    kind: Literal["outlier", "drift"]
    since: datetime
    score: float
    expected: float
    band: tuple[float, float]
    direction: Direction
    reason: str
    season: Season
    forecast: Forecast | None = None


def detect_anomaly(
    points: Iterable[Point],
    *,
    now: datetime,
    history: timedelta = timedelta(days=28),
    rule: Rule = Rule(),
    zone: tzinfo = UTC,
) -> Anomaly | None:
    """An anomaly among the last ``rule.of_last`` readings up to ``now``, judged against a
    baseline of the ``history`` before them; None when there is none or too little history.

    Raises ValueError for naive datetimes.
    """
    cleaned = clean_points(points, since=now - history, until=now)
    if len(cleaned) <= rule.of_last:
        return None
    baseline = fit_baseline(cleaned[: -rule.of_last], zone=zone)
    if baseline is None:
        return None
    return judge_scores(score_points(cleaned[-rule.of_last :], baseline), baseline, rule)


def fit_baseline(points: Iterable[Point], *, zone: tzinfo = UTC) -> Baseline | None:
    """The robust baseline of ``points`` (see the module's docstring), or None for fewer than
    ``MIN_BASELINE_POINTS`` readings."""
    cleaned = clean_points(points)
    if len(cleaned) < MIN_BASELINE_POINTS:
        return None
    values = [float(point.value or 0.0) for point in cleaned]
    level = statistics.median(values)
    residuals = [value - level for value in values]
    span = cleaned[-1].at - cleaned[0].at
    season: Season = "none"
    profile: list[float] = []
    spread = _spread(residuals)
    candidates: tuple[tuple[Season, timedelta], ...] = (("daily", DAY), ("weekly", WEEK))
    for candidate, period in candidates:
        if span < 2 * period:
            break
        crossed, candidate_profile = _try_season(candidate, cleaned, residuals, zone)
        if crossed < SEASON_GAIN * spread:
            season, profile, spread = candidate, candidate_profile, crossed
    if profile:
        key = _slot_key(season, zone)
        residuals = [residual - profile[key(point.at)]
                     for point, residual in zip(cleaned, residuals, strict=True)]  # fmt: skip
    return Baseline(season, level, _scale(residuals, level), tuple(profile), zone, len(cleaned))


def score_points(points: Iterable[Point], baseline: Baseline) -> list[Score]:
    """Each reading's robust z against ``baseline``, in time order."""
    scores = []
    for point in clean_points(points):
        value = float(point.value or 0.0)
        expected = baseline.expected_at(point.at)
        scores.append(Score(point.at, value, expected, (value - expected) / baseline.scale))
    return scores


def judge_scores(scores: Sequence[Score], baseline: Baseline, rule: Rule) -> Anomaly | None:
    """Apply ``rule``'s persistence to the last ``rule.of_last`` of ``scores``."""
    recent = scores[-rule.of_last :]
    senses: list[Direction] = ["up", "down"] if rule.direction == "both" else [rule.direction]
    for sense in senses:
        sign = 1.0 if sense == "up" else -1.0
        beyond = [score for score in recent
                  if sign * score.score >= rule.threshold
                  and abs(score.value - score.expected) >= rule.min_deviation]  # fmt: skip
        if len(beyond) >= rule.at_least:
            return _outlier(beyond, len(recent), baseline, rule, sense)
    return None


def detect_drift(  # noqa: PLR0913 - the points, the limit and the forecast's settings
    points: Iterable[Point],
    *,
    limit: float,
    within: timedelta,
    now: datetime,
    window: timedelta = WEEK,
    min_history: timedelta = 2 * DAY,
    direction: Direction = "up",
) -> Anomaly | None:
    """A drift when the trend of ``points`` (daily cycle taken out) says the metric reaches
    ``limit`` within ``within`` of now — or already has; None otherwise."""
    forecast = forecast_threshold(points, reaches=limit, now=now, window=window,
                                  min_history=min_history, direction=direction)  # fmt: skip
    fit = forecast.fit
    if fit is None or not forecast.reached_within(within):
        return None
    z = statistics.NormalDist().inv_cdf((1 + forecast.coverage) / 2)
    error = (fit.slope_high_per_day - fit.slope_low_per_day) / (2 * z)
    score = fit.slope_per_day / error if error > 0 else math.copysign(math.inf, fit.slope_per_day)
    head = "" if forecast.verdict is Verdict.ALREADY else f"drifting {fit.slope_per_day:+.3g}/d: "
    return Anomaly(
        kind="drift", since=forecast.fitted_from or now, score=score,
        expected=fit.fit_at(now), band=fit.band_at(now), direction=direction,
        reason=head + forecast.reason, season="daily" if fit.season else "none",
        forecast=forecast,
    )  # fmt: skip


def _outlier(
    beyond: Sequence[Score], recent: int, baseline: Baseline, rule: Rule, sense: Direction
) -> Anomaly:
    latest = beyond[-1]
    margin = rule.threshold * baseline.scale
    score = statistics.median(score.score for score in beyond)
    where = "above" if sense == "up" else "below"
    reason = (f"{len(beyond)} of the last {recent} readings {where} "
              f"{SEASON_TO_DESCRIPTION[baseline.season]}, {latest.expected:.4g} "
              f"(band {latest.expected - margin:.4g} to {latest.expected + margin:.4g}); "
              f"robust z {score:+.1f}")  # fmt: skip
    return Anomaly(
        kind="outlier", since=beyond[0].at, score=score, expected=latest.expected,
        band=(latest.expected - margin, latest.expected + margin), direction=sense,
        reason=reason, season=baseline.season,
    )  # fmt: skip


def _try_season(
    season: Season, points: Sequence[Point], residuals: Sequence[float], zone: tzinfo
) -> tuple[float, list[float]]:
    """The spread left when profiles of the even and the odd days (weeks) are each applied to
    the other half, and the profile of them all."""
    key = _slot_key(season, zone)
    slots = 24 if season == "daily" else 168
    length = 1 if season == "daily" else 7
    keys = [key(point.at) for point in points]
    # Ordinal 1 is a Monday, so weeks run Monday to Sunday.
    parities = [(point.at.astimezone(zone).toordinal() - 1) // length % 2 for point in points]
    halves = [slot_medians(keys, residuals, slots, [parity == half for parity in parities])
              for half in (0, 1)]  # fmt: skip
    triples = zip(residuals, keys, parities, strict=True)
    crossed = _spread([residual - halves[1 - parity][slot] for residual, slot, parity in triples])
    return crossed, slot_medians(keys, residuals, slots, [True] * len(keys))


def _slot_key(season: Season, zone: tzinfo) -> Callable[[datetime], int]:
    def hour_of_day(at: datetime) -> int:
        return at.astimezone(zone).hour

    def hour_of_week(at: datetime) -> int:
        local = at.astimezone(zone)
        return local.weekday() * 24 + local.hour

    return hour_of_week if season == "weekly" else hour_of_day


def _spread(residuals: Sequence[float]) -> float:
    """The mean absolute residual: unlike the median, it notices a profile that is wrong on the
    two days of a weekend."""
    return statistics.fmean(abs(residual) for residual in residuals)


def _scale(residuals: Sequence[float], level: float) -> float:
    """A robust standard deviation: from the MAD, else from the mean absolute deviation (most
    residuals 0, as with rare errors), else a hair above 0 (a constant metric)."""
    centre = statistics.median(residuals)
    deviations = [abs(residual - centre) for residual in residuals]
    mad = statistics.median(deviations)
    if mad > 0:
        return MAD_TO_SIGMA * mad
    mean = statistics.fmean(deviations)
    return MEAN_TO_SIGMA * mean if mean > 0 else 1e-9 * max(1.0, abs(level))
