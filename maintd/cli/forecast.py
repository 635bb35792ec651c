"""`maintd forecast`: the latest forecast and anomaly judgement of every series the daemon
watches, and `forecast backtest`, which replays the recorded history of each `predict:` series
to show how early, and how falsely, forecasts would have warned."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from maintd.cli.options import config_option, format_option
from maintd.cli.output import format_local, print_json, print_table
from maintd.cli.paths import database_option, open_records, required_calendar
from maintd.config import Calendar
from maintd.config.predict import Predict
from maintd.config.types import parse_duration
from maintd.errors import UsageError, did_you_mean
from maintd.predict.backtest import BacktestResult, MethodScore, backtest
from maintd.predict.rows import season_from_json
from maintd.predict.trend import Point, format_range, format_span
from maintd.store import Ledger
from maintd.store.forecasts import KINDS, ForecastBook
from maintd.store.series import hosts_with_readings, read_series

LIST_COLUMNS = ["TASK", "HOST", "METRIC", "KIND", "VERDICT", "ETA", "INTERVAL", "SIGNAL", "MADE",
                "REASON"]  # fmt: skip
METHOD_COLUMNS = ["WARNINGS", "FALSE", "LEAD", "MS/FORECAST"]
BACKTEST_COLUMNS = ["TASK", "HOST", "METRIC", "BREACH",
                    *(f"MAINTD {column}" for column in METHOD_COLUMNS),
                    *(f"LSQ {column}" for column in METHOD_COLUMNS)]  # fmt: skip
NO_FORECASTS = ("maintd: no forecasts to show; the daemon records them after runs of tasks with "
                "`predict:` or `anomaly:`")  # fmt: skip
NO_READINGS = "maintd: no readings of a `predict:` metric recorded for these tasks and hosts"
DEFAULT_STEP = "6h"


@click.group(invoke_without_command=True)
@click.option("--task", "tasks", multiple=True, help="Only this task's series (repeatable).")
@click.option("--host", "hosts", multiple=True, help="Only this host's series (repeatable).")
@click.option("--metric", "metrics", multiple=True, help="Only this metric (repeatable).")
@click.option(
    "--kind", type=click.Choice([*KINDS, "all"]), default="all", show_default=True,
    help="Time-to-threshold forecasts (`predict:`), anomaly judgements (`anomaly:`), or both.",
)  # fmt: skip
@config_option
@database_option
@format_option
@click.pass_context
def forecast(  # noqa: PLR0913 - one keyword per command-line option
    context: click.Context, *, tasks: tuple[str, ...], hosts: tuple[str, ...],
    metrics: tuple[str, ...], kind: str, config_path: Path | None, database: str | None,
    output_format: str,
) -> None:  # fmt: skip
    """The latest judgement of every forecast series (`backtest`: replay their history).

    ETA is the median estimate of when the metric reaches its threshold; INTERVAL the time from
    the judgement to the early and late ends of its interval; SIGNAL what it meant for the
    series' incident (warn, clear, hold).
    """
    if context.invoked_subcommand is not None:
        refuse_listing_options(context)
        return
    with open_records(config_path, database) as records:
        book = ForecastBook(records.ledger.engine)
        kinds = KINDS if kind == "all" else (kind,)
        rows = book.latest(kinds=kinds, tasks=tasks, hosts=hosts, metrics=metrics)
    zone = records.zone
    if output_format == "json":
        print_json([forecast_json(row, zone) for row in rows])
    elif not rows:
        click.echo(NO_FORECASTS, err=True)
    else:
        print_table(LIST_COLUMNS, [forecast_cells(row, zone) for row in rows])


def refuse_listing_options(context: click.Context) -> None:
    """Raise UsageError when the listing's options come before a subcommand's name: the listing
    does not run then, and ignoring them silently would answer another question."""
    given = [
        parameter.opts[0]
        for parameter in context.command.params
        if parameter.name is not None
        and context.get_parameter_source(parameter.name) is ParameterSource.COMMANDLINE
    ]
    if given:
        subcommand = context.invoked_subcommand
        raise UsageError(f"{', '.join(given)} before `{subcommand}`: give them after its name")


def forecast_json(row: dict[str, Any], zone: tzinfo) -> dict[str, Any]:
    """A forecast book row for scripts: every column, times in ``zone``, durations in seconds
    (as stored), ``season`` decoded, and ``eta_in_seconds`` from the judgement to its eta."""
    item = {
        column: value.astimezone(zone) if isinstance(value, datetime) else value
        for column, value in row.items()
    }
    item["season"] = list(season_from_json(row["season"])) if row["season"] else None
    eta, made = row["eta"], row["at"]
    item["eta_in_seconds"] = (eta - made).total_seconds() if eta is not None else None
    return item


def forecast_cells(row: dict[str, Any], zone: tzinfo) -> list[str]:
    """A forecast book row as the listing's table cells."""
    return [row["task"], row["host"], row["metric"], row["kind"], row["verdict"],
            format_local(row["eta"], zone), format_interval(row), row["signal"],
            format_local(row["at"], zone), " ".join(row["reason"].split())]  # fmt: skip


def format_interval(row: dict[str, Any]) -> str:
    """The interval as spans from the judgement (``9-13 d``, ``4 d-never``); "-" without one."""
    low, high, made = row["eta_low"], row["eta_high"], row["at"]
    if low is None:
        return "-"
    return format_range(low - made, high - made if high is not None else None)


@dataclass(frozen=True)
class Replay:
    """One series' backtest: which series, how many readings it had, and the scores."""

    task: str
    host: str
    metric: str
    readings: int
    result: BacktestResult


@forecast.command("backtest")
@click.option("--task", "tasks", multiple=True, help="Only this task (repeatable).")
@click.option("--host", "hosts", multiple=True, help="Only this host (repeatable).")
@click.option(
    "--step", "step_text", default=DEFAULT_STEP, show_default=True, metavar="DURATION",
    help="Time between two replayed forecasts (e.g. 1h, 6h, 1d).",
)  # fmt: skip
@config_option
@database_option
@format_option
def run_backtest(  # noqa: PLR0913 - one keyword per command-line option
    *, tasks: tuple[str, ...], hosts: tuple[str, ...], step_text: str,
    config_path: Path | None, database: str | None, output_format: str,
) -> None:  # fmt: skip
    """Replay the recorded history of every `predict:` series and score its warnings.

    For each task with `predict:` and each host with readings of its metric, a forecast is made
    every STEP with only the readings known then, by maintd and by plain least squares over the
    same window (Prometheus predict_linear, LSQ in the table). BREACH is the first reading at or
    past the threshold.

    \b
    WARNINGS  forecasts whose median estimate falls within `within`, of all forecasts made
    FALSE     warnings that no breach followed within `within` (one issued less than
              `within` before the data ends, with no breach since, is not judged)
    LEAD      from the first true warning to the breach; `within` is the best possible
    """
    step = parse_step(step_text)
    with open_records(config_path, database) as records:
        why = "forecast backtest replays the tasks' `predict:` settings"
        calendar = required_calendar(records.calendar, config_path, why)
        watched = select_predicted(calendar, tasks)
        replays = replay_all(records.ledger, watched, hosts, step)
    zone = records.zone
    if output_format == "json":
        print_json([replay_json(replay, zone) for replay in replays])
    elif not replays:
        click.echo(NO_READINGS, err=True)
    else:
        click.echo(f"a forecast every {format_span(step)}; LSQ: least squares (predict_linear)")
        print_table(BACKTEST_COLUMNS, [replay_cells(replay, zone) for replay in replays])


def parse_step(text: str) -> timedelta:
    """The ``--step`` duration. Raises UsageError unless it is a positive duration."""
    try:
        step = parse_duration(text)
    except ValueError as error:
        raise UsageError(f"--step: {error}") from None
    if step <= timedelta(0):
        raise UsageError("--step: give a positive duration such as 6h")
    return step


def select_predicted(calendar: Calendar, names: tuple[str, ...]) -> list[tuple[str, Predict]]:
    """The (name, `predict:` settings) of the calendar's tasks that forecast, in calendar order;
    only those in ``names`` when given. Raises UsageError for a name that is no such task."""
    by_name = {task.name: task for task in calendar.tasks}
    for name in names:
        if name not in by_name:
            raise UsageError(f"--task: no task {name!r} in the calendar"
                             f"{did_you_mean(name, by_name)}")  # fmt: skip
        if by_name[name].predict is None:
            raise UsageError(f"--task: task {name!r} has no `predict:` to replay")
    return [(task.name, task.predict) for task in calendar.tasks
            if task.predict is not None and (not names or task.name in names)]  # fmt: skip


def replay_all(
    ledger: Ledger, watched: list[tuple[str, Predict]], hosts: tuple[str, ...], step: timedelta
) -> list[Replay]:
    """Backtest every series of the ``watched`` tasks on the hosts with readings (only
    ``hosts``, when given), each over its whole recorded history."""
    replays = []
    for task, predict in watched:
        for host in hosts_with_readings(ledger.engine, task, predict.metric):
            if hosts and host not in hosts:
                continue
            readings = read_series(ledger.engine, task, host, predict.metric)
            result = backtest(
                [Point(at, value) for at, value in readings], reaches=predict.reaches,
                within=predict.within, window=predict.window, min_history=predict.min_history,
                step=step, direction=predict.direction, coverage=predict.coverage,
            )  # fmt: skip
            replays.append(Replay(task, host, predict.metric, len(readings), result))
    return replays


def replay_json(replay: Replay, zone: tzinfo) -> dict[str, Any]:
    """One series' backtest for scripts: times in ``zone``, durations in seconds."""
    result = replay.result
    return {
        "task": replay.task,
        "host": replay.host,
        "metric": replay.metric,
        "readings": replay.readings,
        "breach": _local(result.breach, zone),
        "first_forecast": _local(result.first_forecast, zone),
        "last_forecast": _local(result.last_forecast, zone),
        "maintd": score_json(result.maintd, zone),
        "least_squares": score_json(result.least_squares, zone),
    }


def score_json(score: MethodScore, zone: tzinfo) -> dict[str, Any]:
    """Every field of a method's score, durations in seconds (``lead_time``, ``seconds`` spent
    forecasting, ``seconds_per_forecast``)."""
    lead_time = score.lead_time.total_seconds() if score.lead_time is not None else None
    return {
        **asdict(score),
        "first_warning": _local(score.first_warning, zone),
        "lead_time": lead_time,
        "seconds_per_forecast": score.milliseconds_per_forecast / 1000,
    }


def replay_cells(replay: Replay, zone: tzinfo) -> list[str]:
    """One series' backtest as table cells: the series, its breach, then each method."""
    result = replay.result
    breach = format_local(result.breach, zone) if result.breach else "none"
    return [replay.task, replay.host, replay.metric, breach,
            *_score_cells(result.maintd), *_score_cells(result.least_squares)]  # fmt: skip


def _score_cells(score: MethodScore) -> list[str]:
    lead = format_span(score.lead_time) if score.lead_time is not None else "-"
    return [f"{score.warnings}/{score.forecasts}", str(score.false_warnings), lead,
            f"{score.milliseconds_per_forecast:.1f}"]  # fmt: skip


def _local(moment: datetime | None, zone: tzinfo) -> datetime | None:
    return moment.astimezone(zone) if moment is not None else None
