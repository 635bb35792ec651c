"""Nagios performance data: ``'label'=value[UOM];[warn];[crit];[min];[max]`` and its ranges.

Pure parsing, tolerant by design: a malformed item is skipped with a note saying why, and the
rest of the line still counts. A plugin's measurements are the raw material of trends and
forecasts, so a single typo must not lose them all.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_VALUE = re.compile(rf"(?P<number>{_NUMBER}|U)(?P<unit>[^;\s\d][^;\s]*)?")
_RANGE = re.compile(rf"(?P<inside>@)?(?:(?P<start>~|{_NUMBER})?(?P<colon>:))?(?P<end>{_NUMBER})?")


@dataclass(frozen=True)
class Range:
    """A threshold range. It *alerts* when a value lies outside [start, end] — or inside it,
    for ``@`` ranges. ``10`` is 0..10, ``10:`` is 10..∞, ``~:10`` is -∞..10."""

    start: float
    end: float
    inside: bool = False
    text: str = ""

    def alerts(self, value: float) -> bool:
        """Whether ``value`` crosses this threshold."""
        within = self.start <= value <= self.end
        return within if self.inside else not within


def parse_range(text: str) -> Range:
    """Parse a range such as ``10``, ``10:``, ``~:10``, ``10:20`` or ``@10:20``.
    Raises ValueError for anything else."""
    match = _RANGE.fullmatch(text.strip())
    if not match or (match.group("start") is None and match.group("end") is None):
        raise ValueError(f"not a range: {text!r}")
    start_text, end_text = match.group("start"), match.group("end")
    if match.group("colon") is None:
        start = 0.0
    else:
        start = -math.inf if start_text == "~" else float(start_text or 0)
    end = float(end_text) if end_text is not None else math.inf
    if start > end:
        raise ValueError(f"range {text!r} starts after it ends")
    return Range(start, end, match.group("inside") is not None, text.strip())


@dataclass(frozen=True)
class Perfdatum:
    """One measurement. ``value`` is None when the plugin wrote ``U`` (undetermined)."""

    label: str
    value: float | None
    unit: str = ""
    warn: Range | None = None
    crit: Range | None = None
    minimum: float | None = None
    maximum: float | None = None

    @property
    def warn_text(self) -> str | None:
        """The warning range as the plugin wrote it."""
        return self.warn.text if self.warn else None

    @property
    def crit_text(self) -> str | None:
        """The critical range as the plugin wrote it."""
        return self.crit.text if self.crit else None


def parse_perfdata(text: str) -> tuple[list[Perfdatum], list[str]]:
    """Parse a perfdata string into measurements and notes about the items that were skipped."""
    items: list[Perfdatum] = []
    notes: list[str] = []
    for token in split_perfdata(text):
        try:
            items.append(parse_item(token))
        except ValueError as error:
            notes.append(f"perfdata {token!r} skipped: {error}")
    return items, notes


def split_perfdata(text: str) -> list[str]:
    """Split on whitespace outside single-quoted labels (``'free space'=1`` is one item)."""
    tokens: list[str] = []
    current: list[str] = []
    quoted = False
    index = 0
    while index < len(text):
        char = text[index]
        if char == "'":
            if quoted and text[index + 1 : index + 2] == "'":
                current.append("''")
                index += 2
                continue
            quoted = not quoted
        if char.isspace() and not quoted:
            if current:
                tokens.append("".join(current))
                current = []
        else:
            current.append(char)
        index += 1
    if current:
        tokens.append("".join(current))
    return tokens


def parse_item(token: str) -> Perfdatum:
    """Parse one ``label=value[UOM];warn;crit;min;max`` item. Raises ValueError."""
    label, separator, rest = _split_label(token)
    if not separator:
        raise ValueError("no '=' after the label")
    if not label.strip():
        raise ValueError("empty label")
    if not label.isprintable():
        raise ValueError("the label holds control characters")
    fields = rest.split(";")
    value_match = _VALUE.fullmatch(fields[0])
    if not value_match:
        raise ValueError(f"value {fields[0]!r} is not a number")
    number = value_match.group("number")
    fields += [""] * (5 - len(fields))
    return Perfdatum(
        label=label,
        value=None if number == "U" else _finite(number),
        unit=value_match.group("unit") or "",
        warn=parse_range(fields[1]) if fields[1] else None,
        crit=parse_range(fields[2]) if fields[2] else None,
        minimum=_optional_number(fields[3]),
        maximum=_optional_number(fields[4]),
    )


def _split_label(token: str) -> tuple[str, str, str]:
    if token.startswith("'"):
        closing = 1
        while True:
            closing = token.find("'", closing)
            if closing == -1:
                raise ValueError("unterminated quoted label")
            if token[closing + 1 : closing + 2] == "'":
                closing += 2
                continue
            break
        label = token[1:closing].replace("''", "'")
        remainder = token[closing + 1 :]
        return label, remainder[:1] if remainder.startswith("=") else "", remainder[1:]
    return token.partition("=")


def _optional_number(text: str) -> float | None:
    if not text or text == "U":
        return None
    if not re.fullmatch(_NUMBER, text):
        raise ValueError(f"{text!r} is not a number")
    return _finite(text)


def _finite(text: str) -> float:
    """The number ``text`` as a float; ValueError when it is too large for one (``1e999``
    would be stored as infinity and poison every sum and trend it enters)."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:40]!r} is out of range")
    return value
