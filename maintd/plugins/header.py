"""A check plugin's metadata header: YAML in comments between two ``# ---`` lines.

    #!/bin/sh
    # ---
    # name: disk_usage
    # summary: Used space of one filesystem
    # params:
    #   path: {type: str, default: /}
    #   warn: {type: float, default: 80}
    # ---

Given a plugin file, returns a validated ``PluginSpec`` or raises ``ConfigError`` whose problems
point at the plugin file's own lines.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from maintd.config.base import CalendarModel
from maintd.config.hosts import check_name
from maintd.config.problems import problems_from_validation
from maintd.config.source import SourceMap, load_yaml
from maintd.errors import ConfigError, Problem

HEADER_FENCE = re.compile(r"#\s?---\s*")
HEADER_LINE = re.compile(r"#( ?)(.*)")
HEADER_SEARCH_LINES = 5  # the fence must open within the first lines (after the shebang)

RESERVED_PARAMS = frozenset({"task", "host"})  # maintd's own MAINTD_TASK and MAINTD_HOST
ParamType = Literal["str", "int", "float", "bool", "list"]
TYPE_TO_PYTHON: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "list": (list,),
}


class ParamSpec(CalendarModel):
    """One parameter a plugin accepts."""

    type: ParamType = Field("str", description="str, int, float, bool or list.")
    default: Any = Field(None, description="Value when the task gives none.")
    required: bool = Field(False, description="The task must give it.")
    description: str | None = Field(None, description="What it means.")
    choices: list[Any] | None = Field(None, description="The only values allowed.")

    @model_validator(mode="after")
    def _default_fits(self) -> ParamSpec:
        if self.default is not None:
            problem = type_problem(self, self.default)
            if problem:
                raise ValueError(f"default: {problem}")
        if self.required and self.default is not None:
            raise ValueError("a required parameter has no default")
        return self


class PluginSpec(CalendarModel):
    """What a plugin declares about itself."""

    name: str = Field(description="Name tasks use in `check:`.")
    summary: str = Field(description="One line saying what it checks.")
    description: str | None = Field(None, description="More about it.")
    params: dict[str, ParamSpec] = Field(default_factory=dict, description="Its parameters.")
    perfdata: list[str] = Field(default_factory=list, description="Labels of its measurements.")
    disruptive: bool = Field(
        False,
        description=(
            "It changes the host when it runs (writes backups, rewrites tables): `maintd check` "
            "runs its tasks only with --force. Whether a task may disturb service (windows, "
            "freezes) is the task's own `disruptive`."
        ),
    )

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        return check_name(value)

    @field_validator("params")
    @classmethod
    def _param_names(cls, value: dict[str, ParamSpec]) -> dict[str, ParamSpec]:
        for name in value:
            if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
                raise ValueError(f"parameter {name!r}: use lower-case letters, digits and '_'")
            if name in RESERVED_PARAMS:
                raise ValueError(
                    f"parameter {name!r} would hide MAINTD_{name.upper()}, which maintd sets "
                    "itself: choose another name"
                )
        return value


def type_problem(spec: ParamSpec, value: Any) -> str | None:
    """Why ``value`` does not fit ``spec`` (None when it does)."""
    allowed = TYPE_TO_PYTHON[spec.type]
    fits = isinstance(value, allowed) and not (isinstance(value, bool) and bool not in allowed)
    if not fits:
        return f"expected {spec.type}, got {type(value).__name__} {value!r}"
    if spec.choices is not None and value not in spec.choices:
        return f"{value!r} is not one of {spec.choices}"
    return None


def read_header(path: Path) -> PluginSpec:
    """Read and validate the header of the plugin at ``path``. Raises ConfigError."""
    try:
        content = path.read_bytes()
    except OSError as error:
        message = f"cannot read the plugin: {error.strerror or error}"
        raise ConfigError([Problem(message, file=str(path))]) from None
    return parse_header(content, path)


def parse_header(content: bytes, path: Path) -> PluginSpec:
    """Validate the header of a plugin's ``content`` read from ``path``. Raises ConfigError
    whose problems point at the plugin file's lines."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        line = content.count(b"\n", 0, error.start) + 1
        message = f"not UTF-8 text ({error.reason} at byte {error.start})"
        raise ConfigError([Problem(message, file=str(path), line=line)]) from None
    header, first_line = extract_header(text)
    if header is None:
        raise ConfigError(
            [Problem("no metadata header: expected '# ---' lines around YAML", file=str(path))]
        )
    data, source_map, problems = load_yaml(header, str(path))
    source_map = _shift(source_map, first_line)
    if problems:
        raise ConfigError([_shift_problem(problem, first_line) for problem in problems])
    try:
        return PluginSpec.model_validate(data)
    except ValidationError as error:
        raise ConfigError(problems_from_validation(error, data, source_map, PluginSpec)) from None


def extract_header(text: str) -> tuple[str | None, int]:
    """Return the header's YAML (comment marks removed) and the file line it starts after."""
    lines = text.splitlines()
    start = next(
        (
            index
            for index, line in enumerate(lines[:HEADER_SEARCH_LINES])
            if HEADER_FENCE.fullmatch(line)
        ),
        None,
    )
    if start is None:
        return None, 0
    body: list[str] = []
    for line in lines[start + 1 :]:
        if HEADER_FENCE.fullmatch(line):
            return "\n".join(body) + "\n", start + 1
        match = HEADER_LINE.fullmatch(line)
        if match is None:
            return None, 0
        body.append(match.group(2))
    return None, 0


def _shift(source_map: SourceMap, lines: int) -> SourceMap:
    shifted = SourceMap()
    for mine, theirs in ((shifted.values, source_map.values), (shifted.keys, source_map.keys)):
        for path, mark in theirs.items():
            mine[path] = _ShiftedMark(mark.name, mark.line + lines, mark.column + 2)
    return shifted


def _shift_problem(problem: Problem, lines: int) -> Problem:
    if problem.line is None:
        return problem
    column = (problem.column or 1) + 2
    return Problem(problem.message, problem.where, problem.file, problem.line + lines, column)


class _ShiftedMark:
    """A mark moved from the header text to its place in the plugin file ('# ' removed)."""

    def __init__(self, name: str, line: int, column: int) -> None:
        self.name, self.line, self.column = name, line, column


__all__ = [
    "ParamSpec",
    "PluginSpec",
    "extract_header",
    "parse_header",
    "read_header",
    "type_problem",
]
