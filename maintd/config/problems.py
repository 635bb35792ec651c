"""Pydantic validation errors -> located, readable calendar problems.

Given the raw data, its source map and a ValidationError, returns one Problem per wrong value,
with the file position of the value (or of the key, for an unknown key), the path as people read
it, and a message that says what is allowed: "did you mean" for misspelt keys.
"""

from __future__ import annotations

import types
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from maintd.config.source import Path, SourceMap
from maintd.errors import Problem, did_you_mean

SECRET_KEYS = frozenset({"passphrase", "url", "password", "token"})
SECRET_SECTIONS = frozenset({"notify", "store"})


def problems_from_validation(
    error: ValidationError, data: Any, source_map: SourceMap, root: type[BaseModel]
) -> list[Problem]:
    """Translate every error of ``error`` (raised validating ``data`` as ``root``)."""
    by_path: dict[Path, list[str]] = {}
    prefer_key: set[Path] = set()
    for detail in error.errors():
        path = _data_path(detail["loc"], data)
        message = _message(detail, path, root)
        if detail["type"] == "extra_forbidden":
            prefer_key.add(path)
        messages = by_path.setdefault(path, [])
        if message not in messages:
            messages.append(message)
    return [
        source_map.problem(path, "; or ".join(messages), prefer_key=path in prefer_key)
        for path, messages in by_path.items()
    ]


def _data_path(loc: tuple[int | str, ...], data: Any) -> Path:
    """Keep the parts of a pydantic location that are keys or indexes of the data; drop the
    names pydantic adds for union members and validators. A last part that is not in the data
    (a missing or an unknown key) is kept."""
    path: list[str | int] = []
    current = data
    for index, part in enumerate(loc):
        if _has_part(current, part):
            current = current[part]
            path.append(part)
        elif index == len(loc) - 1 and isinstance(current, dict):
            path.append(part)
    return tuple(path)


def _has_part(container: Any, part: int | str) -> bool:
    if isinstance(container, dict):
        return part in container
    return isinstance(container, list) and isinstance(part, int) and 0 <= part < len(container)


def _message(detail: ErrorDetails, path: Path, root: type[BaseModel]) -> str:
    kind = detail["type"]
    if kind == "extra_forbidden":
        return _unknown_key_message(path, root)
    if kind == "missing":
        return f"missing required key {path[-1]!r}" if path else "missing required key"
    message = detail["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    given = detail.get("input")
    if _is_short_scalar(given) and repr(given) not in message and not _is_secret(path):
        message += f" (got {given!r})"
    return message


def _is_secret(path: Path) -> bool:
    """Values under these keys may be secrets: never repeat them in a message."""
    return bool(path) and (path[0] in SECRET_SECTIONS or not SECRET_KEYS.isdisjoint(path))


def _is_short_scalar(value: object) -> bool:
    return isinstance(value, str | int | float | bool) and len(repr(value)) <= 40


def _unknown_key_message(path: Path, root: type[BaseModel]) -> str:
    key = str(path[-1]) if path else "?"
    model = model_at(path[:-1], root)
    if model is None:
        return f"unknown key {key!r}"
    allowed = sorted(field.alias or name for name, field in model.model_fields.items())
    hint = did_you_mean(key, allowed)
    if hint:
        return f"unknown key {key!r}{hint}"
    return f"unknown key {key!r}; allowed here: {', '.join(allowed)}"


def model_at(path: Path, root: type[BaseModel]) -> type[BaseModel] | None:
    """Return the model class that validates the mapping at ``path``, following field types
    through lists, dicts and optional values."""
    current: Any = root
    for part in path:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = _field_by_key(current, str(part))
            if field is None:
                return None
            current = field
        elif get_origin(current) is list:
            current = get_args(current)[0]
        elif get_origin(current) is dict:
            current = get_args(current)[1]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _field_by_key(model: type[BaseModel], key: str) -> Any:
    for name, field in model.model_fields.items():
        if key in (name, field.alias):
            return field.annotation
    return None


def _unwrap(annotation: Any) -> Any:
    """Strip ``X | None`` and ``Annotated[X, ...]`` down to the model or container inside."""
    while True:
        origin = get_origin(annotation)
        if origin in (Union, types.UnionType):
            members = [
                arg
                for arg in get_args(annotation)
                if arg is not type(None) and (_is_container(arg) or _is_model(arg))
            ]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        elif hasattr(annotation, "__metadata__"):
            annotation = get_args(annotation)[0]
        else:
            return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _is_container(annotation: Any) -> bool:
    return get_origin(annotation) in (list, dict)
