from datetime import date

import pytest

from maintd.config.cron import parse_cron
from maintd.plan.recurrence import cron_day_matches


def test_fields_take_lists_ranges_steps_and_names() -> None:
    spec = parse_cron("*/15 1-3,22 * jan-mar mon-fri")
    assert spec.minutes == {0, 15, 30, 45}
    assert spec.hours == {1, 2, 3, 22}
    assert spec.months == {1, 2, 3}
    assert spec.weekdays == {0, 1, 2, 3, 4}  # Python numbering: Monday is 0


def test_sunday_is_both_0_and_7() -> None:
    assert parse_cron("0 0 * * 0").weekdays == parse_cron("0 0 * * 7").weekdays == {6}


def test_a_step_from_a_single_value_runs_to_the_end_of_the_field() -> None:
    assert parse_cron("5/20 * * * *").minutes == {5, 25, 45}


@pytest.mark.parametrize(
    ("macro", "expression"),
    [
        ("@daily", "0 0 * * *"),
        ("@hourly", "0 * * * *"),
        ("@weekly", "0 0 * * 0"),
        ("@yearly", "0 0 1 1 *"),
    ],
)
def test_macros_mean_their_five_field_expression(macro: str, expression: str) -> None:
    macro_spec, plain_spec = parse_cron(macro), parse_cron(expression)
    assert (macro_spec.minutes, macro_spec.hours, macro_spec.weekdays) == (
        plain_spec.minutes,
        plain_spec.hours,
        plain_spec.weekdays,
    )


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("* * * *", "has 4 fields"),
        ("30 1 * * * *", "has 6 fields"),
        ("61 * * * *", "minute: 61 is outside 0-59"),
        ("* 24 * * *", "hour: 24 is outside 0-23"),
        ("* * 0 * *", "day of month: 0 is outside 1-31"),
        ("* * * 13 *", "month: 13 is outside 1-12"),
        ("* * * * 8", "day of week: 8 is outside 0-7"),
        ("5-1 * * * *", "runs backwards"),
        ("*/0 * * * *", "step"),
        ("x * * * *", "minute: 'x' is not a valid value"),
        ("* * * foo *", "or a name"),
        ("@fortnightly", "has 1 field"),
    ],
)
def test_bad_expressions_name_the_field_and_what_is_allowed(expression: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_cron(expression)


def test_restricted_day_of_month_and_weekday_match_either_as_in_vixie_cron() -> None:
    spec = parse_cron("0 0 13 * fri")
    assert cron_day_matches(spec, date(2026, 11, 13))  # the 13th, a Friday
    assert cron_day_matches(spec, date(2026, 11, 20))  # a Friday
    assert cron_day_matches(spec, date(2026, 12, 13))  # the 13th, a Sunday
    assert not cron_day_matches(spec, date(2026, 11, 19))


def test_only_one_restricted_day_field_must_match_alone() -> None:
    spec = parse_cron("0 0 */2 * *")
    assert cron_day_matches(spec, date(2026, 11, 3))
    assert not cron_day_matches(spec, date(2026, 11, 4))
