"""Realistic metric series with a known answer, for tests and benchmarks without a site.

Each generator returns a ``Series``: the points (every 5 minutes by default) and the ground
truth — when the noise-free level really crosses the threshold, or when the anomaly starts.
Everything comes from one seeded ``random.Random``, so a seed is a series, on every machine.

    linear_fill        a disk filling at a steady rate
    sawtooth_fill      a disk filled by logs and rotated every night; it never gets near 95
    step_fill          a slow fill, and one day a big file lands (a step, not a runaway)
    temperature        a daily cycle that drifts slowly upward toward a limit
    error_bursts       a few errors an interval, then a burst of them
    response_time      daily and weekly rhythm, then a slowdown at an hour where it is unusual
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from maintd.predict.trend import Point

START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
EVERY = timedelta(minutes=5)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Noise:
    """What is wrong with real readings: ``sigma`` Gaussian noise; ``spikes``, the share of
    readings that are glitches ``spike_size`` away; ``missing``, the share never recorded;
    ``invalid``, the share recorded without a number (a plugin's ``U``)."""

    sigma: float = 0.2
    spikes: float = 0.0
    spike_size: float = 20.0
    missing: float = 0.0
    invalid: float = 0.0


@dataclass(frozen=True)
class Sampling:
    """How a series is read: from ``start`` for ``days``, a reading ``every`` so often, with
    ``noise``, all drawn from ``random.Random(seed)``."""

    seed: int = 1
    days: float = 30
    start: datetime = START
    every: timedelta = EVERY
    noise: Noise = Noise()


@dataclass(frozen=True)
class Series:
    """Generated points and what a perfect forecaster would know about them.

    ``truth`` is when the noise-free level first reaches ``reaches`` (None: not within the
    series), or for anomaly series when the anomaly starts; ``ends`` is where the data stops.
    """

    kind: str
    description: str
    points: list[Point]
    truth: datetime | None
    ends: datetime
    reaches: float | None = None


def linear_fill(
    *, begin: float = 45.0, rate_per_day: float = 2.0, reaches: float = 95.0,
    sampling: Sampling = Sampling(),
) -> Series:  # fmt: skip
    """A disk filling at ``rate_per_day`` percentage points a day from ``begin``."""

    def level(elapsed: float) -> float:
        return min(100.0, begin + rate_per_day * elapsed)

    return _series("linear", f"linear fill, {rate_per_day:g} %/d", level, reaches, sampling)


def sawtooth_fill(
    *, low: float = 40.0, high: float = 70.0, rotate_hour: float = 3.0, reaches: float = 95.0,
    sampling: Sampling = Sampling(),
) -> Series:  # fmt: skip
    """Logs fill a disk from ``low`` to ``high`` over each day, and the nightly rotation at
    ``rotate_hour`` drops it back. The peaks stay at ``high``: nothing should warn of 95."""

    def level(elapsed: float) -> float:
        return low + (high - low) * ((elapsed - rotate_hour / 24) % 1.0)

    description = f"daily log rotation, {low:g}-{high:g} %"
    return _series("sawtooth", description, level, reaches, sampling)


def step_fill(
    *, rate_per_day: float = 0.5, step_day: float = 6.0, step: float = 30.0,
    reaches: float = 95.0, sampling: Sampling = Sampling(),
) -> Series:  # fmt: skip
    """A slow fill from 40 %; on ``step_day`` a big file adds ``step`` at once, and the slow
    fill goes on. With the defaults it never reaches 95 within 30 days."""

    def level(elapsed: float) -> float:
        return 40.0 + rate_per_day * elapsed + (step if elapsed >= step_day else 0.0)

    description = f"slow fill, a {step:g} % file on day {step_day:g}"
    return _series("step", description, level, reaches, sampling)


def temperature(
    *, mean: float = 50.0, amplitude: float = 5.0, drift_per_day: float = 0.4,
    limit: float = 64.0, sampling: Sampling = Sampling(noise=Noise(sigma=0.3)),
) -> Series:  # fmt: skip
    """A daily cycle of ``amplitude`` peaking at 15:00 UTC whose mean drifts up
    ``drift_per_day`` toward ``limit`` (a fan wearing out, a filter clogging)."""

    def level(elapsed: float) -> float:
        hour = (elapsed % 1.0) * 24
        return mean + drift_per_day * elapsed + amplitude * math.cos(2 * math.pi * (hour - 15) / 24)

    description = f"daily cycle ±{amplitude:g}, drifting {drift_per_day:g}/d"
    return _series("temperature", description, level, limit, sampling)


def error_bursts(
    *, base_rate: float = 0.5, burst_day: float = 10.3, burst_rate: float = 12.0,
    sampling: Sampling = Sampling(days=14),
) -> Series:  # fmt: skip
    """Errors per reading: Poisson with mean ``base_rate``, then ``burst_rate`` for three hours
    from ``burst_day`` days in. ``truth`` is the burst's start."""
    rng = _random(sampling.seed)
    burst = sampling.start + timedelta(days=burst_day)
    burst_end = burst + timedelta(hours=3)
    points = [Point(at, float(_poisson(rng, burst_rate if burst <= at < burst_end else base_rate)))
              for at in _times(sampling)]  # fmt: skip
    description = f"errors ~{base_rate:g} a reading, a burst of {burst_rate:g}"
    return Series("errors", description, points, burst, _end(sampling))


def response_time(
    *, slowdown_day: float = 18.1, slowdown: float = 80.0, sampling: Sampling = Sampling(days=21)
) -> Series:
    """Milliseconds around 120: busy weekday afternoons (+60), quiet weekends (+30), then for
    four hours from ``slowdown_day`` days in, ``slowdown`` more — by default from 02:24 on a
    Friday, when such values would be normal on a weekday afternoon but are not at night."""
    rng = _random(sampling.seed)
    onset = sampling.start + timedelta(days=slowdown_day)
    finish = onset + timedelta(hours=4)
    points = []
    for at in _times(sampling):
        busy = 60 * max(0.0, math.sin(math.pi * (at.hour + at.minute / 60 - 8) / 12))
        value = 120 + busy * (0.5 if at.weekday() >= 5 else 1.0)
        value += slowdown if onset <= at < finish else 0.0
        points.append(Point(at, value * math.exp(rng.gauss(0, 0.05))))
    description = "response time, daily and weekly rhythm, a night-time slowdown"
    return Series("response", description, points, onset, _end(sampling))


KIND_TO_GENERATOR: dict[str, Callable[..., Series]] = {
    "linear": linear_fill,
    "sawtooth": sawtooth_fill,
    "step": step_fill,
    "temperature": temperature,
    "errors": error_bursts,
    "response": response_time,
}


def _series(
    kind: str, description: str, level: Callable[[float], float], reaches: float,
    sampling: Sampling,
) -> Series:  # fmt: skip
    """Sample ``level`` (a function of days elapsed) and find where it truly crosses."""
    rng = _random(sampling.seed)
    points: list[Point] = []
    truth = None
    for at in _times(sampling):
        clean = level((at - sampling.start) / DAY)
        if truth is None and clean >= reaches:
            truth = at
        point = _reading(rng, at, clean, sampling.noise)
        if point is not None:
            points.append(point)
    return Series(kind, description, points, truth, _end(sampling), reaches)


def _reading(rng: random.Random, at: datetime, clean: float, noise: Noise) -> Point | None:
    draw = rng.random()
    value = clean + rng.gauss(0, noise.sigma)
    if draw < noise.missing:
        return None
    if draw < noise.missing + noise.invalid:
        return Point(at, None)
    if draw < noise.missing + noise.invalid + noise.spikes:
        value += rng.choice((-1, 1)) * noise.spike_size
    return Point(at, value)


def _times(sampling: Sampling) -> Iterator[datetime]:
    count = int(sampling.days * DAY / sampling.every)
    return (sampling.start + index * sampling.every for index in range(count))


def _end(sampling: Sampling) -> datetime:
    return sampling.start + timedelta(days=sampling.days)


def _random(seed: int) -> random.Random:
    return random.Random(seed)  # noqa: S311 - test data: reproducible, not secret


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: fine for the small means of error counts."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count
