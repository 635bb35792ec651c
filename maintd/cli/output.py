"""Printing for people (rich tables) and for scripts (JSON: times ISO-8601 with their offset,
durations in seconds)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

# Past this many rows a plain text table is written directly: rich lays out every row in
# memory first, which makes a month's plan of a large site take seconds.
RICH_ROW_LIMIT = 2000


def to_json_value(value: Any) -> Any:
    """The JSON form of the values maintd prints."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def print_json(data: Any) -> None:
    """Write ``data`` as indented JSON on stdout."""
    sys.stdout.write(json.dumps(data, default=to_json_value, ensure_ascii=False, indent=2) + "\n")


def print_json_lines(encoded_items: Iterable[str]) -> None:
    """Write a JSON array from already encoded elements, one element a line: readable,
    greppable, and still one JSON document."""
    body = ",\n".join(encoded_items)
    sys.stdout.write(f"[\n{body}\n]\n" if body else "[]\n")


def print_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], title: str | None = None
) -> None:
    """Write rows as aligned columns on stdout: a rich table on a terminal, plain columns (never
    wrapped, one row a line, for grep and awk) when stdout is a pipe or a file."""
    if len(rows) > RICH_ROW_LIMIT or not sys.stdout.isatty():
        _print_plain_table(headers, rows)
        return
    table = Table(title=title, box=None, header_style="bold", pad_edge=False)
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in rows:
        # Text, not markup: a blackout named "[red]x" must print as written.
        table.add_row(*(Text(cell) for cell in row))
    Console(soft_wrap=True).print(table)


def _print_plain_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in headers]
    widths = [
        max(len(header), *map(len, column)) if column else len(header)
        for header, column in zip(headers, columns, strict=True)
    ]
    template = "  ".join(f"{{:<{width}}}" for width in widths)
    lines = [template.format(*headers).rstrip()]
    lines.extend(template.format(*row).rstrip() for row in rows)
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()


def format_local(moment: datetime | None, zone: tzinfo) -> str:
    """A stored (UTC) time as local ISO-8601 with its offset, to the second; "-" for none."""
    return moment.astimezone(zone).isoformat(timespec="seconds") if moment else "-"
