"""Forecasts on generated series: maintd against least squares, and anomaly detection.

    .venv/bin/python -m bench.forecast_backtest [--seeds 5] [--step-hours 6] [--within-days 14]

1. Time to threshold: each kind of series from `maintd.predict.series` (30 days of 5-minute
   readings, SEEDS seeds each) is replayed every STEP with maintd's forecast and with plain
   least squares over the same 7-day window (Prometheus `predict_linear`). A warning says the
   threshold is reached within WITHIN. Per method: breaches warned / breaches, the median lead
   time of the first true warning (WITHIN is the best possible), false warnings out of the
   warnings that can be judged (those issued WITHIN or more before the data ends, or followed
   by the breach), and the mean time of one forecast.
2. Anomalies: error bursts and a night-time slowdown, each reading judged as it arrives against
   a baseline refitted every day (default rule: 3 of the last 5 beyond a robust z of 3.5, up
   only). Per kind: anomalies found, the median delay from onset to alert, false alerts, and
   the time of one `detect_anomaly` call (baseline fitted from 28 days + scoring).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import timedelta

from maintd.predict import Rule, backtest, detect_anomaly, fit_baseline, judge_scores, series
from maintd.predict.anomaly import score_points
from maintd.predict.backtest import MethodScore
from maintd.predict.series import Noise, Sampling, Series

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
WEEK = timedelta(days=7)
KIND_TO_SERIES: dict[str, tuple[Callable[[int], Series], timedelta]] = {
    "linear fill, 2 %/d": (lambda seed: series.linear_fill(sampling=Sampling(seed)), WEEK),
    "log rotation sawtooth, peaks 70 %": (
        lambda seed: series.sawtooth_fill(sampling=Sampling(seed)), WEEK),
    "log rotation sawtooth, 1 d window": (
        lambda seed: series.sawtooth_fill(sampling=Sampling(seed)), DAY),
    "big file (+30 %), no breach": (lambda seed: series.step_fill(sampling=Sampling(seed)), WEEK),
    "big file (+35 %), breach on day 20": (
        lambda seed: series.step_fill(rate_per_day=1.0, step_day=8, step=35,
                                      sampling=Sampling(seed)), WEEK),
    "temperature, daily cycle ±5, drift 0.4/d": (
        lambda seed: series.temperature(sampling=Sampling(seed, noise=Noise(sigma=0.3))), WEEK),
}  # fmt: skip


def compare_forecasts(seeds: int, step: timedelta, within: timedelta) -> list[str]:
    """Markdown rows: each series kind, maintd and least squares."""
    rows = []
    for kind, (generate, window) in KIND_TO_SERIES.items():
        scores: dict[str, list[MethodScore]] = {"maintd": [], "least squares": []}
        breaches = 0
        for seed in range(1, seeds + 1):
            generated = generate(seed)
            assert generated.reaches is not None  # noqa: S101 - every generator sets it
            result = backtest(generated.points, reaches=generated.reaches, within=within,
                              window=window, min_history=DAY, step=step)  # fmt: skip
            breaches += result.breach is not None
            scores["maintd"].append(result.maintd)
            scores["least squares"].append(result.least_squares)
        for method, runs in scores.items():
            rows.append(_forecast_row(kind, method, runs, breaches))
    return rows


def _forecast_row(kind: str, method: str, runs: list[MethodScore], breaches: int) -> str:
    leads = [run.lead_time for run in runs if run.lead_time is not None]
    lead = _days(statistics.median(leads)) if leads else "—"
    warned = f"{len(leads)}/{breaches}" if breaches else "no breach"
    false = sum(run.false_warnings for run in runs)
    judged = sum(run.warnings - run.unjudged for run in runs)
    milliseconds = 1000 * sum(run.seconds for run in runs) / sum(run.forecasts for run in runs)
    name = f"**{method}**" if method == "maintd" else method
    return (f"| {kind} | {name} | {warned} | {lead} | {false} of {judged} | "
            f"{milliseconds:.1f} |")  # fmt: skip


def compare_anomalies(seeds: int) -> list[str]:
    """Markdown rows: each anomaly kind, replayed reading by reading."""
    rows = []
    rule = Rule(direction="up")
    for kind, generate in (("error bursts", series.error_bursts),
                           ("night-time slowdown", series.response_time)):  # fmt: skip
        delays: list[timedelta] = []
        false = 0
        for seed in range(1, seeds + 1):
            generated = generate(sampling=Sampling(seed=seed, days=21))
            delay, wrong = _replay_anomalies(generated, rule)
            delays += [delay] if delay is not None else []
            false += wrong
        generated = generate(sampling=Sampling(days=21))
        assert generated.truth is not None  # noqa: S101 - anomaly series always have one
        started = time.perf_counter()
        for _ in range(5):
            detect_anomaly(generated.points, now=generated.truth, rule=rule)
        milliseconds = (time.perf_counter() - started) / 5 * 1000
        delay_text = f"{statistics.median(delays).total_seconds() / 60:.0f} min" if delays else "—"
        rows.append(f"| {kind} | {len(delays)}/{seeds} | {delay_text} | {false} | "
                    f"{milliseconds:.0f} |")  # fmt: skip
    return rows


def _replay_anomalies(generated: Series, rule: Rule) -> tuple[timedelta | None, int]:
    """The delay from onset to the first alert, and alerts outside the anomaly (it lasts at
    most 4 hours, and the rule may keep alerting for ``of_last`` readings after)."""
    assert generated.truth is not None  # noqa: S101 - anomaly series always have one
    points = generated.points
    baseline, day, first, false = None, None, None, 0
    for index in range(3 * 288, len(points)):
        now = points[index].at
        if now.date() != day:
            day = now.date()
            baseline = fit_baseline(p for p in points[:index] if p.at > now - 28 * DAY)
        if baseline is None:
            continue
        recent = score_points(points[index - rule.of_last + 1 : index + 1], baseline)
        if judge_scores(recent, baseline, rule) is None:
            continue
        if generated.truth <= now < generated.truth + 5 * HOUR:
            first = first or now
        else:
            false += 1
    return (first - generated.truth if first else None), false


def _days(span: timedelta) -> str:
    return f"{span / DAY:.1f} d"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--step-hours", type=float, default=6.0)
    parser.add_argument("--within-days", type=float, default=14.0)
    arguments = parser.parse_args()
    step, within = timedelta(hours=arguments.step_hours), timedelta(days=arguments.within_days)
    print(f"Time to threshold: 30 days of 5-minute readings, {arguments.seeds} seeds per kind, "
          f"a forecast every {arguments.step_hours:g} h, warning = reached within "
          f"{arguments.within_days:g} d, min_history 1 d.\n")  # fmt: skip
    print("| series | method | breaches warned | median lead | false warnings | ms / forecast |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for row in compare_forecasts(arguments.seeds, step, within):
        print(row)
    print(f"\nAnomalies: 21 days of 5-minute readings, {arguments.seeds} seeds per kind, every "
          "reading judged, baseline refitted daily, 3 of 5 beyond z 3.5 (up).\n")  # fmt: skip
    print("| anomaly | found | median delay | false alerts | ms / detect_anomaly |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for row in compare_anomalies(arguments.seeds):
        print(row)


if __name__ == "__main__":
    main()
