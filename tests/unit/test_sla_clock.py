"""SLA clocks: pausing windows and business hours move deadlines; nothing else does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from maintd.config.model import Calendar
from maintd.plan import Planner
from maintd.respond.clock import SlaCalendar

BASE = {
    "timezone": "Europe/Berlin",
    "hosts": {"db1": {"groups": ["databases"]}, "web1": {}},
    "windows": {
        "nightly": {"cron": "0 1 * * *", "duration": "2h", "pause": ["databases"]},
        "sunday": {"days": ["sun"], "start": "10:00", "end": "12:00"},  # pauses nobody
    },
    "workdays": {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"},
}


def sla(**changes: object) -> SlaCalendar:
    calendar = Calendar.model_validate({**BASE, **changes})
    return SlaCalendar(calendar, Planner(calendar))


def at(text: str) -> datetime:
    """A Berlin wall-clock time in November 2026 (UTC+1) as a UTC instant."""
    return datetime.fromisoformat(text + "+01:00").astimezone(UTC)


def test_without_pauses_a_deadline_is_the_opening_plus_the_commitment() -> None:
    clock = sla().clock("web1", business_hours=False)
    assert clock.deadline(at("2026-11-25T00:30"), timedelta(hours=4)) == at("2026-11-25T04:30")
    assert clock.paused_by(at("2026-11-25T01:30")) is None


def test_a_pausing_window_of_the_hosts_group_stops_the_clock_while_open() -> None:
    clock = sla().clock("db1", business_hours=False)
    opened = at("2026-11-25T00:30")
    # 30 minutes run before the window (01:00-03:00), the rest after it.
    assert clock.deadline(opened, timedelta(hours=1)) == at("2026-11-25T03:30")
    assert clock.elapsed(opened, at("2026-11-25T03:30")) == timedelta(hours=1)
    assert clock.paused_by(at("2026-11-25T02:00")) == "nightly"
    assert clock.paused_by(at("2026-11-25T03:00")) is None  # closes at 03:00 sharp


def test_an_incident_opened_inside_a_window_starts_counting_when_it_closes() -> None:
    clock = sla().clock("db1", business_hours=False)
    assert clock.deadline(at("2026-11-25T01:10"), timedelta(0)) == at("2026-11-25T03:00")


def test_a_window_without_pause_and_other_hosts_do_not_pause() -> None:
    assert sla().clock("web1", business_hours=False).paused_by(at("2026-11-25T02:00")) is None
    sunday = at("2026-11-29T11:00")
    assert sla().clock("db1", business_hours=False).paused_by(sunday) is None


def test_pause_all_pauses_incidents_without_a_host_too() -> None:
    windows = {"freeze": {"cron": "0 1 * * *", "duration": "2h", "pause": ["all"]}}
    clock = sla(windows=windows).clock(None, business_hours=False)
    assert clock.paused_by(at("2026-11-25T02:00")) == "freeze"


def test_business_hours_count_working_hours_of_working_days_only() -> None:
    clock = sla().clock("web1", business_hours=True)
    # Friday 16:00 + 4 working hours: 1 h on Friday, 3 h from Monday 09:00.
    assert clock.deadline(at("2026-11-27T16:00"), timedelta(hours=4)) == at("2026-11-30T12:00")
    # Opened on Saturday night: the clock starts on Monday morning.
    assert clock.deadline(at("2026-11-28T23:00"), timedelta(minutes=15)) == at("2026-11-30T09:15")


def test_business_hours_skip_public_holidays() -> None:
    workdays = {**BASE["workdays"], "holidays": "DE"}  # type: ignore[dict-item]
    clock = sla(workdays=workdays).clock("web1", business_hours=True)
    # 2026-12-24 is a Thursday; the 25th and 26th are German holidays, 27th a Sunday.
    opened = at("2026-12-24T16:00")
    assert clock.deadline(opened, timedelta(hours=2)) == at("2026-12-28T10:00")


def test_business_hours_without_hours_count_whole_working_days() -> None:
    workdays = {"days": ["mon", "tue", "wed", "thu", "fri"]}
    clock = sla(workdays=workdays).clock("web1", business_hours=True)
    assert clock.deadline(at("2026-11-27T23:00"), timedelta(hours=2)) == at("2026-11-30T01:00")


def test_a_clock_that_never_runs_has_no_deadline() -> None:
    windows = {"always": {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                          "start": "00:00", "end": "00:00", "pause": ["all"]}}  # fmt: skip
    clock = sla(windows=windows).clock("web1", business_hours=False)
    assert clock.deadline(at("2026-11-25T10:00"), timedelta(minutes=1)) is None


@pytest.mark.parametrize("hours", [1, 5, 30, 200])
def test_elapsed_and_deadline_agree(hours: int) -> None:
    clock = sla().clock("db1", business_hours=True)
    opened = at("2026-11-25T08:00")
    due = clock.deadline(opened, timedelta(hours=hours))
    assert due is not None
    assert clock.elapsed(opened, due) == timedelta(hours=hours)


def test_business_hours_must_be_complete_and_ordered() -> None:
    with pytest.raises(ValueError, match="both start and end"):
        Calendar.model_validate({"workdays": {"start": "09:00"}})
    with pytest.raises(ValueError, match="end after they start"):
        Calendar.model_validate({"workdays": {"start": "18:00", "end": "09:00"}})
