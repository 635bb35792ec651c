"""The cron notation of calendars, parsed into plain sets of allowed values.

Five fields, as in crontab(5): minute hour day-of-month month day-of-week. Each field is `*`,
a number, a range `a-b`, a step `*/n` or `a-b/n`, or a comma-separated list of those; months
and weekdays also take names (`jan`, `mon`); weekday 0 and 7 are both Sunday. The macros
`@hourly`, `@daily` (`@midnight`), `@weekly`, `@monthly`, `@yearly` (`@annually`) are accepted.
As in Vixie cron, when both day-of-month and day-of-week are restricted a day matching
either one fires.

Parsing is pure and lives with the calendar so that a bad expression fails at validate time;
computing the fire times from a ``CronSpec`` is the planner's job.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

MACRO_TO_EXPRESSION = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
MONTH_NAMES = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
WEEKDAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


@dataclass(frozen=True)
class FieldRule:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    name_base: int = 0


FIELDS = (
    FieldRule("minute", 0, 59),
    FieldRule("hour", 0, 23),
    FieldRule("day of month", 1, 31),
    FieldRule("month", 1, 12, tuple(MONTH_NAMES), 1),
    FieldRule("day of week", 0, 7, tuple(WEEKDAY_NAMES), 0),
)


@dataclass(frozen=True)
class CronSpec:
    """A parsed cron expression. Weekdays use Python's numbering (Monday 0 … Sunday 6)."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    day_of_month_restricted: bool
    weekday_restricted: bool


@lru_cache(maxsize=16384)
def parse_cron(expression: str) -> CronSpec:
    """Parse a five-field cron expression or macro. Raises ValueError naming the bad field.
    Memoised: calendars repeat expressions, and the planner asks again for every window."""
    text = " ".join(expression.split())
    fields = MACRO_TO_EXPRESSION.get(text.lower(), text).split(" ")
    if len(fields) != len(FIELDS):
        raise ValueError(
            f"{expression!r} has {len(fields)} field{'s' if len(fields) != 1 else ''}; "
            "cron needs 5: minute hour day-of-month month day-of-week "
            '(e.g. "30 1 * * *"), or a macro such as @daily'
        )
    values = [_parse_field(field, rule) for field, rule in zip(fields, FIELDS, strict=True)]
    minutes, hours, days, months, cron_weekdays = values
    # cron counts Sunday as 0 (and 7); Python's weekday() counts Monday as 0.
    weekdays = frozenset((day - 1) % 7 for day in cron_weekdays)
    return CronSpec(
        expression=text,
        minutes=minutes,
        hours=hours,
        days_of_month=days,
        months=months,
        weekdays=weekdays,
        day_of_month_restricted=not fields[2].startswith("*"),
        weekday_restricted=not fields[4].startswith("*"),
    )


def _parse_field(field: str, rule: FieldRule) -> frozenset[int]:
    allowed: set[int] = set()
    for part in field.split(","):
        allowed.update(_parse_part(part, rule))
    return frozenset(allowed)


def _parse_part(part: str, rule: FieldRule) -> range:
    span, _, step_text = part.partition("/")
    step = 1
    if step_text:
        step = _parse_number(step_text, rule, what="step")
        if step < 1:
            raise ValueError(f"{rule.name}: the step in {part!r} must be at least 1")
    if span == "*":
        low, high = rule.low, rule.high
    elif "-" in span:
        start_text, _, end_text = span.partition("-")
        low, high = _parse_value(start_text, rule), _parse_value(end_text, rule)
        if low > high:
            raise ValueError(f"{rule.name}: the range {span!r} runs backwards")
    else:
        low = _parse_value(span, rule)
        high = rule.high if step_text else low
    return range(low, high + 1, step)


def _parse_value(text: str, rule: FieldRule) -> int:
    lowered = text.lower()
    if lowered in rule.names:
        return rule.names.index(lowered) + rule.name_base
    value = _parse_number(text, rule, what="value")
    if not rule.low <= value <= rule.high:
        raise ValueError(f"{rule.name}: {value} is outside {rule.low}-{rule.high}")
    return value


def _parse_number(text: str, rule: FieldRule, what: str) -> int:
    if not text.isdigit():
        names = f", or a name ({', '.join(rule.names)})" if rule.names else ""
        raise ValueError(
            f"{rule.name}: {text!r} is not a valid {what}; expected a number "
            f"{rule.low}-{rule.high}{names}, '*', 'a-b' or '*/n'"
        )
    return int(text)
