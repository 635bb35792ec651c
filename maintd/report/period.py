"""The period a report covers, and the one after it, in the calendar's local time.

``resolve_period`` takes a named length (day, week, month) ending at a given instant, or
explicit bounds, and returns a ``Period``: two UTC instants and the zone the report speaks
in. Lengths are wall-clock lengths: a week that crosses a daylight-saving change is 7 local
days of 167 or 169 hours, and "a month" ends at the same local time of day one calendar month
later (the 31st clamped to a shorter month's last day). Pure: the caller passes now.
"""

from __future__ import annotations

import calendar as month_calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum

from maintd.errors import UsageError
from maintd.plan.localtime import date_changes, local_date_start, to_instant

ONE_DAY = timedelta(days=1)


class Length(StrEnum):
    """The named lengths of ``--period``; CUSTOM when ``--from``/``--to`` gave the bounds."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    CUSTOM = "custom"


@dataclass(frozen=True)
class Period:
    """[start, end) as aware UTC instants, shown in ``zone``."""

    length: Length
    start: datetime
    end: datetime
    zone: tzinfo

    def local_days(self) -> list[date]:
        """Every local date the period touches, oldest first (its first and last may be
        partial: a week ending now at 09:00 touches eight dates)."""
        first = self.start.astimezone(self.zone).date()
        last = (self.end - timedelta(microseconds=1)).astimezone(self.zone).date()
        return [first + index * ONE_DAY for index in range((last - first).days + 1)]

    def day_of(self, moment: datetime) -> date:
        """The local date of ``moment``."""
        return moment.astimezone(self.zone).date()

    def cuts(self, now: datetime) -> list[datetime]:
        """The instants inside the period at which what is counted of it must be cut, oldest
        first: wherever the local date may change (each piece then lies within one of
        ``local_days``), and ``now`` (fires due before it, not yet due after)."""
        changes = date_changes(self.start, self.end, self.zone)
        return sorted({*changes, now} if self.start < now < self.end else changes)


def resolve_period(
    length: Length,
    now: datetime,
    zone: tzinfo,
    start: date | datetime | None = None,
    end: date | datetime | None = None,
) -> Period:
    """The period to report on.

    Without bounds: ``length`` ending at ``now``. With them (``length`` is then ignored): a
    date as ``start`` is that local day's midnight, a date as ``end`` takes in that whole day
    (``--from 2026-03-01 --to 2026-03-07`` is the seven days); a datetime is an instant (naive
    ones are local). A missing ``start`` goes back ``length`` from ``end``; a missing ``end``
    is ``now``. Raises UsageError when the period would be empty.
    """
    if start is None and end is None:
        return Period(length, shift_local(now, length, zone, -1), now, zone)
    until = now if end is None else _as_instant(end, zone, day_end=True)
    since = (
        shift_local(until, length, zone, -1)
        if start is None
        else _as_instant(start, zone, day_end=False)
    )
    if since >= until:
        raise UsageError("--from must be before --to")
    return Period(Length.CUSTOM if start is not None else length, since, until, zone)


def next_period(period: Period) -> Period:
    """The period after ``period``: as long in local time, starting where it ends."""
    if period.length is not Length.CUSTOM:
        end = shift_local(period.end, period.length, period.zone, 1)
        return Period(period.length, period.end, end, period.zone)
    span = _local(period.end, period.zone) - _local(period.start, period.zone)
    end = to_instant(_local(period.end, period.zone) + span, period.zone)
    # Around a clock change a wall-clock span can come out shorter than nothing.
    end = max(end, period.end + (period.end - period.start))
    return Period(Length.CUSTOM, period.end, end, period.zone)


def shift_local(moment: datetime, length: Length, zone: tzinfo, direction: int) -> datetime:
    """``moment`` moved by one ``length`` (``direction`` 1 forward, -1 back) on the local wall
    clock; a time that does not exist there resolves as the planner resolves it."""
    local = _local(moment, zone)
    if length is Length.MONTH:
        shifted = _add_months(local, direction)
    else:
        shifted = local + direction * (7 * ONE_DAY if length is Length.WEEK else ONE_DAY)
    return to_instant(shifted, zone)


def _add_months(local: datetime, months: int) -> datetime:
    index = local.year * 12 + local.month - 1 + months
    year, month = divmod(index, 12)
    last_day = month_calendar.monthrange(year, month + 1)[1]
    return local.replace(year=year, month=month + 1, day=min(local.day, last_day))


def _as_instant(bound: date | datetime, zone: tzinfo, *, day_end: bool) -> datetime:
    if isinstance(bound, datetime):
        return bound if bound.tzinfo is not None else to_instant(bound, zone)
    return local_date_start(bound + ONE_DAY if day_end else bound, zone)


def _local(moment: datetime, zone: tzinfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)
