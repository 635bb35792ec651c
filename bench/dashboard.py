"""What the dashboard costs at the size issue 8 names: 1,000 hosts × 20 tasks.

    .venv/bin/python -m bench.dashboard [--hosts 1000] [--tasks 20] [--runs 3] [--repeat 9]

A SQLite store holds `--runs` finished runs of every (task, host), about one in twenty-five
failing, each with two perfdata values, and an open incident for about one pair in a hundred
(a third of them acknowledged, some past their respond deadline); the calendar schedules the
same pairs (every 5 min, 15 min, hourly, and a nightly cron with jitter). The dashboard is
served by the daemon's own endpoint on loopback and read with urllib, as a browser would:

- ``/``, the overview: counts, open incidents, the grid's first page, the next 24 hours;
- ``/runs/<id>``, one run with its output, perfdata and neighbours;

each beside its floor, a bare SELECT of the same rows with the sqlite3 module (no SQLAlchemy,
no HTML, no HTTP): the latest status of every pair for the overview, the run and its perfdata
for the run page. The overview's own parts are timed alone too. Medians of `--repeat`.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import tempfile
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from maintd.config import load_calendar
from maintd.plan import Planner
from maintd.plan.upcoming import plan_upcoming
from maintd.status import Status
from maintd.store import IncidentBook, Step, open_store
from maintd.store.dashboard_queries import DashboardReader
from maintd.store.schema import metrics, runs
from maintd.web import Dashboard, HttpEndpoint, Sources, build_dashboard_route

SCHEDULES = ("{every: 5m}", "{every: 15m}", "{every: 1h}", '{cron: "30 2 * * *", jitter: 30m}')
FAILURES = (Status.WARNING, Status.CRITICAL, Status.UNREACHABLE, Status.TIMEOUT)
# SQLite's bare columns come from the row holding the max: the latest status of each pair.
FLOOR_OVERVIEW = "SELECT task, host, status, id, max(scheduled_for) FROM runs GROUP BY task, host"
FLOOR_RUN = "SELECT * FROM runs, metrics WHERE runs.id = ? AND metrics.run_id = runs.id"
# The grid's own statement (store.dashboard_queries), written out for the sqlite3 module.
GRID_SQL = """
SELECT wanted.value, newest.id, newest.status,
  CASE WHEN newest.status IN ('RUNNING', 'SKIPPED') THEN (
    SELECT id FROM runs WHERE task = :task AND host = wanted.value
      AND finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT 1) END
FROM json_each(:hosts) AS wanted LEFT JOIN runs AS newest ON newest.id = (
  SELECT id FROM runs WHERE task = :task AND host = wanted.value
  ORDER BY scheduled_for DESC LIMIT 1)
"""


def write_calendar(path: Path, hosts: int, tasks: int) -> None:
    lines = ["timezone: Asia/Shanghai", "severities:", "  major: {respond: 30m, resolve: 8h}",
             "hosts:"]  # fmt: skip
    lines += [f"  host{index:04d}: {{transport: local}}" for index in range(hosts)]
    lines.append("tasks:")
    lines += [
        f"  - {{name: task{index:02d}, check: disk_usage, hosts: [all], "
        f"schedule: {SCHEDULES[index % len(SCHEDULES)]}, severity: major}}"
        for index in range(tasks)
    ]
    path.write_text("\n".join(lines) + "\n")


def seed(database: Path, planner: Planner, count: int, now: datetime) -> int:
    """Runs and perfdata of every pair, and the open incidents; return a failing run's id."""
    ledger = open_store(str(database))
    shuffle = random.Random(8)
    run_rows, metric_rows = [], []
    pairs = [(task, host) for task in planner.tasks for host in planner.hosts[task]]
    for age in range(count, 0, -1):  # oldest first, as the daemon writes them
        at = now - timedelta(hours=age)
        for task, host in pairs:
            failing = shuffle.random() < 0.04
            status = shuffle.choice(FAILURES) if failing else Status.OK
            run_rows.append({
                "id": len(run_rows) + 1, "task": task, "host": host, "scheduled_for": at,
                "trigger": "schedule", "status": status.value, "attempt": 1, "started_at": at,
                "finished_at": at + timedelta(seconds=3), "duration": 3.0,
                "exit_code": 0 if status == Status.OK else 2,
                "summary": f"DISK {status.value} - / {shuffle.randint(20, 99)}% used",
                "output": "Filesystem  Size Used Avail Use%\n/dev/sda1 100G 42G 58G 42%\n" * 4,
                "node": "bench",
            })  # fmt: skip
            for name, value in (("used_pct", 42.0), ("inodes_used_pct", 7.0)):
                metric_rows.append({"run_id": len(run_rows), "task": task, "host": host,
                                    "name": name, "value": value, "unit": "%", "warn": "80",
                                    "crit": "90", "minimum": 0.0, "maximum": 100.0,
                                    "at": at + timedelta(seconds=3)})  # fmt: skip
    with ledger.engine.begin() as connection:
        connection.execute(insert(runs), run_rows)
        connection.execute(insert(metrics), metric_rows)
    open_incidents(IncidentBook(ledger.engine), pairs, shuffle, now)
    ledger.close()
    return next(row["id"] for row in reversed(run_rows) if row["status"] != "OK")


def open_incidents(
    book: IncidentBook, pairs: list[tuple[str, str]], shuffle: random.Random, now: datetime
) -> None:
    for index, (task, host) in enumerate(shuffle.sample(pairs, len(pairs) // 100)):
        opened = now - timedelta(minutes=shuffle.randint(1, 600))
        incident = book.open(kind="check", task=task, host=host, title=f"{task} on {host}",
                             severity="major", step=Step(opened, "opened", "DISK CRITICAL",
                                                         "CRITICAL"))  # fmt: skip
        book.mark(incident, respond_due=opened + timedelta(minutes=30),
                  resolve_due=opened + timedelta(hours=8))  # fmt: skip
        if index % 3 == 0:
            book.acknowledge(incident, Step(opened + timedelta(minutes=10), "acknowledged",
                                            by="ana"))  # fmt: skip


def median_ms(step: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    samples, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = step()
        samples.append(time.perf_counter() - started)
    return 1000 * statistics.median(samples), result


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - loopback http
        body: bytes = response.read()
        return body


def floor_of(database: Path, query: str, *parameters: object) -> Callable[[], object]:
    def select() -> object:
        connection = sqlite3.connect(database)
        try:
            return connection.execute(query, parameters).fetchall()
        finally:
            connection.close()

    return select


def grid_by_sqlite3(database: Path, planner: Planner) -> Callable[[], object]:
    def select() -> object:
        connection = sqlite3.connect(database)
        try:
            return [
                connection.execute(
                    GRID_SQL, {"task": task, "hosts": json.dumps(planner.hosts[task])}
                ).fetchall()
                for task in planner.tasks
            ]
        finally:
            connection.close()

    return select


def line(label: str, ms: float, note: str = "") -> None:
    print(f"  {label:<44} {ms:7.1f} ms  {note}".rstrip())


def measure(arguments: argparse.Namespace, directory: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    calendar_path, database = directory / "calendar.yaml", directory / "dashboard.db"
    write_calendar(calendar_path, arguments.hosts, arguments.tasks)
    planner = Planner(load_calendar(calendar_path).calendar)
    started = time.perf_counter()
    failing_run = seed(database, planner, arguments.runs, now)
    seeded = time.perf_counter() - started
    ledger = open_store(str(database))
    reader = DashboardReader(ledger.engine)
    sources = Sources(store=lambda: reader, planner=lambda: planner)
    endpoint = HttpEndpoint({}, route=build_dashboard_route(Dashboard(sources)))
    endpoint.start("127.0.0.1:0")
    assert endpoint.address is not None  # noqa: S101
    base = f"http://127.0.0.1:{endpoint.address[1]}"
    repeat = arguments.repeat
    try:
        cold, _ = median_ms(lambda: fetch(base + "/"), 1)  # hashes every pair's jitter once
        overview, page = median_ms(lambda: fetch(base + "/"), repeat)
        run_page, run_body = median_ms(lambda: fetch(f"{base}/runs/{failing_run}"), repeat)
        filtered, _ = median_ms(lambda: fetch(base + "/?status=CRITICAL"), repeat)
        one_task, _ = median_ms(lambda: fetch(base + "/?task=task00"), repeat)
        floor, rows = median_ms(floor_of(database, FLOOR_OVERVIEW), repeat)
        run_floor, _ = median_ms(floor_of(database, FLOOR_RUN, failing_run), repeat)
        raw_grid, _ = median_ms(grid_by_sqlite3(database, planner), repeat)
        grid, _ = median_ms(
            lambda: [reader.latest_results(task, planner.hosts[task]) for task in planner.tasks],
            repeat,
        )
        plan, _ = median_ms(
            lambda: plan_upcoming(planner, now, now + timedelta(hours=24), 50),
            repeat,
        )
        incidents, _ = median_ms(lambda: reader.open_incidents(limit=50), repeat)
    finally:
        endpoint.stop()
        ledger.close()
    pairs = arguments.hosts * arguments.tasks
    print(f"{arguments.hosts:,} hosts × {arguments.tasks} tasks = {pairs:,} pairs, "
          f"{arguments.runs} runs each ({pairs * arguments.runs:,} runs, seeded in "
          f"{seeded:.1f} s), {pairs // 100} open incidents; medians of {repeat}:")  # fmt: skip
    line("bare SELECT, latest status of each pair", floor, f"(floor, {len(rows):,} rows)")
    line(f"GET /  (overview, {len(page) / 1024:,.0f} KiB)", overview,
         f"({overview / floor:.1f}x the floor; first view {cold:.0f} ms)")  # fmt: skip
    line("  the grid's queries, every pair", grid, f"(its SQL by sqlite3: {raw_grid:.1f} ms)")
    line("  the next 24 h from the planner", plan)
    line("  open incidents, the 50 most urgent", incidents)
    line("GET /?status=CRITICAL", filtered)
    line("GET /?task=task00", one_task)
    line("bare SELECT, a run and its perfdata", run_floor, "(floor)")
    line(f"GET /runs/<id>  ({len(run_body) / 1024:,.0f} KiB)", run_page,
         f"({run_page / run_floor:.1f}x the floor)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=9)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        measure(arguments, Path(scratch))


if __name__ == "__main__":
    main()
