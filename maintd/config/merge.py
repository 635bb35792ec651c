"""Several calendar files -> one calendar's data, with the source map to match.

Named sections (hosts, windows, severities, notify) are merged by name; list sections (tasks,
blackouts, plugin_dirs) are concatenated in file order; any other key may be set by one file
only. The same name in two files is an error naming both places. `plugin_dirs` are resolved
against the directory of the file that names them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Any

from maintd.config.source import Path, Position, SourceMap, position_of
from maintd.errors import Problem

NAMED_SECTIONS = ("hosts", "windows", "severities", "notify")
LIST_SECTIONS = ("tasks", "blackouts", "plugin_dirs")


@dataclass
class CalendarFile:
    """One loaded file: its path, its data and where each value stood."""

    path: FilePath
    data: Any
    source_map: SourceMap


def merge_files(files: list[CalendarFile]) -> tuple[dict[str, Any], SourceMap, list[Problem]]:
    """Merge the files in order. Returns the merged data, its source map and the conflicts."""
    merger = _Merger()
    for calendar_file in files:
        if calendar_file.data is None:
            continue
        if not isinstance(calendar_file.data, dict):
            merger.problems.append(_not_a_mapping(calendar_file))
            continue
        merger.add(calendar_file)
    return merger.merged, merger.source_map, merger.problems


class _Merger:
    def __init__(self) -> None:
        self.merged: dict[str, Any] = {}
        self.source_map = SourceMap()
        self.problems: list[Problem] = []
        self.first_place: dict[Path, Position] = {}

    def add(self, calendar_file: CalendarFile) -> None:
        data = _resolve_plugin_dirs(calendar_file.data, calendar_file.path)
        rename: dict[Path, Path] = {}
        rejected: set[Path] = set()  # their positions must not replace the first definition's
        for key, value in data.items():
            if value is None:
                continue  # an empty section (`hosts:` with nothing under it) adds nothing
            existing = self.merged.get(key)
            if key in NAMED_SECTIONS and isinstance(value, dict) and _fits(existing, dict):
                self.add_named(calendar_file, key, value, rejected)
            elif key in LIST_SECTIONS and isinstance(value, list) and _fits(existing, list):
                self.add_items(key, value, rename)
            elif key in self.merged:
                self.problems.append(
                    _defined_twice(calendar_file, (key,), self.first_place[(key,)])
                )
                rejected.add((key,))
                continue
            else:
                self.merged[key] = value
            self.first_place.setdefault((key,), _key_position(calendar_file, (key,)))
        self.source_map.update(calendar_file.source_map, rename, rejected)

    def add_named(
        self, calendar_file: CalendarFile, key: str, value: dict[str, Any], rejected: set[Path]
    ) -> None:
        section = self.merged.setdefault(key, {})
        for name, item in value.items():
            first = self.first_place.get((key, name))
            if first is not None:
                self.problems.append(_defined_twice(calendar_file, (key, name), first))
                rejected.add((key, name))
                continue
            self.first_place[(key, name)] = _key_position(calendar_file, (key, name))
            section[name] = item

    def add_items(self, key: str, value: list[Any], rename: dict[Path, Path]) -> None:
        section = self.merged.setdefault(key, [])
        for index, item in enumerate(value):
            if len(section) != index:  # only items that moved need their paths renamed
                rename[(key, index)] = (key, len(section))
                self.source_map.local_names[(key, len(section))] = (key, index)
            section.append(item)


def _fits(existing: Any, kind: type) -> bool:
    """Whether a section may be extended: first seen here, or of the same kind so far."""
    return existing is None or isinstance(existing, kind)


def _resolve_plugin_dirs(data: dict[str, Any], file: FilePath) -> dict[str, Any]:
    directories = data.get("plugin_dirs")
    if not isinstance(directories, list):
        return data
    resolved = [
        str((file.parent / item).resolve()) if isinstance(item, str) and "\0" not in item else item
        for item in directories
    ]
    return {**data, "plugin_dirs": resolved}


def _key_position(calendar_file: CalendarFile, path: Path) -> Position:
    mark = calendar_file.source_map.keys.get(path)
    return position_of(mark) if mark is not None else Position(str(calendar_file.path), 1, 1)


def _defined_twice(calendar_file: CalendarFile, path: Path, first: Position) -> Problem:
    here = _key_position(calendar_file, path)
    what = ".".join(str(part) for part in path)
    return Problem(
        f"defined again; first defined at {first.file}:{first.line}:{first.column}",
        what,
        here.file,
        here.line,
        here.column,
    )


def _not_a_mapping(calendar_file: CalendarFile) -> Problem:
    mark = calendar_file.source_map.values.get(())
    position = position_of(mark) if mark is not None else Position(str(calendar_file.path), 1, 1)
    return Problem(
        "a calendar file is a mapping of keys such as timezone, hosts and tasks",
        "",
        position.file,
        position.line,
        position.column,
    )
