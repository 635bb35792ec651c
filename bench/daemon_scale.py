"""The daemon at scale: fire lag with 10k jobs, and idle CPU and memory of `maintd run`.

    .venv/bin/python -m bench.daemon_scale [--jobs 10000] [--hosts 1000] [--seconds 60]

1. Fire lag: maintd's Scheduler (APScheduler with planner triggers and maintd's executor)
   holds JOBS (task, host) jobs firing every minute, spread by jitter; the handler only notes
   how late it was called. Reports p50 / p99 / max lag over SECONDS — the scheduling cost
   alone, with the pool never saturated.
2. Idle: `maintd run` as a process on a calendar of JOBS daily jobs over HOSTS hosts (none due
   while measured): its CPU share over SECONDS/2 and its resident memory.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import yaml

from bench.procstat import CLOCK_TICKS, cpu_ticks, rss_kb
from maintd.config.model import Calendar
from maintd.plan import Planner
from maintd.schedule.scheduler import Scheduler

MAINTD = ("-m", "maintd")


def lag_calendar(jobs: int, hosts: int) -> dict[str, object]:
    per_task = max(1, jobs // hosts) if jobs >= hosts else 1
    task_count = jobs // per_task
    return {
        "timezone": "UTC",
        "hosts": {
            f"h{index:05d}": {"groups": [f"g{index // per_task:05d}"]} for index in range(jobs)
        },
        "tasks": [
            {"name": f"t{index:05d}", "check": "disk_usage", "hosts": [f"g{index:05d}"],
             "schedule": {"every": "1m", "jitter": "59s"}}
            for index in range(task_count)
        ],
    }  # fmt: skip


def measure_lag(jobs: int, hosts: int, seconds: float) -> list[float]:
    calendar = Calendar.model_validate(lag_calendar(jobs, hosts))
    planner = Planner(calendar)
    lags: list[float] = []
    lock = threading.Lock()

    def handler(task: str, host: str, run_times: list[datetime]) -> None:
        late = (datetime.now(UTC) - run_times[-1]).total_seconds()
        with lock:
            lags.append(late)

    scheduler = Scheduler(handler, lambda *_: None, max_workers=32)
    changes = scheduler.apply(calendar, planner)
    print(f"  {changes.added} jobs scheduled", flush=True)
    scheduler.start()
    time.sleep(seconds)
    scheduler.shutdown(wait=False)
    return lags


def idle_calendar(jobs: int, hosts: int, directory: Path) -> Path:
    calendar = {
        "timezone": "UTC",
        # Addresses are never contacted: no job is due while measured.
        "hosts": {
            f"h{index:04d}": {"address": f"10.9.{index // 256}.{index % 256}"}
            for index in range(hosts)
        },
        "tasks": [
            {"name": f"t{index:05d}", "check": "disk_usage", "hosts": [f"h{index % hosts:04d}"],
             "schedule": {"cron": f"{index % 60} 3 * * *"}}
            for index in range(jobs)
        ],
    }  # fmt: skip
    path = directory / "idle.yaml"
    path.write_text(yaml.safe_dump(calendar), encoding="utf-8")
    return path


def measure_idle(jobs: int, hosts: int, seconds: float) -> list[tuple[str, float, float, float]]:
    """Start-up time, CPU share while idle, and resident memory (MB) of `maintd run`: started
    on a new database, then restarted on it (the usual case: Alembic is not loaded then)."""
    figures = []
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        calendar = idle_calendar(jobs, hosts, directory)
        for label in ("new database", "restart"):
            figures.append((label, *_run_idle(calendar, directory, seconds)))
    return figures


def _run_idle(calendar: Path, directory: Path, seconds: float) -> tuple[float, float, float]:
    return run_idle(calendar, directory, seconds)


def run_idle(
    calendar: Path,
    directory: Path,
    seconds: float,
    launcher: Sequence[str] = MAINTD,
    inspect: Callable[[int], None] | None = None,
) -> tuple[float, float, float]:
    """Start `maintd run` (``launcher`` names the module run as the CLI), wait for its start,
    then measure start-up seconds, idle CPU % and RSS MB; ``inspect(pid)`` is called beside
    the RSS reading (bench.memory looks at the mappings there)."""
    logs = directory / "logs"
    starts = _starts(logs)
    started = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, *launcher, "run", str(calendar),
         "--db", str(directory / "m.db"), "--log-dir", str(logs)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        _wait_for_start(logs, starts, process)
        startup = time.perf_counter() - started
        time.sleep(5)  # let start-up work settle
        before = cpu_ticks(process.pid)
        time.sleep(seconds)
        cpu_share = (cpu_ticks(process.pid) - before) / CLOCK_TICKS / seconds * 100
        rss_mb = rss_kb(process.pid) / 1024
        if inspect is not None:
            inspect(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)
    return startup, cpu_share, rss_mb


def _starts(logs: Path) -> int:
    return sum(path.read_text().count("EVENT       started:") for path in logs.glob("*.log"))


def _wait_for_start(logs: Path, starts: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if _starts(logs) > starts:
            return
        if process.poll() is not None:
            raise RuntimeError(process.stderr.read().decode() if process.stderr else "exited")
        time.sleep(0.2)
    raise RuntimeError("maintd run did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10000)
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    arguments = parser.parse_args()
    print(f"fire lag, {arguments.jobs} jobs every minute (jitter spreads them), "
          f"{arguments.seconds:g}s")  # fmt: skip
    lags = sorted(measure_lag(arguments.jobs, arguments.hosts, arguments.seconds))
    if lags:
        p50 = statistics.median(lags) * 1000
        p99 = lags[int(len(lags) * 0.99) - 1] * 1000
        print(f"  {len(lags)} fires: lag p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
              f"max {lags[-1] * 1000:.1f} ms")  # fmt: skip
    print(f"idle maintd run, {arguments.jobs} daily jobs on {arguments.hosts} hosts")
    for label, startup, cpu, rss in measure_idle(
        arguments.jobs, arguments.hosts, arguments.seconds / 2
    ):
        print(f"  {label:<13} start-up {startup:.1f}s, idle CPU {cpu:.2f} %, RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
