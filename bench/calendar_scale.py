"""How fast maintd reads and plans a large calendar, side by side with the libraries peers use.

    .venv/bin/python bench/calendar_scale.py [--tasks 10000] [--hosts 1000] [--plan-tasks 1000]
                                             [--days 30] [--repeat 3]

Prints, for a generated calendar (bench/generate_calendar.py):

- `maintd validate` end to end (a fresh process, as a user runs it) and its stages in-process,
  next to PyYAML's own `yaml.load(CSafeLoader)` of the same files (no positions, no checks):
  the floor any PyYAML-based tool pays;
- `maintd plan --days 30` of the smaller calendar end to end (JSON and table), the fires per
  second, and the planner's cron arithmetic next to APScheduler 3.11's CronTrigger computing
  the same fires (what an APScheduler-based scheduler would pay to list them).

Medians of --repeat runs; ratios, because this machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bench.generate_calendar import write_calendar
from maintd.config import load_calendar
from maintd.config.merge import CalendarFile, merge_files
from maintd.config.model import Calendar
from maintd.config.references import check_references
from maintd.config.source import load_yaml
from maintd.plan import Planner, recurrence
from maintd.runtime import gc_paused

MAINTD = [sys.executable, "-m", "maintd"]
PEER = "peer: python + yaml.load(CSafeLoader), no checks"


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        with gc_paused():  # in-process stages run as the CLI runs them
            start = time.perf_counter()
            action()
            timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def run_quietly(arguments: list[str]) -> None:
    subprocess.run(arguments, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def bench_validate(directory: Path, repeat: int) -> list[tuple[str, float]]:
    files = sorted(directory.glob("*.yaml"))
    texts = [(file, file.read_text(encoding="utf-8")) for file in files]
    peer_script = (
        "import gc, sys, yaml\n"
        "if sys.argv[1] == 'off': gc.disable()\n"
        "for path in sys.argv[2:]: yaml.load(open(path), Loader=yaml.CSafeLoader)\n"
    )
    paths = [str(file) for file in files]

    def positioned_yaml() -> list[CalendarFile]:
        loaded = []
        for file, text in texts:
            data, source_map, _ = load_yaml(text, str(file))
            loaded.append(CalendarFile(file, data, source_map))
        return loaded

    loaded_files = positioned_yaml()
    data, source_map, _ = merge_files(loaded_files)
    calendar = Calendar.model_validate(data)
    now = datetime.now(UTC)
    validate = [*MAINTD, "validate", str(directory)]
    peer = [sys.executable, "-c", peer_script]
    return [
        ("maintd validate, fresh process", median_seconds(lambda: run_quietly(validate), repeat)),
        (PEER, median_seconds(lambda: run_quietly([*peer, "on", *paths]), repeat)),
        (
            "peer: the same with the cyclic GC off",
            median_seconds(lambda: run_quietly([*peer, "off", *paths]), repeat),
        ),
        ("stages in-process (GC off, as the CLI runs them):", 0.0),
        ("  read YAML with positions", median_seconds(positioned_yaml, repeat)),
        ("  merge files", median_seconds(lambda: merge_files(loaded_files), repeat)),
        ("  validate the model", median_seconds(lambda: Calendar.model_validate(data), repeat)),
        (
            "  cross-references",
            median_seconds(lambda: check_references(calendar, source_map), repeat),
        ),
        ("  next fire", median_seconds(lambda: Planner(calendar).next_fire(now), repeat)),
    ]


def bench_plan(directory: Path, days: int, repeat: int) -> tuple[list[tuple[str, float]], int]:
    calendar = load_calendar(directory).calendar
    start = datetime(2026, 12, 1, tzinfo=UTC)
    end = start + timedelta(days=days)
    fires = len(Planner(calendar).plan(start, end))
    arguments = [*MAINTD, "plan", str(directory), "--days", str(days), "--from", "2026-12-01"]
    cron_tasks = [task for task in calendar.tasks if task.schedule.cron is not None]
    zone = ZoneInfo(calendar.timezone)

    def maintd_cron() -> int:
        return sum(len(recurrence.task_fires(task, zone, start, end)) for task in cron_tasks)

    def apscheduler_cron() -> int:
        count = 0
        for task in cron_tasks:
            trigger = CronTrigger.from_crontab(task.schedule.cron or "", timezone=zone)
            fire = trigger.get_next_fire_time(None, start)
            while fire is not None and fire < end:
                count += 1
                fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
        return count

    if maintd_cron() == 0:
        raise RuntimeError("the generated calendar has no cron fires to compare")
    rows = [
        (
            f"maintd plan --days {days} --format json",
            median_seconds(lambda: run_quietly([*arguments, "--format", "json"]), repeat),
        ),
        (
            f"maintd plan --days {days} (table)",
            median_seconds(lambda: run_quietly(arguments), repeat),
        ),
        (
            "  planner only, in-process",
            median_seconds(lambda: Planner(calendar).plan(start, end), repeat),
        ),
        (
            f"  cron fires of {len(cron_tasks)} cron tasks: maintd",
            median_seconds(maintd_cron, repeat),
        ),
        ("  same fires: peer APScheduler CronTrigger", median_seconds(apscheduler_cron, repeat)),
    ]
    return rows, fires


def print_rows(title: str, rows: list[tuple[str, float]], reference: str | None = None) -> None:
    print(f"\n{title}")
    by_name = dict(rows)
    for name, seconds in rows:
        if not seconds:
            print(f"  {name}")
            continue
        ratio = ""
        if reference is not None and name.startswith("maintd"):
            ratio = f"  ({seconds / by_name[reference]:.2f}x the first peer)"
        print(f"  {name:<52} {seconds * 1000:9.1f} ms{ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10000)
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--plan-tasks", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        big = write_calendar(Path(scratch) / "big", arguments.tasks, arguments.hosts)
        small = write_calendar(Path(scratch) / "small", arguments.plan_tasks, arguments.hosts)
        lines = sum(len(file.read_text().splitlines()) for file in big.glob("*.yaml"))
        print(f"calendar: {arguments.tasks} tasks, {arguments.hosts} hosts, {lines} YAML lines")
        rows = bench_validate(big, arguments.repeat)
        print_rows("validate", rows, reference=PEER)
        plan_rows, fires = bench_plan(small, arguments.days, arguments.repeat)
        print_rows(
            f"plan: {arguments.plan_tasks} tasks x {arguments.days} days = {fires} fires",
            plan_rows,
        )
        seconds = dict(plan_rows)[f"maintd plan --days {arguments.days} --format json"]
        cron_rows = plan_rows[3:]
        print(f"  end to end: {fires / seconds:,.0f} fires/s (JSON)")
        print(f"  cron arithmetic: APScheduler / maintd = {cron_rows[1][1] / cron_rows[0][1]:.1f}x")


if __name__ == "__main__":
    main()
