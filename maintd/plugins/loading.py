"""The calendar as every command needs it: loaded, validated, and its plugins checked."""

from __future__ import annotations

from pathlib import Path

from maintd import config
from maintd.errors import ConfigError
from maintd.plugins.catalog import Catalog, load_catalog
from maintd.plugins.params import check_calendar_plugins


def load_checked(path: Path) -> tuple[config.LoadedCalendar, Catalog]:
    """Load the calendar at ``path`` and its plugin catalog. Raises ConfigError with every
    problem of both: the daemon refuses such a calendar, so every command does."""
    loaded = config.load_calendar(path)
    catalog = load_catalog(loaded.calendar.plugin_dirs)
    problems = check_calendar_plugins(loaded, catalog)
    if problems:
        raise ConfigError(problems)
    return loaded, catalog
