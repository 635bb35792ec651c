"""When maintenance may run: schedules, windows, blackouts and the working-day calendar."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from maintd.config import cron
from maintd.config.base import CalendarModel
from maintd.config.types import Day, Duration, TimeOfDay, parse_time_of_day


def parse_at(value: str) -> time | datetime:
    """Read one `at` entry: ``HH:MM`` (every day) or ``YYYY-MM-DD HH:MM`` (once), local time."""
    text = value.strip()
    if len(text) <= 5:
        return parse_time_of_day(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is not None:
        raise ValueError(
            f'{value!r}: expected "HH:MM" (daily) or "YYYY-MM-DD HH:MM" (once), in local time'
        )
    check_year(moment)
    return moment


FIRST_YEAR, LAST_YEAR = 1970, 2199
MAX_WINDOW = timedelta(days=31)


def check_year(value: date | datetime) -> date | datetime:
    """Keep calendar dates where date arithmetic (a day later, a zone offset) cannot overflow."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"dates must fall in the years {FIRST_YEAR}-{LAST_YEAR}")
    return value


def check_local(value: datetime) -> datetime:
    """A calendar date-time is local to the calendar's timezone: an offset would be ambiguous
    next to the other local times, so it is refused rather than silently dropped."""
    if value.tzinfo is not None:
        raise ValueError("write a local date-time without an offset (the calendar's timezone)")
    check_year(value)
    return value


def parse_day_or_moment(value: Any) -> Any:
    """Read a blackout bound: ``2027-02-05`` is a whole day, ``2027-02-05 18:00`` a moment.
    Decided by the text's shape: pydantic would otherwise take "2027-02-06 00:00" as a date."""
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) <= 10:
                return date.fromisoformat(text)
            return datetime.fromisoformat(text.replace(" ", "T", 1))
        except ValueError:
            raise ValueError(
                'expected a date (2027-02-05) or a local date-time ("2027-02-05 18:00")'
            ) from None
    return value


DayOrMoment = Annotated[date | datetime, BeforeValidator(parse_day_or_moment)]


def check_cron(value: str) -> str:
    """Reject a cron expression that does not parse, with the parser's explanation."""
    cron.parse_cron(value)
    return value


class Schedule(CalendarModel):
    """When a task fires: exactly one of `cron`, `every` or `at`.

    `cron` and `at` follow the wall clock of the calendar's timezone; `every` is elapsed time
    (a 1h interval stays 1h apart across a DST change). Daylight-saving policy: a wall-clock
    fire that falls in a skipped hour runs once, at the first valid time after it (the end of
    the gap); a fire in a repeated hour runs once, at its first occurrence.
    """

    cron: str | None = Field(
        None,
        description="Five-field cron expression in local time, or a macro such as @daily.",
        examples=["30 1 * * *"],
    )
    every: Duration | None = Field(
        None, description="Fixed interval in elapsed time, counted from `start`.", examples=["5m"]
    )
    start: datetime | None = Field(
        None,
        description="With `every`: the local time the intervals are counted from "
        "(default: midnight, 2000-01-01, so a 5m interval fires at :00, :05, …).",
    )
    at: list[str] | None = Field(
        None,
        min_length=1,
        description='Local times of day ("02:30", daily) and/or one-off local date-times '
        '("2027-03-01 02:00").',
        examples=[["02:30", "14:30"]],
    )
    window: str | None = Field(
        None,
        description="Name of a maintenance window: fires outside it are skipped.",
        examples=["nightly"],
    )
    jitter: Duration = Field(
        timedelta(0),
        description="Spread fires over this span: each (task, host) gets a fixed offset in "
        "[0, jitter), the same every time, so `maintd plan` shows the real minute.",
        examples=["10m"],
    )

    @field_validator("cron")
    @classmethod
    def _cron_parses(cls, value: str | None) -> str | None:
        return None if value is None else check_cron(value)

    @field_validator("at")
    @classmethod
    def _valid_times(cls, values: list[str] | None) -> list[str] | None:
        for value in values or []:
            parse_at(value)
        return values

    @field_validator("start")
    @classmethod
    def _start_in_range(cls, value: datetime | None) -> datetime | None:
        return None if value is None else check_local(value)

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> Schedule:
        kinds = [name for name in ("cron", "every", "at") if getattr(self, name) is not None]
        if len(kinds) != 1:
            found = " and ".join(kinds) if kinds else "none"
            raise ValueError(f"a schedule needs exactly one of cron, every or at (found {found})")
        if self.every is not None and self.every < timedelta(seconds=1):
            raise ValueError("every: the interval must be at least 1s")
        if self.start is not None and self.every is None:
            raise ValueError("start only applies to `every` schedules")
        return self


class Window(CalendarModel):
    """A recurring maintenance window: `cron` + `duration`, or `days` + `start` + `end`.

    With `days`, a window whose `end` is not after its `start` runs past midnight into the next
    day (`start: "22:00", end: "02:00"`).
    """

    cron: str | None = Field(None, description="When the window opens.", examples=["0 1 * * *"])
    duration: Duration | None = Field(None, description="How long it stays open.", examples=["4h"])
    days: list[Day] | None = Field(
        None,
        description="Days it opens on: weekdays (mon … sun), `workdays` or `non-workdays` "
        "(from the `workdays` calendar, holidays and make-up working days included).",
        examples=[["sat", "sun"]],
    )
    start: TimeOfDay | None = Field(None, description='Local opening time, "HH:MM".')
    end: TimeOfDay | None = Field(None, description='Local closing time, "HH:MM".')
    pause: list[str] = Field(
        default_factory=list,
        description="Hosts, groups or `all` under maintenance while the window is open: their "
        "incidents' notifications, escalations and SLA clocks wait until it closes.",
        examples=[["databases"]],
    )

    @field_validator("cron")
    @classmethod
    def _cron_parses(cls, value: str | None) -> str | None:
        return None if value is None else check_cron(value)

    @model_validator(mode="after")
    def _one_form(self) -> Window:
        cron_form = self.cron is not None or self.duration is not None
        days_form = self.days is not None or self.start is not None or self.end is not None
        if cron_form and days_form:
            raise ValueError("a window is either cron + duration or days + start + end, not both")
        if cron_form and (self.cron is None or self.duration is None):
            raise ValueError("a cron window needs both cron and duration")
        if days_form and (not self.days or self.start is None or self.end is None):
            raise ValueError("a days window needs days, start and end")
        if not cron_form and not days_form:
            raise ValueError("a window needs cron + duration or days + start + end")
        if self.duration is not None and not timedelta(0) < self.duration <= MAX_WINDOW:
            raise ValueError("a window lasts more than 0s and at most 31d")
        return self


class Blackout(CalendarModel):
    """A period when nothing runs: a date range, or the public holidays of a country."""

    name: str = Field(description="Shown as the reason of every fire it blocks.")
    start: DayOrMoment | None = Field(
        None,
        alias="from",
        description="First day (or local date-time) blocked.",
        examples=["2027-02-05"],
    )
    end: DayOrMoment | None = Field(
        None,
        alias="to",
        description="Last day blocked (inclusive), or local date-time it ends.",
        examples=["2027-02-13"],
    )
    holidays: str | None = Field(
        None,
        min_length=1,
        description="ISO country code whose public holidays are blocked (the `holidays` package).",
        examples=["CN"],
    )
    subdiv: str | None = Field(None, description="With `holidays`: a state or province code.")
    applies_to: Literal["all", "disruptive"] = Field(
        "all",
        description="`all` tasks, or only `disruptive` ones (health checks keep running).",
    )
    tasks: list[str] | None = Field(
        None, description="Only these tasks (by name); all tasks when unset."
    )
    reason: str | None = Field(None, description="Free text for people reading the plan.")

    @field_validator("start", "end")
    @classmethod
    def _dates_in_range(cls, value: date | datetime | None) -> date | datetime | None:
        if isinstance(value, datetime):
            return check_local(value)
        return None if value is None else check_year(value)

    @model_validator(mode="after")
    def _one_form(self) -> Blackout:
        has_range = self.start is not None or self.end is not None
        if has_range and self.holidays is not None:
            raise ValueError("a blackout is either from/to or holidays, not both")
        if self.holidays is None:
            if self.start is None or self.end is None:
                raise ValueError("a blackout needs from and to (or holidays: COUNTRY)")
            if _as_datetime(self.end, end=True) < _as_datetime(self.start, end=False):
                raise ValueError("to is before from")
        if self.subdiv is not None and self.holidays is None:
            raise ValueError("subdiv needs holidays")
        return self


def _as_datetime(value: date | datetime, end: bool) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return datetime.combine(value, datetime.max.time() if end else datetime.min.time())


class Workdays(CalendarModel):
    """The site's working days, for `workdays` / `non-workdays` in windows."""

    days: list[Day] = Field(
        default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"],
        description="Regular working weekdays.",
    )
    holidays: str | None = Field(
        None,
        min_length=1,
        description="Country whose public holidays are days off and whose make-up working days "
        "(e.g. CN's adjusted weekends) are working days.",
        examples=["CN"],
    )
    subdiv: str | None = Field(None, description="State or province code for `holidays`.")
    start: TimeOfDay | None = Field(
        None, description='Start of business hours on a working day, "HH:MM" (SLA clocks).'
    )
    end: TimeOfDay | None = Field(None, description='End of business hours, "HH:MM".')

    @model_validator(mode="after")
    def _hours_in_order(self) -> Workdays:
        if (self.start is None) != (self.end is None):
            raise ValueError("business hours need both start and end")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError("business hours end after they start, on the same day")
        return self

    @field_validator("days")
    @classmethod
    def _weekdays_only(cls, values: list[str]) -> list[str]:
        if any(value in {"workdays", "non-workdays"} for value in values):
            raise ValueError("workdays.days lists weekdays (mon … sun) only")
        return values


class CatchUp(CalendarModel):
    """What to do with fires that were due while maintd was down."""

    policy: Literal["none", "once", "all"] = Field(
        "once",
        description="`none`: record them MISSED; `once`: run one catch-up and record the rest "
        "MISSED; `all`: run each one.",
    )
    max_age: Duration = Field(
        timedelta(days=1),
        description="Fires older than this are never run late, only recorded MISSED.",
    )


class Retries(CalendarModel):
    """Retries of a fire whose host could not be reached."""

    attempts: int = Field(1, ge=0, le=20, description="Retries after the first try.")
    backoff: Duration = Field(
        timedelta(seconds=30),
        description="Wait before the first retry; doubles for each further one.",
    )
