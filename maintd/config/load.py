"""A calendar path (file or directory of *.yaml) -> a validated Calendar, or every problem at once.

Stages: read and parse each file keeping positions -> merge the files -> validate the model ->
check cross-references. Each stage reports all it finds; a later stage runs only on what the
earlier ones accepted, so one pass shows everything that can be known.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from maintd.config.merge import CalendarFile, merge_files
from maintd.config.model import Calendar
from maintd.config.problems import problems_from_validation
from maintd.config.references import check_references
from maintd.config.source import SourceMap, load_yaml
from maintd.errors import ConfigError, Problem
from maintd.runtime import gc_paused

CALENDAR_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class LoadedCalendar:
    """A valid calendar, the files it came from, and where each of its values stood
    (for later stages that find problems the model cannot, such as plugin parameters)."""

    calendar: Calendar
    files: tuple[Path, ...]
    source_map: SourceMap

    def problem(self, path: tuple[str | int, ...], message: str) -> Problem:
        """Return a Problem located at ``path`` of the calendar's data."""
        return self.source_map.problem(path, message)


def find_calendar_files(path: Path) -> list[Path]:
    """Return the calendar files at ``path``: the file itself, or a directory's *.yaml / *.yml
    files in name order. Raises ConfigError when there are none."""
    if path.is_dir():
        try:
            children = list(path.iterdir())
        except OSError as error:
            raise ConfigError([Problem(f"cannot list: {error.strerror}", file=str(path))]) from None
        files = sorted(
            child
            for child in children
            if child.suffix in CALENDAR_SUFFIXES
            and child.is_file()
            and not child.name.startswith(".")
        )
        if not files:
            raise ConfigError(
                [Problem("no *.yaml calendar files in this directory", file=str(path))]
            )
        return files
    if path.is_file():
        return [path]
    raise ConfigError([Problem("no such file or directory", file=str(path))])


def load_calendar(path: Path | str) -> LoadedCalendar:
    """Load and validate the calendar at ``path``. Raises ConfigError with every problem found."""
    with gc_paused():
        return _load_calendar(Path(path))


def _load_calendar(path: Path) -> LoadedCalendar:
    files = find_calendar_files(path)
    loaded: list[CalendarFile] = []
    problems: list[Problem] = []
    unreadable = False  # a file whose content is unknown: the model would only add noise
    for file in files:
        text = _read(file, problems)
        if text is None:
            unreadable = True
            continue
        data, source_map, file_problems = load_yaml(text, str(file))
        problems.extend(file_problems)
        unreadable = unreadable or (data is None and bool(file_problems))
        loaded.append(CalendarFile(file, data, source_map))
    if unreadable:
        # Validating the rest would report the unreadable file's keys as missing.
        raise ConfigError(problems)
    data, source_map, merge_problems = merge_files(loaded)
    problems.extend(merge_problems)
    try:
        calendar = Calendar.model_validate(data)
    except ValidationError as error:
        problems.extend(problems_from_validation(error, data, source_map, Calendar))
        raise ConfigError(problems) from None
    problems.extend(check_references(calendar, source_map))
    if problems:
        raise ConfigError(problems)
    return LoadedCalendar(calendar, tuple(files), source_map)


def _read(file: Path, problems: list[Problem]) -> str | None:
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        problems.append(
            Problem(f"not UTF-8 text ({error.reason} at byte {error.start})", file=str(file))
        )
    except OSError as error:
        problems.append(Problem(f"cannot read: {error.strerror}", file=str(file)))
    return None
