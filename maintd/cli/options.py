"""Options shared by the commands: where the calendar is, the output format, times given on the
command line. The calendar is PATH, else --config, else $MAINTD_CONFIG, else /etc/maintd."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any, TypeVar

import click

from maintd.config.timing import FIRST_YEAR, LAST_YEAR
from maintd.config.types import parse_duration
from maintd.errors import UsageError
from maintd.plan.localtime import to_instant

DEFAULT_CONFIG = "/etc/maintd"
CONFIG_ENV = "MAINTD_CONFIG"

Command = TypeVar("Command", bound=Callable[..., Any])


def config_option(command: Command) -> Command:
    """Add ``--config PATH`` (every command accepts it)."""
    return click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path),
        default=None,
        help=f"Calendar file or directory (default: ${CONFIG_ENV}, else {DEFAULT_CONFIG}).",
    )(command)


def calendar_argument(command: Command) -> Command:
    """Add the optional positional calendar PATH and ``--config``."""
    command = click.argument(
        "path", required=False, type=click.Path(path_type=Path), metavar="[PATH]"
    )(command)
    return config_option(command)


def format_option(command: Command) -> Command:
    """Add ``--format table|json``."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(["table", "json"]),
        default="table",
        show_default=True,
        help="Table for people, JSON for scripts.",
    )(command)


def resolve_calendar_path(path: Path | None, config: Path | None) -> Path:
    """Pick the calendar path: PATH, --config (on the command or before it), $MAINTD_CONFIG,
    /etc/maintd."""
    if path is not None:
        return path
    if config is not None:
        return config
    context = click.get_current_context(silent=True)
    group_config = context.find_root().params.get("config_path") if context else None
    if group_config is not None:
        return Path(group_config)
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def parse_moment(text: str | None, zone: tzinfo, option: str) -> datetime:
    """Read a time given on the command line: an ISO date (local midnight), an ISO date-time
    (local unless it carries an offset) or nothing (now). Returns an aware UTC datetime."""
    if text is None:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        moment = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        raise UsageError(
            f"{option}: {text!r} is not an ISO date or date-time (e.g. 2026-12-01 or "
            "2026-12-01T02:00 or 2026-12-01T02:00+08:00)"
        ) from None
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise UsageError(f"{option}: {text!r} is outside the years {FIRST_YEAR}-{LAST_YEAR}")
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    return to_instant(moment, zone)


def parse_when(text: str, zone: tzinfo, now: datetime, option: str, *, ago: bool) -> datetime:
    """Read a time given as a span or a moment: ``7d`` is that long before ``now`` (``ago``)
    or after it; otherwise an ISO date or date-time as ``parse_moment`` reads it."""
    try:
        span = parse_duration(text)
    except ValueError:
        return parse_moment(text, zone, option)
    return now - span if ago else now + span
