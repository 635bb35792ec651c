"""The calendar as every command needs it: loaded, validated, and its plugins checked."""

from __future__ import annotations

from pathlib import Path

from maintd import config, plugins
from maintd.errors import ConfigError


def load_checked(path: Path) -> tuple[config.LoadedCalendar, plugins.Catalog]:
    """Load the calendar at ``path`` and its plugin catalog. Raises ConfigError with every
    problem of both: the daemon refuses such a calendar, so every command does."""
    loaded = config.load_calendar(path)
    catalog = plugins.load_catalog(loaded.calendar.plugin_dirs)
    problems = plugins.check_calendar_plugins(loaded, catalog)
    if problems:
        raise ConfigError(problems)
    return loaded, catalog
