"""`maintd forecast` and `maintd forecast backtest` on a real SQLite database: forecasts written
through the forecast book, readings through the ledger, as the daemon writes them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result

from maintd.cli import cli
from maintd.predict import series
from maintd.predict.series import Sampling, Series
from maintd.results import Perfdatum
from maintd.status import Status
from maintd.store import FireKey, Ledger, Outcome, open_store
from maintd.store.db import writing
from maintd.store.forecasts import ForecastBook
from maintd.store.schema import metrics_hourly

SHANGHAI = ZoneInfo("Asia/Shanghai")
T = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
SAMPLING = Sampling(days=20, every=timedelta(minutes=15))
CALENDAR = """
    timezone: Asia/Shanghai
    hosts: {db1: {}, web1: {}}
    tasks:
      - name: disk
        check: disk_usage
        hosts: [db1, web1]
        schedule: {every: 15m}
        predict: {metric: used_pct, reaches: 95, within: 14d}
      - name: memory
        check: memory
        hosts: [db1]
        schedule: {every: 5m}
"""
Writer = Callable[..., Path]


def invoke(database: Path, calendar: Path | None, *arguments: str) -> Result:
    config = calendar or database.parent / "no-calendar"
    environment = {"MAINTD_DB": str(database), "MAINTD_CONFIG": str(config)}
    return CliRunner().invoke(cli, ["forecast", *arguments], env=environment)


def judgement(kind: str, task: str, host: str, metric: str, **columns: Any) -> dict[str, Any]:
    """A forecast book row with its NOT NULL columns filled, as the daemon writes one."""
    return {"kind": kind, "task": task, "host": host, "metric": metric, "at": T,
            "method": "theil-sen", "verdict": "not-heading", "signal": "clear",
            "reason": "flat or falling", "points_used": 600} | columns  # fmt: skip


@pytest.fixture
def calendar(write_calendar: Writer) -> Path:
    return write_calendar(CALENDAR)


@pytest.fixture
def forecasts(tmp_path: Path) -> Path:
    """disk@db1 judged twice (the later one warns), disk@web1 once, and an anomaly judgement
    of memory@db1."""
    path = tmp_path / "maintd.db"
    ledger = open_store(str(path))
    book = ForecastBook(ledger.engine)
    book.record(judgement("threshold", "disk", "db1", "used_pct", at=T - HOUR, verdict="beyond",
                          reason="+0.5/d: not within the 28 d horizon"))  # fmt: skip
    book.record(judgement(
        "threshold", "disk", "db1", "used_pct", verdict="reaches", signal="warn",
        reason="reaches 95 in 10 d", window=7 * 86400.0, within=14 * 86400.0, eta=T + 10 * DAY,
        eta_low=T + 8 * DAY, eta_high=T + 13 * DAY, bucket=3600.0, season="[0.5, -0.5]",
    ))  # fmt: skip
    book.record(judgement("threshold", "disk", "web1", "used_pct"))
    book.record(judgement("anomaly", "memory", "db1", "used_pct", method="robust-z/daily",
                          verdict="normal", reason="the last 5 readings are within the baseline",
                          score=0.4))  # fmt: skip
    ledger.close()
    return path


def test_listing_shows_the_latest_judgement_of_each_series(forecasts: Path, calendar: Path) -> None:
    result = invoke(forecasts, calendar)
    assert result.exit_code == 0, result.output
    header, *rows = result.stdout.splitlines()
    assert header.split()[:6] == ["TASK", "HOST", "METRIC", "KIND", "VERDICT", "ETA"]
    assert [row.split()[:5] for row in rows] == [
        ["disk", "db1", "used_pct", "threshold", "reaches"],
        ["disk", "web1", "used_pct", "threshold", "not-heading"],
        ["memory", "db1", "used_pct", "anomaly", "normal"],
    ]
    warned = rows[0].split()
    assert warned[5] == "2026-05-14T20:00:00+08:00" and warned[6] == "8-13"
    assert "2026-05-04T20:00:00+08:00" in rows[0] and "beyond" not in result.stdout


def test_listing_filters_by_task_and_kind(forecasts: Path) -> None:
    by_task = invoke(forecasts, None, "--task", "disk").stdout.splitlines()[1:]
    assert [row.split()[1] for row in by_task] == ["db1", "web1"]
    anomalies = invoke(forecasts, None, "--kind", "anomaly", "--host", "db1").stdout
    assert [row.split()[0] for row in anomalies.splitlines()[1:]] == ["memory"]
    assert invoke(forecasts, None, "--metric", "temp_c").stdout == ""


def test_listing_json_has_local_times_seconds_and_the_decoded_season(
    forecasts: Path, calendar: Path
) -> None:
    result = invoke(forecasts, calendar, "--kind", "threshold", "--format", "json")
    assert result.exit_code == 0, result.output
    warned, quiet = json.loads(result.stdout)
    assert warned["at"] == "2026-05-04T20:00:00+08:00"
    assert datetime.fromisoformat(warned["eta_low"]) == T + 8 * DAY
    assert warned["eta_in_seconds"] == 10 * 86400 and warned["window"] == 7 * 86400
    assert warned["season"] == [0.5, -0.5] and warned["signal"] == "warn"
    assert quiet["host"] == "web1" and quiet["season"] is None and quiet["eta"] is None
    assert quiet["eta_in_seconds"] is None


def test_an_empty_database_lists_nothing_and_says_where_forecasts_come_from(
    tmp_path: Path,
) -> None:
    database = tmp_path / "empty.db"
    as_json = invoke(database, None, "--format", "json")
    assert as_json.exit_code == 0 and json.loads(as_json.stdout) == []
    as_table = invoke(database, None)
    assert as_table.exit_code == 0 and as_table.stdout == ""
    assert "after runs of tasks with `predict:` or `anomaly:`" in as_table.stderr


def store_readings(ledger: Ledger, task: str, host: str, generated: Series) -> None:
    """One run of ``task`` on ``host`` per generated reading, recording it as perfdata."""
    for point in generated.points:
        claim = ledger.claim(FireKey(task, host, point.at), "schedule")
        assert claim is not None
        outcome = Outcome(Status.OK, f"DISK OK - {point.value:.1f}%", point.at, point.at, 0.1, 0)
        ledger.complete(claim, outcome, [Perfdatum("used_pct", point.value, "%")])


@pytest.fixture(scope="module")
def readings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """20 days of 15-minute disk readings: db1 fills steadily to 95 % on day 17, web1 rotates
    its logs every night. old1 has a single hourly average left; memory@db1 reads the same
    metric name but has no `predict:`."""
    path = tmp_path_factory.mktemp("backtest") / "maintd.db"
    ledger = open_store(str(path))
    store_readings(ledger, "disk", "db1", series.linear_fill(begin=60, sampling=SAMPLING))
    store_readings(ledger, "disk", "web1", series.sawtooth_fill(sampling=SAMPLING))
    store_readings(ledger, "memory", "db1", series.linear_fill(sampling=Sampling(days=0.1)))
    with writing(ledger.engine) as connection:
        connection.execute(metrics_hourly.insert(), {
            "task": "disk", "host": "old1", "name": "used_pct", "hour": series.START - DAY,
            "unit": "%", "minimum": 50.0, "maximum": 52.0, "average": 51.0, "count": 12,
        })  # fmt: skip
    ledger.close()
    yield path


def test_backtest_warns_early_of_a_fill_and_not_of_a_sawtooth(
    readings: Path, calendar: Path
) -> None:
    result = invoke(readings, calendar, "backtest", "--format", "json")
    assert result.exit_code == 0, result.output
    found = {replay["host"]: replay for replay in json.loads(result.stdout)}
    assert sorted(found) == ["db1", "old1", "web1"]
    assert {replay["task"] for replay in found.values()} == {"disk"}

    filling = found["db1"]
    assert datetime.fromisoformat(filling["breach"]).utcoffset() == 8 * HOUR
    assert filling["maintd"]["lead_time"] > 0 and filling["maintd"]["false_warnings"] == 0
    assert filling["readings"] == len(series.linear_fill(begin=60, sampling=SAMPLING).points)

    rotating = found["web1"]
    assert rotating["breach"] is None and rotating["first_forecast"].endswith("+08:00")
    assert rotating["maintd"]["false_warnings"] == 0 and rotating["maintd"]["warnings"] == 0
    assert rotating["least_squares"]["false_warnings"] > 0, "the first day looks like a runaway"
    assert rotating["least_squares"]["method"] == "least squares"
    assert set(rotating["maintd"]) >= {"forecasts", "first_warning", "lapses", "unjudged",
                                       "seconds_per_forecast"}  # fmt: skip

    assert found["old1"]["readings"] == 1 and found["old1"]["maintd"]["forecasts"] == 0


def test_backtest_table_shows_each_method_per_series(readings: Path, calendar: Path) -> None:
    result = invoke(readings, calendar, "backtest", "--host", "web1", "--step", "12h")
    assert result.exit_code == 0, result.output
    legend, header, row = result.stdout.splitlines()
    assert legend.startswith("a forecast every 12 h")
    assert header.split()[:6] == ["TASK", "HOST", "METRIC", "BREACH", "MAINTD", "WARNINGS"]
    cells = row.split()
    assert cells[:4] == ["disk", "web1", "used_pct", "none"]
    assert cells[4:7] == ["0/39", "0", "-"]


def test_backtest_needs_the_calendar(readings: Path) -> None:
    result = invoke(readings, None, "backtest")
    assert result.exit_code == 2
    assert "needs the calendar: none loads from" in result.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["backtest", "--task", "dsik"], "no task 'dsik' in the calendar; did you mean 'disk'?"),
        (["backtest", "--task", "memory"], "task 'memory' has no `predict:`"),
        (["backtest", "--step", "0s"], "--step: give a positive duration"),
        (["backtest", "--step", "soon"], "--step:"),
        (["--task", "disk", "backtest"], "--task before `backtest`: give them after its name"),
    ],
)
def test_backtest_refuses_arguments_it_cannot_use(
    readings: Path, calendar: Path, arguments: list[str], message: str
) -> None:
    result = invoke(readings, calendar, *arguments)
    assert result.exit_code == 2 and message in result.stderr, result.output
