"""`maintd run`: the long-running service."""

from __future__ import annotations

import gc
import logging
import sys
from pathlib import Path

import click

from maintd.cli.options import calendar_argument, resolve_calendar_path
from maintd.cli.paths import database_option, resolve_database, resolve_log_dir
from maintd.plugins.isolated import load_checked_isolated
from maintd.runtime import exit_now
from maintd.schedule.process import serve
from maintd.service import (
    RESPOND_EVERY_SECONDS,
    STOP_GRACE_SECONDS,
    MaintenanceService,
    Settings,
)


@click.command()
@calendar_argument
@database_option
@click.option("--log-dir", type=click.Path(path_type=Path), help="Maintenance log directory.")
@click.option(
    "--stop-grace", type=float, default=STOP_GRACE_SECONDS, show_default=True,
    help="Seconds running checks get to finish on SIGTERM.",
)  # fmt: skip
@click.option(
    "--respond-every", type=float, default=RESPOND_EVERY_SECONDS, show_default=True,
    help="Seconds between the response desk's rounds (escalations, SLA clocks, silences).",
)  # fmt: skip
def run(  # noqa: PLR0913 - one keyword per command-line option
    *,
    path: Path | None,
    config_path: Path | None,
    database: str | None,
    log_dir: Path | None,
    stop_grace: float,
    respond_every: float,
) -> None:
    """Run the maintenance schedule until stopped (SIGHUP reloads the calendar)."""
    gc.enable()  # a long-running process: cycles must be collected (see cli.main)
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    # APScheduler reports every job run at INFO: the maintenance log already says it better.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    calendar_path = resolve_calendar_path(path, config_path)
    # Every problem of the calendar is reported before anything starts.
    calendar, catalog = load_checked_isolated(calendar_path)
    settings = Settings(
        calendar=calendar_path,
        database=resolve_database(database, calendar),
        log_dir=resolve_log_dir(log_dir),
        stop_grace=stop_grace,
        respond_every=respond_every,
    )
    service = MaintenanceService(settings, (calendar, catalog))
    serve(service)
    if service.left_running:
        # Their rows are INTERRUPTED already; the worker threads would hold the exit until each
        # check's own timeout (they are not daemon threads), far past the stop grace.
        logging.getLogger("maintd.daemon").warning(
            "%d checks still running after the stop grace: killed", service.left_running
        )
        exit_now(0)
