"""The calendar reference (docs/calendar.md), written from the models themselves so the
documentation and `maintd validate` can never disagree. A test fails when the committed file
is stale; regenerate it with ``python -m maintd.config.reference > docs/calendar.md``.
"""

from __future__ import annotations

import json
import sys
import types
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from maintd.config.base import CalendarModel
from maintd.config.model import Calendar

INTRO = """\
# The calendar format

<!-- Written by `python -m maintd.config.reference`: edit the models, not this file. -->

A calendar is one YAML file or a directory of `*.yaml` files merged together: `hosts`,
`windows`, `severities` and `notify` merge by name, `tasks`, `blackouts` and `plugin_dirs` are
concatenated, and any other key may be set in one file only. Unknown keys are errors.

Durations are written `90s`, `5m`, `4h`, `14d`, `2w` or `1h30m` (a bare number is seconds).
Times of day are quoted `"HH:MM"`. Every local time is in the calendar's `timezone`; the
daylight-saving policy is: a wall-clock time skipped when clocks go forward runs once at the
end of the gap, a time repeated when clocks go back runs once, at its first occurrence.
A secret (a notify URL, a store URL, a passphrase) may be written `{env: NAME}` or
`{file: PATH}` instead of a literal; a relative PATH is looked up in `$CREDENTIALS_DIRECTORY`.
"""


def render_reference() -> str:
    """Return the Markdown reference of every calendar model, top-level first."""
    sections = [INTRO]
    for model in _models_in_order(Calendar):
        sections.append(_render_model(model))
    return "\n".join(sections)


def _models_in_order(root: type[BaseModel]) -> list[type[BaseModel]]:
    ordered: list[type[BaseModel]] = []
    pending = [root]
    while pending:
        model = pending.pop(0)
        if model in ordered:
            continue
        ordered.append(model)
        for field in model.model_fields.values():
            pending.extend(_nested_models(field.annotation))
    return ordered


def _nested_models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, CalendarModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for argument in get_args(annotation):
        found.extend(_nested_models(argument))
    return found


def _render_model(model: type[BaseModel]) -> str:
    doc = " ".join((model.__doc__ or "").split())
    lines = [
        f"## {_section_name(model)}",
        "",
        doc,
        "",
        "| key | type | default | description |",
        "| --- | --- | --- | --- |",
    ]
    for name, field in model.model_fields.items():
        key = field.alias or name
        description = field.description or ""
        if field.examples:
            description += f" Example: `{_example(field.examples[0])}`."
        type_name = _marked_name(field.metadata) or _type_name(field.annotation)
        lines.append(f"| `{key}` | {type_name} | {_default(field)} | {description} |")
    return "\n".join(lines) + "\n"


def _section_name(model: type[BaseModel]) -> str:
    return "Calendar (top level)" if model is Calendar else model.__name__


def _example(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
        if isinstance(value, BaseModel):
            return "(see below)"
        return f"`{json.dumps(value)}`" if value else "empty"
    if field.default is None or field.default is PydanticUndefined:
        return "unset"
    return f"`{_plain(field.default)}`"


def _plain(value: Any) -> str:
    from maintd.config.types import format_duration  # noqa: PLC0415

    if hasattr(value, "total_seconds"):
        return format_duration(value)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _type_name(annotation: Any) -> str:
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        names = [_type_name(arg) for arg in get_args(annotation) if arg is not type(None)]
        return " or ".join(dict.fromkeys(names))
    if hasattr(annotation, "__metadata__"):
        base = get_args(annotation)[0]
        return _annotated_name(annotation, base)
    if origin is list:
        return f"list of {_type_name(get_args(annotation)[0])}"
    if origin is dict:
        return f"map of name → {_type_name(get_args(annotation)[1])}"
    return _simple_type_name(annotation)


def _simple_type_name(annotation: Any) -> str:
    if get_origin(annotation) is Literal:
        return " \\| ".join(f"`{value}`" for value in get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"[{annotation.__name__}](#{annotation.__name__.lower()})"
    return getattr(annotation, "__name__", str(annotation))


def _annotated_name(annotation: Any, base: Any) -> str:
    return _marked_name(annotation.__metadata__) or _type_name(base)


def _marked_name(metadata: Any) -> str | None:
    """The documented name of a calendar value type, recognised by its validator."""
    validators = " ".join(str(item) for item in metadata)
    for marker, name in (
        ("parse_duration", "duration"),
        ("parse_time_of_day", '"HH:MM"'),
        ("parse_day", "day"),
        ("parse_secret", "secret"),
        ("check_param_value", "scalar or list"),
    ):
        if marker in validators:
            return name
    return None


if __name__ == "__main__":
    sys.stdout.write(render_reference())
