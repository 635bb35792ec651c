"""Value types of the calendar: durations, times of day, weekdays and secrets.

Each is a pydantic-ready annotated type whose error message says what is allowed, because
these messages end up in front of the person who wrote the YAML.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

UNIT_TO_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MAX_DURATION_SECONDS = 3650 * 86400
_DURATION_PART = re.compile(r"(\d+)\s*([smhdw])")
_DURATION_WHOLE = re.compile(r"(?:\d+\s*[smhdw]\s*)+")


def parse_duration(value: Any) -> timedelta:
    """Turn ``90s``, ``5m``, ``4h``, ``14d``, ``2w``, ``1h30m`` or a whole number of seconds
    into a timedelta. Raises ValueError with the accepted forms otherwise."""
    if isinstance(value, timedelta):
        return value
    seconds = None
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        seconds = value
    elif isinstance(value, str):
        text = value.strip().lower()
        if _DURATION_WHOLE.fullmatch(text):
            seconds = sum(
                int(number) * UNIT_TO_SECONDS[unit] for number, unit in _DURATION_PART.findall(text)
            )
    if seconds is None:
        raise ValueError(_DURATION_HELP)
    if seconds > MAX_DURATION_SECONDS:
        raise ValueError("a duration longer than 3650d (ten years) is not supported")
    return timedelta(seconds=seconds)


_DURATION_HELP = (
    "expected a duration such as 90s, 5m, 4h, 14d, 2w or 1h30m (a bare number is seconds)"
)


def format_duration(value: timedelta) -> str:
    """Write a timedelta back in the calendar's notation, largest units first (``1h30m``)."""
    seconds = int(value.total_seconds())
    if seconds == 0:
        return "0s"
    parts = []
    for unit in ("w", "d", "h", "m", "s"):
        count, seconds = divmod(seconds, UNIT_TO_SECONDS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
]

_TIME_OF_DAY = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


def parse_time_of_day(value: Any) -> time:
    """Turn ``HH:MM`` (24-hour, local) into a time. Raises ValueError otherwise."""
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        match = _TIME_OF_DAY.fullmatch(value.strip())
        if match:
            return time(int(match.group(1)), int(match.group(2)))
    raise ValueError('expected a time of day as "HH:MM" (24-hour, quoted), e.g. "22:30"')


TimeOfDay = Annotated[
    time,
    BeforeValidator(parse_time_of_day),
    PlainSerializer(lambda value: value.strftime("%H:%M"), return_type=str),
]

WEEKDAY_TO_NUMBER = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
DAY_SETS = {"workdays", "non-workdays"}


def parse_day(value: Any) -> str:
    """Accept a weekday (``mon`` … ``sun``, any case, full names too) or a day set of the
    ``workdays`` calendar (``workdays``, ``non-workdays``); return its short lower-case name."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in DAY_SETS:
            return text
        if text[:3] in WEEKDAY_TO_NUMBER and (len(text) == 3 or _is_full_day_name(text)):
            return text[:3]
    raise ValueError(
        "expected a weekday (mon, tue, wed, thu, fri, sat, sun), workdays or non-workdays"
    )


def _is_full_day_name(text: str) -> bool:
    return text in {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}


Day = Annotated[str, BeforeValidator(parse_day)]


class EnvSecret(BaseModel):
    """A secret read from an environment variable of the maintd process."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    env: str = Field(description="Name of the environment variable.", examples=["MAINTD_SMTP_URL"])


class FileSecret(BaseModel):
    """A secret read from a file; a relative path is looked up in systemd's
    ``$CREDENTIALS_DIRECTORY`` (``LoadCredential=``) first."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    file: str = Field(
        description="Path of the file holding the secret.", examples=["ssh-passphrase"]
    )


def parse_secret(value: Any) -> str | EnvSecret | FileSecret:
    """Accept a literal string, ``{env: NAME}`` or ``{file: PATH}``, with one clear error."""
    if isinstance(value, str | EnvSecret | FileSecret):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((key, name),) = value.items()
        if isinstance(name, str) and name:
            if key == "env":
                return EnvSecret(env=name)
            if key == "file":
                return FileSecret(file=name)
    raise ValueError("expected a string, {env: VARIABLE} or {file: PATH}")


Secret = Annotated[str | EnvSecret | FileSecret, BeforeValidator(parse_secret)]


def parse_secret_reference(value: Any) -> EnvSecret | FileSecret:
    """Accept only ``{env: NAME}`` or ``{file: PATH}``: for secrets that must never be
    written into the calendar itself, such as passphrases."""
    if isinstance(value, str):
        raise ValueError("must not be written in the calendar: use {env: VARIABLE} or {file: PATH}")
    try:
        parsed = parse_secret(value)
    except ValueError:
        raise ValueError("expected {env: VARIABLE} or {file: PATH}") from None
    assert not isinstance(parsed, str)  # noqa: S101 - strings were refused above
    return parsed


SecretReference = Annotated[EnvSecret | FileSecret, BeforeValidator(parse_secret_reference)]


ScalarValue = str | int | float | bool | None


def check_param_value(value: Any) -> Any:
    """Accept a string, number, boolean, null or a list of those: what a plugin parameter or a
    host variable can carry into an environment variable."""
    scalars = (str, int, float, bool, type(None))
    if isinstance(value, scalars):
        return value
    if isinstance(value, list) and all(isinstance(item, scalars) for item in value):
        return value
    raise ValueError("expected a string, number, boolean or a list of them (quote dates and times)")


ParamValue = Annotated[ScalarValue | list[ScalarValue], BeforeValidator(check_param_value)]
