"""What forecasting costs the daemon: one series judged after a run, from the store.

    .venv/bin/python -m bench.forecast_daemon [--series 200] [--days 7]

Each series holds `--days` of 5-minute readings (2,016 a week) in a SQLite file, as the daemon
records them. For every series, ``Forecaster.after_run`` reads its window, fits the forecast,
judges the signal, applies it to the incident book and records the forecast row — the whole
work the daemon adds to a run of a task with `predict:`. Beside it, in the same run:

- the floor: the bare SELECT of the same readings (what any forecaster reading the store pays);
- the fit alone, maintd's (``forecast_threshold``) and plain least squares over the same points
  (Prometheus ``predict_linear``'s method) — the cost of robustness;
- an anomaly judgement (``anomaly:``) after a run, with its baseline cached as the daemon does.

Median over the series; one forecast per series per `predict.every` (15 min by default), so
the last line says what share of one core 1,000 such series take.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from maintd.execute import Runner
from maintd.forecasting import Forecaster
from maintd.pipeline import Site
from maintd.plan import Planner
from maintd.plugins import load_checked
from maintd.predict import Point, forecast_threshold, least_squares_eta
from maintd.report.maintlog import MaintenanceLog
from maintd.store import FireKey, IncidentBook, open_store
from maintd.store.schema import metrics
from maintd.store.series import read_series

CALENDAR = """
timezone: UTC
hosts: {HOSTS}
tasks:
  - name: disk
    check: disk_usage
    hosts: [all]
    schedule: {every: 5m}
    predict: {metric: used_pct, reaches: 95, within: 14d, every: 0s}
  - name: latency
    check: disk_usage
    hosts: [all]
    schedule: {every: 5m}
    anomaly: {metric: used_pct}
"""


def seed(engine: object, series: int, days: int, now: datetime) -> None:
    """Readings of both tasks on every host: a slow fill with a daily wobble."""
    ledger_rows = []
    count = days * 288
    for index in range(series):
        for at_index in range(count):
            at = now - timedelta(minutes=5 * (count - at_index))
            value = 40 + 3 * at_index / 288 + (at_index % 12) * 0.05 + index * 0.01
            for task in ("disk", "latency"):
                ledger_rows.append(
                    {"run_id": 1, "task": task, "host": f"h{index}", "name": "used_pct",
                     "value": value, "unit": "%", "at": at}
                )  # fmt: skip
    with engine.begin() as connection:  # type: ignore[attr-defined]
        connection.execute(insert(metrics), ledger_rows)


def median_ms(samples: list[float]) -> float:
    return 1000 * statistics.median(samples)


class Stopwatch:
    """Wall time of named steps, one sample per call."""

    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = {}

    def time(self, name: str, step: Callable[[], object]) -> object:
        started = time.perf_counter()
        result = step()
        self.samples.setdefault(name, []).append(time.perf_counter() - started)
        return result

    def ms(self, name: str) -> float:
        return median_ms(self.samples[name])


def measure(series: int, days: int, directory: Path) -> tuple[Stopwatch, int]:
    """Time each step for every series; return the timings and the readings in a window."""
    now = datetime.now(UTC).replace(microsecond=0)
    hosts = ", ".join(f"h{index}: {{transport: local}}" for index in range(series))
    path = directory / "calendar.yaml"
    path.write_text(CALENDAR.replace("{HOSTS}", "{" + hosts + "}"))
    loaded, catalog = load_checked(path)
    calendar = loaded.calendar
    site = Site(calendar, Planner(calendar), Runner(calendar, catalog))
    ledger = open_store(str(directory / "forecast.db"))
    ledger.claim(FireKey("seed", "seed", now - timedelta(days=30)), "schedule")
    seed(ledger.engine, series, days, now)
    maintenance_log = MaintenanceLog(directory / "logs", calendar.zone)
    forecaster = Forecaster(IncidentBook(ledger.engine), maintenance_log, lambda: None)
    window, watch = timedelta(days=7), Stopwatch()
    disk, latency = site.planner.tasks["disk"], site.planner.tasks["latency"]
    points: list[Point] = []
    for index in range(series):
        host = f"h{index}"
        query = select(metrics.c.at, metrics.c.value).where(
            metrics.c.task == "disk", metrics.c.host == host, metrics.c.name == "used_pct",
            metrics.c.at > now - window,
        )  # fmt: skip

        def bare(query: Any = query) -> object:
            with ledger.engine.connect() as connection:
                return connection.execute(query).fetchall()

        watch.time("select", bare)
        readings = watch.time("read", lambda host=host: read_series(
            ledger.engine, "disk", host, "used_pct", since=now - window, until=now))  # fmt: skip
        points = [Point(at, value) for at, value in readings]  # type: ignore[attr-defined]
        watch.time("fit", lambda points=points: forecast_threshold(
            points, reaches=95, now=now, window=window, min_history=timedelta(days=1)))  # fmt: skip
        watch.time("lsq", lambda points=points: least_squares_eta(points, 95, now, window))
        watch.time("whole", lambda host=host: forecaster.after_run(site, disk, host, now=now))
        forecaster.after_run(site, latency, host, now=now)  # fits and caches the baseline
        watch.time("anomaly", lambda host=host: forecaster.after_run(site, latency, host, now=now))
    site.runner.close()
    maintenance_log.close()
    ledger.close()
    return watch, len(points)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=200)
    parser.add_argument("--days", type=int, default=7)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        watch, in_window = measure(arguments.series, arguments.days, Path(scratch))
    floor, read, whole = watch.ms("select"), watch.ms("read"), watch.ms("whole")
    print(f"{arguments.series} series, {arguments.days} d of 5-min readings each "
          f"({in_window} in the 7 d window), median per series:")  # fmt: skip
    print(f"  bare SELECT of the window              {floor:6.2f} ms  (floor, 1.0x)")
    print(f"  read_series (raw + hourly)             {read:6.2f} ms  ({read / floor:.1f}x)")
    print(f"  fit: maintd forecast_threshold         {watch.ms('fit'):6.2f} ms")
    print(f"  fit: least squares (predict_linear)    {watch.ms('lsq'):6.2f} ms")
    print("  whole after_run (read, fit, judge,")
    print(f"    incident, record)                    {whole:6.2f} ms  ({whole / floor:.1f}x)")
    print(f"  anomaly judgement (baseline cached)    {watch.ms('anomaly'):6.2f} ms")
    share = whole / (15 * 60 * 1000) * 1000 * 100
    print(f"1,000 series forecast every 15 min: {share:.2f} % of one core")


if __name__ == "__main__":
    main()
