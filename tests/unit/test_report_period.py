"""The period a report covers: named lengths on the local wall clock (daylight-saving changes
included), explicit dates taken as whole local days, and the period after it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from maintd.errors import UsageError
from maintd.plan.counting import TaskFires
from maintd.plan.planner import Stretch
from maintd.report.content import count_by_day
from maintd.report.period import Length, Period, next_period, resolve_period
from maintd.store.report_queries import RunTally

BERLIN = ZoneInfo("Europe/Berlin")
SHANGHAI = ZoneInfo("Asia/Shanghai")
HOUR = timedelta(hours=1)


def local(*fields: int, zone: ZoneInfo = BERLIN) -> datetime:
    return datetime(*fields, tzinfo=zone).astimezone(UTC)  # type: ignore[misc]


def test_a_week_ends_now_and_starts_at_the_same_local_time_seven_days_before() -> None:
    now = local(2026, 6, 10, 9, 30)
    period = resolve_period(Length.WEEK, now, BERLIN)
    assert period.end == now
    assert period.start == local(2026, 6, 3, 9, 30)
    assert period.length is Length.WEEK


def test_a_week_across_the_spring_change_is_seven_local_days_of_167_hours() -> None:
    now = local(2026, 4, 1, 12)  # clocks went forward on 29 March
    period = resolve_period(Length.WEEK, now, BERLIN)
    assert period.start == local(2026, 3, 25, 12)
    assert period.end - period.start == 7 * 24 * HOUR - HOUR


def test_a_day_across_the_autumn_change_is_25_hours() -> None:
    now = local(2026, 10, 25, 12)  # clocks went back that night
    period = resolve_period(Length.DAY, now, BERLIN)
    assert period.end - period.start == 25 * HOUR


def test_a_month_back_from_the_31st_stops_at_the_shorter_months_last_day() -> None:
    period = resolve_period(Length.MONTH, local(2026, 3, 31, 8), BERLIN)
    assert period.start == local(2026, 2, 28, 8)
    leap = resolve_period(Length.MONTH, local(2028, 3, 31, 8), BERLIN)
    assert leap.start == local(2028, 2, 29, 8)
    january = resolve_period(Length.MONTH, local(2026, 1, 15, 8), BERLIN)
    assert january.start == local(2025, 12, 15, 8)


def test_dates_are_whole_local_days_and_the_last_one_is_included() -> None:
    now = local(2026, 6, 30)
    period = resolve_period(Length.WEEK, now, SHANGHAI, date(2026, 6, 1), date(2026, 6, 7))
    assert period.start == local(2026, 6, 1, zone=SHANGHAI)
    assert period.end == local(2026, 6, 8, zone=SHANGHAI)
    assert period.length is Length.CUSTOM
    assert period.local_days() == [date(2026, 6, day) for day in range(1, 8)]


def test_a_day_on_which_clocks_change_is_taken_whole() -> None:
    period = resolve_period(Length.DAY, local(2026, 4, 1), BERLIN, date(2026, 3, 29),
                            date(2026, 3, 29))  # fmt: skip
    assert period.end - period.start == 23 * HOUR
    assert period.local_days() == [date(2026, 3, 29)]


def test_naive_date_times_are_local_and_aware_ones_are_kept() -> None:
    now = local(2026, 6, 30)
    period = resolve_period(Length.WEEK, now, BERLIN, datetime(2026, 6, 1, 8, 30),  # noqa: DTZ001
                            datetime(2026, 6, 1, 10, tzinfo=UTC))  # fmt: skip
    assert period.start == local(2026, 6, 1, 8, 30)
    assert period.end == datetime(2026, 6, 1, 10, tzinfo=UTC)


def test_only_an_end_goes_back_one_length_and_only_a_start_runs_to_now() -> None:
    now = local(2026, 6, 30, 12)
    until = resolve_period(Length.DAY, now, BERLIN, end=date(2026, 6, 10))
    assert (until.start, until.end) == (local(2026, 6, 10), local(2026, 6, 11))
    since = resolve_period(Length.DAY, now, BERLIN, start=date(2026, 6, 29))
    assert (since.start, since.end) == (local(2026, 6, 29), now)


def test_a_start_not_before_the_end_is_refused() -> None:
    with pytest.raises(UsageError, match="--from must be before --to"):
        resolve_period(Length.WEEK, local(2026, 6, 30), BERLIN, date(2026, 6, 8), date(2026, 6, 7))


def test_a_period_touches_every_local_day_it_overlaps_and_no_more() -> None:
    partial = Period(Length.WEEK, local(2026, 6, 3, 9), local(2026, 6, 10, 9), BERLIN)
    assert len(partial.local_days()) == 8
    to_midnight = Period(Length.DAY, local(2026, 6, 3), local(2026, 6, 4), BERLIN)
    assert to_midnight.local_days() == [date(2026, 6, 3)]
    assert to_midnight.day_of(local(2026, 6, 3, 23, 59)) == date(2026, 6, 3)


def test_the_next_period_is_as_long_on_the_wall_clock() -> None:
    week = resolve_period(Length.WEEK, local(2026, 3, 25, 12), BERLIN)
    after = next_period(week)
    assert after.start == week.end and after.end == local(2026, 4, 1, 12)
    days = resolve_period(Length.WEEK, local(2026, 4, 1), BERLIN, date(2026, 3, 23),
                          date(2026, 3, 29))  # fmt: skip
    following = next_period(days)
    assert (following.start, following.end) == (local(2026, 3, 30), local(2026, 4, 6))
    assert following.local_days()[0] == date(2026, 3, 30) and len(following.local_days()) == 7


def test_a_period_is_cut_at_each_local_midnight_clock_change_and_at_now() -> None:
    start = local(2026, 3, 28, 9, 30)
    period = Period(Length.CUSTOM, start, local(2026, 3, 30, 9, 30), BERLIN)
    now, change = local(2026, 3, 29, 12), local(2026, 3, 29, 3)  # clocks go forward at 02:00
    assert period.cuts(now) == [local(2026, 3, 29), change, now, local(2026, 3, 30)]
    assert period.cuts(period.end + HOUR) == [local(2026, 3, 29), change, local(2026, 3, 30)]


def test_counted_runs_get_the_local_day_of_their_piece() -> None:
    start = datetime(2026, 3, 2, 1, tzinfo=UTC)
    period = Period(Length.CUSTOM, start, start + 2 * 24 * HOUR, SHANGHAI)
    cuts = period.cuts(period.end)  # 2026-03-02 16:00 UTC is already the 3rd in Shanghai
    task = TaskFires("disk", (Stretch(start, cuts[0], None), Stretch(cuts[0], period.end, None)),
                     {"db1": (1, 1)}, start, start)  # fmt: skip
    tallies = [RunTally("disk", "db1", "OK", None, "schedule", 1, 2),
               RunTally("ghost", "db1", "OK", None, "schedule", 0, 1)]  # fmt: skip
    assert count_by_day(tallies, [task], cuts, period) == {
        ("disk", date(2026, 3, 3), "OK"): 2, ("ghost", date(2026, 3, 2), "OK"): 1,
    }  # fmt: skip
