"""`maintd report` counts the plan and the ledger instead of listing them: on a real ledger (SQLite
and PostgreSQL) of a calendar with windows, blackouts, a holiday, jitter and a disabled task,
across a daylight-saving change, every number it gives is the one matching each planned fire
with its row gives (the way the report used to work, kept here as the oracle)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import insert, select

from maintd.cli import cli
from maintd.config import load_calendar
from maintd.plan import Fire, Planner
from maintd.plan.localtime import local_date_start
from maintd.report.planned import ANSWERED
from maintd.report.runs import FAILING, worst_status
from maintd.store import open_store
from maintd.store.schema import runs
from tests.conftest import PLUGINS

ZONE = ZoneInfo("Europe/Berlin")
FIRST, LAST = date(2026, 3, 27), date(2026, 4, 3)  # clocks go forward on the 29th; Good Friday
Writer = Callable[..., Path]
# How a fire the planner lets run ended, cumulated; the rest has no row.
ENDINGS = (
    (0.55, "OK", "schedule", None), (0.62, "WARNING", "schedule", None),
    (0.67, "CRITICAL", "schedule", None), (0.72, "OK", "catch-up", None),
    (0.77, "MISSED", "schedule", "maintd was not running"),
    (0.81, "SKIPPED", "schedule", "pool full"),
    (0.85, "TIMEOUT", "schedule", "no answer in 30s"), (0.87, "RUNNING", "schedule", None),
    (0.89, "UNKNOWN", "catch-up", None),
)  # fmt: skip


@pytest.fixture
def calendar(write_calendar: Writer) -> Path:
    return write_calendar(f"""
        timezone: Europe/Berlin
        plugin_dirs: [{PLUGINS}]
        hosts:
          db1: {{groups: [db]}}
          db2: {{groups: [db]}}
          web1: {{groups: [web]}}
          web2: {{groups: [web]}}
        workdays: {{holidays: DE}}
        windows:
          nightly: {{days: [mon, tue, wed, thu, fri, sat, sun], start: "22:00", end: "04:30"}}
          bihourly: {{cron: "10 */2 * * *", duration: 40m}}
        blackouts:
          - {{name: freeze, from: 2026-03-31, to: 2026-03-31, tasks: [vacuum]}}
          - {{name: holidays, holidays: DE, applies_to: disruptive}}
          - {{name: cutover, from: "2026-03-28 13:07", to: "2026-03-28 15:30"}}
        tasks:
          - {{name: disk, check: test_status, hosts: [all], schedule: {{every: 20m, jitter: 5m}}}}
          - {{name: vacuum, check: test_status, hosts: [db], disruptive: true,
             schedule: {{cron: "*/30 * * * *", jitter: 2m, window: nightly}}}}
          - {{name: sync, check: test_status, hosts: [web],
             schedule: {{cron: "*/15 * * * *", window: bihourly}}}}
          - {{name: old, check: test_status, hosts: [all], schedule: {{every: 1h}},
             enabled: false}}
    """)


def ledger_rows(fires: Iterable[Fire], seed: str) -> list[dict[str, Any]]:
    """Rows as the daemon writes them (on the planned instants: SKIPPED with the planner's
    reason, or MISSED when it fell behind, where the planner skips), and what it does not: a
    manual run, a task and a host the calendar no longer has."""
    rows = []
    for fire in fires:
        draw = _draw(seed, fire)
        if not fire.runs:
            ending = ("SKIPPED", fire.reason) if draw < 0.8 else ("MISSED", "maintd fell behind")
            rows.append(_row(fire.task, fire.host, fire.at, "schedule", *ending))
            continue
        for share, status, trigger, reason in ENDINGS:
            if draw < share:
                rows.append(_row(fire.task, fire.host, fire.at, trigger, status, reason))
                break
        if draw > 0.99:
            rows.append(_row(fire.task, fire.host, fire.at + timedelta(seconds=37), "manual"))
        elif draw > 0.98:
            rows.append(_row("retired", fire.host, fire.at, "schedule"))
            rows.append(_row(fire.task, "gone", fire.at, "schedule", "CRITICAL"))
    return rows


def _draw(seed: str, fire: Fire) -> float:
    """A number in [0, 1) of its own for each fire, the same every run."""
    digest = hashlib.blake2b(f"{seed}{fire}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _row(  # noqa: PLR0917 - one ledger row's columns
    task: str, host: str, at: datetime, trigger: str, status: str = "OK",
    reason: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    return {"task": task, "host": host, "scheduled_for": at, "trigger": trigger,
            "status": status, "reason": reason, "attempt": 1}  # fmt: skip


@pytest.fixture
def database(store_url: str, calendar: Path) -> str:
    planner = Planner(load_calendar(calendar).calendar)
    start = local_date_start(FIRST, ZONE) - timedelta(hours=6)
    fires = planner.plan(start, local_date_start(LAST, ZONE) + timedelta(days=2))
    ledger = open_store(store_url)
    with ledger.engine.begin() as connection:
        connection.execute(insert(runs), ledger_rows(fires, "period"))
    ledger.close()
    return store_url


def report(calendar: Path, database: str, since: str, until: str) -> dict[str, Any]:
    arguments = ["report", "--format", "json", "--from", since, "--to", until]
    result = CliRunner().invoke(cli, arguments, env={"MAINTD_DB": database,
                                                     "MAINTD_CONFIG": str(calendar)})  # fmt: skip
    assert result.exit_code == 0, result.output
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def matched_fire_by_fire(
    fires: list[Fire], rows: list[dict[str, Any]], now: datetime
) -> dict[str, Any]:
    """The plan section as matching every fire with its row says it (a manual run being
    unplanned wherever it started)."""
    manual = [row for row in rows if row["trigger"] == "manual"]
    recorded = {(row["task"], row["host"], row["scheduled_for"]): row
                for row in rows if row["trigger"] != "manual"}  # fmt: skip
    matched, tallies = set(), defaultdict(Counter)
    groups: dict[str, dict[tuple[Any, Any], Counter[str]]] = defaultdict(
        lambda: defaultdict(Counter)
    )
    for fire in fires:
        key = (fire.task, fire.host, fire.at)
        row = recorded.get(key)
        matched.add(key)
        counts, pair = tallies[fire.task], f"{fire.task}@{fire.host}"
        counts["planned"] += 1
        if not fire.runs or (row is not None and row["status"] == "SKIPPED"):
            counts["skipped"] += 1
            reason = fire.reason if not fire.runs or row is None else row["reason"]
            groups["skipped"][("SKIPPED", reason)][pair] += 1
        elif fire.at >= now:
            counts["not_yet_due"] += 1
        elif row is not None and row["status"] in ANSWERED:
            counts.update(due=1, done=1, late=int(row["trigger"] != "schedule"))
        else:
            counts["due"] += 1
            status, reason = (row["status"], row["reason"]) if row else (None, None)
            groups["not_done"][(status, reason)][pair] += 1
    fields = ("planned", "skipped", "not_yet_due", "due", "done", "late")
    return {
        "tasks": [[task, *(counts[field] for field in fields)] for task, counts in tallies.items()],
        "not_done": _shown(groups["not_done"]),
        "skipped": _shown(groups["skipped"]),
        "unplanned": len(recorded.keys() - matched) + len(manual),
    }


def _shown(groups: dict[tuple[Any, Any], Counter[str]]) -> set[tuple[Any, ...]]:
    return {(status, reason, sum(pairs.values()), tuple(sorted(pairs)[:5]), max(0, len(pairs) - 5))
            for (status, reason), pairs in groups.items()}  # fmt: skip


def counted(document: dict[str, Any]) -> dict[str, Any]:
    """The same from the report's JSON."""
    plan = document["plan"]
    fields = ("planned", "skipped", "not_yet_due", "due", "done", "late")
    return {
        "tasks": [[task["task"], *(task[field] for field in fields)] for task in plan["tasks"]],
        "not_done": {(group["status"], group["reason"], group["count"], tuple(group["pairs"]),
                      group["more_pairs"]) for group in plan["not_done_reasons"]},
        "skipped": {(group["status"], group["reason"], group["count"], tuple(group["pairs"]),
                     group["more_pairs"]) for group in plan["skipped_reasons"]},
        "unplanned": plan["unplanned"],
    }  # fmt: skip


def period_of(document: dict[str, Any], key: str) -> tuple[datetime, datetime]:
    section = document[key]
    return datetime.fromisoformat(section["from"]), datetime.fromisoformat(section["to"])


def read_rows(database: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    ledger = open_store(database)
    query = select(runs.c.task, runs.c.host, runs.c.scheduled_for, runs.c.trigger,
                   runs.c.status, runs.c.reason).where(runs.c.scheduled_for >= start,
                                                       runs.c.scheduled_for < end)  # fmt: skip
    with ledger.engine.connect() as connection:
        rows = [dict(row._mapping) for row in connection.execute(query)]
    ledger.close()
    return rows


@pytest.mark.parametrize(
    ("since", "until"),
    [
        (str(FIRST), str(LAST)),
        # Into the future: fires not yet due, and a period cut at now.
        (str(datetime.now(ZONE).date() - timedelta(days=2)), str(datetime.now(ZONE).date())),
    ],
)
def test_planned_against_done_is_what_matching_each_fire_with_its_row_says(
    calendar: Path, database: str, since: str, until: str
) -> None:
    if since != str(FIRST):
        _add_recent_rows(calendar, database)
    document = report(calendar, database, since, until)
    start, end = period_of(document, "period")
    now = datetime.fromisoformat(document["period"]["generated_at"])
    planner = Planner(load_calendar(calendar).calendar)
    rows = read_rows(database, start, end)
    assert counted(document) == matched_fire_by_fire(planner.plan(start, end), rows, now)
    assert document["failures"]["total"] == sum(row["status"] in FAILING for row in rows)


def _add_recent_rows(calendar: Path, database: str) -> None:
    planner = Planner(load_calendar(calendar).calendar)
    now = datetime.now(UTC)
    fires = [fire for fire in planner.plan(now - timedelta(days=3), now) if fire.at < now]
    ledger = open_store(database)
    with ledger.engine.begin() as connection:
        connection.execute(insert(runs), ledger_rows(fires, "recent"))
    ledger.close()


def test_runs_by_day_and_status_and_the_next_period_are_those_of_the_rows_and_the_plan(
    calendar: Path, database: str
) -> None:
    document = report(calendar, database, str(FIRST), str(LAST))
    start, end = period_of(document, "period")
    rows = read_rows(database, start, end)
    by_day: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for row in rows:
        by_day[(row["task"], str(row["scheduled_for"].astimezone(ZONE).date()))][row["status"]] += 1
    cells = {(cell["task"], cell["date"]): cell for cell in document["runs"]["by_day"]}
    assert {key: dict(counts) for key, counts in by_day.items()} == {
        key: cell["statuses"] for key, cell in cells.items() if cell["statuses"]
    }
    assert all(cell["worst"] == worst_status(cell["statuses"]) for cell in cells.values())
    assert {row["task"] for row in rows} | {"old"} == {task for task, _ in cells}
    by_task = {row["task"]: row["statuses"] for row in document["runs"]["by_task"]}
    assert by_task["disk"] == dict(Counter(row["status"] for row in rows if row["task"] == "disk"))

    planner = Planner(load_calendar(calendar).calendar)
    ahead = planner.plan(*period_of(document, "next_period"))
    expected = []
    for task in dict.fromkeys(fire.task for fire in ahead):
        fires = [fire for fire in ahead if fire.task == task]
        reasons = Counter(fire.reason for fire in fires if not fire.runs)
        expected.append({
            "task": task, "fires": len(fires), "hosts": len({fire.host for fire in fires}),
            "first_run": min((fire.at for fire in fires if fire.runs), default=None),
            "will_not_run": sum(reasons.values()),
            "reasons": sorted(reasons.items(), key=lambda item: (-item[1], item[0])),
        })  # fmt: skip
    found = [
        {**task, "first_run": task["first_run"] and datetime.fromisoformat(task["first_run"]),
         "reasons": [(reason["reason"], reason["count"]) for reason in task["reasons"]]}
        for task in document["next_period"]["tasks"]
    ]  # fmt: skip
    assert found == expected
