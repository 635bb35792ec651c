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

from maintd.config.source import Path, Position, SourceMap
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
    merged: dict[str, Any] = {}
    source_map = SourceMap()
    problems: list[Problem] = []
    set_by: dict[Path, Position] = {}
    for calendar_file in files:
        data = calendar_file.data
        if data is None:
            continue
        if not isinstance(data, dict):
            problems.append(_not_a_mapping(calendar_file))
            continue
        data = _resolve_plugin_dirs(data, calendar_file.path)
        rename: dict[Path, Path] = {}
        for key, value in data.items():
            where = calendar_file.source_map.keys.get((key,))
            if key in NAMED_SECTIONS and isinstance(value, dict):
                section = merged.setdefault(key, {})
                for name, item in value.items():
                    first = set_by.get((key, name))
                    if first is not None:
                        problems.append(_defined_twice(calendar_file, (key, name), first))
                        continue
                    set_by[(key, name)] = _key_position(calendar_file, (key, name))
                    section[name] = item
            elif key in LIST_SECTIONS and isinstance(value, list):
                section = merged.setdefault(key, [])
                for index, item in enumerate(value):
                    rename[(key, index)] = (key, len(section))
                    source_map.local_names[(key, len(section))] = (key, index)
                    section.append(item)
            elif key in merged:
                problems.append(_defined_twice(calendar_file, (key,), set_by[(key,)]))
                continue
            else:
                merged[key] = value
            if where is not None:
                set_by.setdefault((key,), where)
        source_map.update(calendar_file.source_map, rename)
    return merged, source_map, problems


def _resolve_plugin_dirs(data: dict[str, Any], file: FilePath) -> dict[str, Any]:
    directories = data.get("plugin_dirs")
    if not isinstance(directories, list):
        return data
    resolved = [
        str((file.parent / item).resolve()) if isinstance(item, str) else item
        for item in directories
    ]
    return {**data, "plugin_dirs": resolved}


def _key_position(calendar_file: CalendarFile, path: Path) -> Position:
    return calendar_file.source_map.keys.get(path) or Position(str(calendar_file.path), 1, 1)


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
    position = calendar_file.source_map.values.get(()) or Position(str(calendar_file.path), 1, 1)
    return Problem(
        "a calendar file is a mapping of keys such as timezone, hosts and tasks",
        "",
        position.file,
        position.line,
        position.column,
    )
