from datetime import time, timedelta

import pytest

from maintd.config.types import format_duration, parse_day, parse_duration, parse_time_of_day


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("5m", 300),
        ("4h", 14400),
        ("14d", 14 * 86400),
        ("2w", 14 * 86400),
        ("1h30m", 5400),
        ("1h 30m", 5400),
        ("0s", 0),
        (300, 300),
        (" 5M ", 300),
    ],
)
def test_durations_are_read_in_every_documented_form(text: object, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["5", "5x", "m5", "", "-5m", 1.5, True, None, "5m foo"])
def test_anything_else_is_not_a_duration(text: object) -> None:
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(text)


def test_a_negative_number_of_seconds_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        parse_duration(-1)


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0s"), (90, "1m30s"), (5400, "1h30m"), (86400 * 15, "2w1d")]
)
def test_durations_are_written_back_in_calendar_notation(seconds: int, text: str) -> None:
    assert format_duration(timedelta(seconds=seconds)) == text
    assert parse_duration(text) == timedelta(seconds=seconds)


def test_times_of_day_are_24_hour_hh_mm() -> None:
    assert parse_time_of_day("22:30") == time(22, 30)
    assert parse_time_of_day("7:05") == time(7, 5)
    for bad in ("24:00", "12:60", "noon", 5400, "12:30:00"):
        with pytest.raises(ValueError, match="HH:MM"):
            parse_time_of_day(bad)


def test_days_accept_short_and_full_names_and_the_workday_sets() -> None:
    assert parse_day("Monday") == "mon"
    assert parse_day("SUN") == "sun"
    assert parse_day("non-workdays") == "non-workdays"
    for bad in ("mo", "mondays", "weekend", 1):
        with pytest.raises(ValueError, match="weekday"):
            parse_day(bad)


def test_durations_longer_than_ten_years_are_refused() -> None:
    assert parse_duration("3650d") == timedelta(days=3650)
    for too_long in ("3651d", 86_400_000_000_000, "999999999w"):
        with pytest.raises(ValueError, match="longer than 3650d"):
            parse_duration(too_long)
