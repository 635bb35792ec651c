"""`maintd check TASK`: run a task now on its hosts and show each answer as it arrives."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from maintd.cli.options import config_option, format_option, resolve_calendar_path
from maintd.cli.output import print_json, print_table
from maintd.config.model import Task
from maintd.errors import UsageError, did_you_mean
from maintd.execute import HostRun, Runner
from maintd.plan.targets import HostSelector
from maintd.plugins.loading import load_checked
from maintd.results import CheckResult, interpret
from maintd.status import Status, exit_code_for, worst

STATUS_TO_STYLE = {
    Status.OK: "green",
    Status.WARNING: "yellow",
    Status.CRITICAL: "bold red",
    Status.UNKNOWN: "magenta",
}
HEADERS = ["HOST", "STATUS", "DURATION", "SUMMARY", "PERFDATA"]


@click.command()
@click.argument("task_name", metavar="TASK")
@click.option("--host", "hosts", multiple=True, help="Only this host of the task (repeatable).")
@click.option("--force", is_flag=True, help="Also run a task marked disruptive.")
@config_option
@format_option
def check(
    *,
    task_name: str,
    hosts: tuple[str, ...],
    force: bool,
    config_path: Path | None,
    output_format: str,
) -> None:
    """Run TASK now on its hosts; exit with the worst status (OK 0, WARNING 1, CRITICAL 2,
    anything else 3)."""
    loaded, catalog = load_checked(resolve_calendar_path(None, config_path))
    calendar = loaded.calendar
    task = _find_task(calendar.tasks, task_name)
    if task.disruptive and not force:
        raise UsageError(f"{task.name} is disruptive (it may interrupt service): add --force")
    plugin = catalog.get(task.check or "")
    if plugin is not None and plugin.spec.disruptive and not force:
        raise UsageError(
            f"{task.name} runs {plugin.spec.name}, which changes the host "
            f"({plugin.spec.summary.rstrip('.')}): add --force"
        )
    names = _chosen_hosts(HostSelector(calendar).select(task), hosts, task.name)
    runner = Runner(calendar, catalog)
    try:
        results = _run(runner, task, names, live=output_format == "table" and sys.stdout.isatty())
    finally:
        runner.close()
    if output_format == "json":
        print_json([_as_json(host_run, result) for host_run, result in results])
    elif not sys.stdout.isatty():
        print_table(HEADERS, [_row(host_run, result) for host_run, result in results])
    status = worst([result.status for _, result in results])
    raise SystemExit(exit_code_for(status))


def _run(
    runner: Runner, task: Task, names: list[str], live: bool
) -> list[tuple[HostRun, CheckResult]]:
    finished: dict[str, tuple[HostRun, CheckResult]] = {}
    lock = threading.Lock()
    if not live:
        for host_run in runner.run_task(task, names):
            finished[host_run.host] = (host_run, interpret(host_run.raw))
        return [finished[name] for name in names]
    with Live(_live_table(names, finished), console=Console(), auto_refresh=False) as display:

        def show(host_run: HostRun) -> None:
            with lock:
                finished[host_run.host] = (host_run, interpret(host_run.raw))
                display.update(_live_table(names, finished), refresh=True)

        runner.run_task(task, names, on_result=show)
    return [finished[name] for name in names]


def _live_table(names: list[str], finished: dict[str, tuple[HostRun, CheckResult]]) -> Table:
    table = Table(box=None, header_style="bold", pad_edge=False)
    for header in HEADERS:
        table.add_column(header, overflow="fold")
    for name in names:
        if name not in finished:
            table.add_row(name, "[dim]running…[/dim]", "", "", "")
            continue
        row = _row(*finished[name])
        style = STATUS_TO_STYLE.get(finished[name][1].status, "bold red")
        table.add_row(Text(row[0]), Text(row[1], style=style), *(Text(cell) for cell in row[2:]))
    return table


def _row(host_run: HostRun, result: CheckResult) -> list[str]:
    perfdata = " ".join(
        f"{datum.label}={'U' if datum.value is None else f'{datum.value:g}'}{datum.unit}"
        for datum in result.perfdata
    )
    return [
        host_run.host,
        result.status.value,
        f"{host_run.raw.duration:.2f}s",
        result.summary,
        perfdata,
    ]


def _as_json(host_run: HostRun, result: CheckResult) -> dict[str, Any]:
    return {
        "task": host_run.task,
        "host": host_run.host,
        "started": host_run.started_at.isoformat(),
        "status": result.status.value,
        "summary": result.summary,
        "exit_code": result.exit_code,
        "duration": round(host_run.raw.duration, 6),
        "attempts": host_run.attempts,
        "perfdata": [
            {
                "label": datum.label,
                "value": datum.value,
                "unit": datum.unit,
                "warn": datum.warn_text,
                "crit": datum.crit_text,
                "min": datum.minimum,
                "max": datum.maximum,
            }
            for datum in result.perfdata
        ],
        "long_output": result.long_output,
        "notes": list(result.notes),
    }


def _find_task(tasks: list[Task], name: str) -> Task:
    for task in tasks:
        if task.name == name:
            return task
    hint = did_you_mean(name, [task.name for task in tasks])
    raise UsageError(f"no task named {name!r} in the calendar{hint}")


def _chosen_hosts(selected: list[str], wanted: tuple[str, ...], task: str) -> list[str]:
    if not wanted:
        return selected
    for name in wanted:
        if name not in selected:
            raise UsageError(
                f"--host: {name!r} is not one of {task}'s hosts ({', '.join(selected)})"
            )
    return [name for name in selected if name in wanted]
