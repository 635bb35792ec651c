"""The working-day calendar: weekdays, public holidays and make-up working days.

Built from the calendar's `workdays` section with the `holidays` package, which knows a
country's public holidays and, for countries such as China, the weekend days that are worked
in exchange for a longer holiday (``weekend_workdays``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from maintd.config.timing import Workdays
from maintd.config.types import WEEKDAY_TO_NUMBER


def country_holidays(country: str, subdiv: str | None) -> Any:
    """Return the `holidays` package's lazily filled holiday table for a country."""
    import holidays  # noqa: PLC0415 - a large import, only for calendars that use holidays

    return holidays.country_holidays(country, subdiv=subdiv)


class DayCalendar:
    """Answers "is this local date a working day?" for windows and business-hour clocks."""

    def __init__(self, workdays: Workdays) -> None:
        self.weekdays = frozenset(WEEKDAY_TO_NUMBER[day] for day in workdays.days)
        self.holidays = (
            country_holidays(workdays.holidays, workdays.subdiv) if workdays.holidays else None
        )

    def is_workday(self, day: date) -> bool:
        """A make-up working day is worked; otherwise a working weekday that is no holiday."""
        if self.holidays is None:
            return day.weekday() in self.weekdays
        self.holidays.get(day)  # fills the table for the day's year, make-up days included
        if day in getattr(self.holidays, "weekend_workdays", ()):
            return True
        return day.weekday() in self.weekdays and day not in self.holidays

    def matches(self, day: date, tokens: frozenset[str]) -> bool:
        """Whether ``day`` is one of ``tokens``: weekday names, `workdays` or `non-workdays`."""
        if "workdays" in tokens and self.is_workday(day):
            return True
        if "non-workdays" in tokens and not self.is_workday(day):
            return True
        weekday_name = _NUMBER_TO_WEEKDAY[day.weekday()]
        return weekday_name in tokens


_NUMBER_TO_WEEKDAY = {number: name for name, number in WEEKDAY_TO_NUMBER.items()}
