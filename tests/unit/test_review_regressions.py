"""Inputs found by review to crash, mislead or leak; each now gives a clean, located answer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from maintd.cli import cli
from maintd.config import load_calendar
from maintd.errors import ConfigError
from maintd.plan import Planner

Writer = Callable[..., Path]


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_calendar(path)
    return [str(problem) for problem in caught.value.problems]


@pytest.mark.parametrize(
    ("text", "message", "where"),
    [
        ("blackouts:\n  - {name: b, from: 2027-02-30, to: 2027-03-01}\n", "not a valid date",
         "blackouts[0].from"),
        ("hosts: {h: {}}\ntasks:\n  - {name: t, check: x, hosts: [h], "
         "schedule: {every: !!int foo}}\n", "not a valid whole number", "tasks[0].schedule.every"),
        ("x: !!float foo\n", "not a valid number", "x"),
        ("x: !!timestamp foo\n", "not a valid date or date-time", "x"),
    ],
)  # fmt: skip
def test_invalid_tagged_scalars_are_located_problems(
    write_calendar: Writer, text: str, message: str, where: str
) -> None:
    problems = problems_of(write_calendar(text))
    assert any(message in problem and f": {where}: " in problem for problem in problems), problems


def test_a_secret_written_as_a_tag_is_not_repeated(write_calendar: Writer) -> None:
    problems = problems_of(write_calendar("defaults:\n  ssh: {passphrase: !Sup3rS3cret x}\n"))
    assert problems and not any("Sup3rS3cret" in problem for problem in problems)


def test_aliases_inside_aliases_stop_early(write_calendar: Writer) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 8):
        previous = chr(ord("a") + level - 1)
        name = chr(ord("a") + level)
        lines.append(f"{name}: &{name} [{', '.join(['*' + previous] * 10)}]")
    (problem,) = problems_of(write_calendar("\n".join(lines) + "\n"))
    assert "expands to over" in problem


def test_a_merge_key_mapping_reused_by_alias_has_no_false_duplicates(
    write_calendar: Writer,
) -> None:
    text = """
    base: &base {user: maint, port: 2222}
    hosts:
      a: &h {<<: *base, groups: [g]}
      b: *h
      c: *h
    """
    path = write_calendar(text.replace("\n    ", "\n"))
    problems = problems_of(path)
    assert all("duplicate" not in problem for problem in problems)
    assert any("unknown key 'base'" in problem for problem in problems)


def test_empty_or_mistyped_sections_merge_without_crashing(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("hosts:\ntasks: {x: 1}\n")
    (tmp_path / "b.yaml").write_text(
        "hosts: {h: {}}\ntasks:\n  - {name: t, check: x, hosts: [h], schedule: {every: 5m}}\n"
    )
    problems = problems_of(tmp_path)
    assert any("b.yaml" in problem and "tasks: defined again" in problem for problem in problems)


def test_a_rejected_duplicate_does_not_move_the_first_files_positions(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("timezone: Nope/Zone\n")
    (tmp_path / "b.yaml").write_text("hosts: {}\ntimezone: UTC\n")
    problems = problems_of(tmp_path)
    assert any(
        problem.startswith(f"{tmp_path}/a.yaml:1:11: timezone: unknown") for problem in problems
    )


def test_duplicate_task_names_across_files_name_the_first_file(tmp_path: Path) -> None:
    task = "tasks:\n  - {name: t, check: x, hosts: [h], schedule: {every: 5m}}\n"
    (tmp_path / "a.yaml").write_text("hosts: {h: {}}\n" + task)
    (tmp_path / "b.yaml").write_text(task)
    (problem,) = problems_of(tmp_path)
    assert problem.startswith(f"{tmp_path}/b.yaml:2:")
    assert problem.endswith(f"'t' is used twice; first at {tmp_path}/a.yaml:3")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("blackouts:\n  - {name: b, holidays: ''}\n", "at least 1 character"),
        ("blackouts:\n  - {name: b, from: 2027-01-01, to: 2027-01-02, subdiv: BE}\n",
         "subdiv needs holidays"),
        ("blackouts:\n  - {name: b, from: '2027-01-01T00:00+08:00', to: 2027-01-02}\n",
         "without an offset"),
        ("hosts: {h: {}}\ntasks:\n  - {name: t, check: x, hosts: [h], "
         "schedule: {every: 1h, start: 2027-06-01T00:00:00Z}}\n", "without an offset"),
        ("hosts: {h: {}}\ntasks:\n  - {name: t, check: x, hosts: [h], schedule: {at: []}}\n",
         "at least 1 item"),
        ("windows:\n  w: {cron: '* * * * *', duration: 3650d}\n", "at most 31d"),
    ],
)  # fmt: skip
def test_more_mistakes_are_explained(write_calendar: Writer, text: str, message: str) -> None:
    problems = problems_of(write_calendar(text))
    assert any(message in problem for problem in problems), problems


def test_a_blackout_ending_at_midnight_ends_there(write_calendar: Writer) -> None:
    path = write_calendar(
        "timezone: UTC\nhosts: {h: {}}\n"
        "blackouts:\n  - {name: b, from: 2027-02-05 18:00, to: 2027-02-06 00:00}\n"
        "tasks:\n  - {name: t, check: x, hosts: [h], schedule: {at: ['12:00']}}\n"
    )
    calendar = load_calendar(path).calendar
    fires = Planner(calendar).plan(
        datetime(2027, 2, 5, tzinfo=UTC), datetime(2027, 2, 7, tzinfo=UTC)
    )
    assert [fire.runs for fire in fires] == [True, True]


def test_leading_zeros_are_decimal_and_keys_stay_text(write_calendar: Writer) -> None:
    calendar = load_calendar(
        write_calendar("hosts:\n  1: {port: 0022}\n  true: {}\n  null: {}\n")
    ).calendar
    assert list(calendar.hosts) == ["1", "true", "null"]
    assert calendar.hosts["1"].port == 22


def test_a_window_that_never_opens_does_not_stall_the_next_fire(write_calendar: Writer) -> None:
    path = write_calendar(
        "hosts: {h: {}}\nwindows:\n  leap: {cron: '0 0 29 2 *', duration: 1h}\n"
        "tasks:\n  - {name: t, check: x, hosts: [h], schedule: {every: 10s, window: leap}}\n"
    )
    calendar = load_calendar(path).calendar
    assert Planner(calendar).next_fire(datetime(2027, 3, 1, tzinfo=UTC)) is None


@pytest.mark.parametrize(
    "arguments",
    [["--days", "1e9"], ["--days", "nan"], ["--days", "inf"], ["--from", "9999-12-31T23:00"],
     ["--from", "0001-01-01"]],
)  # fmt: skip
def test_extreme_plan_periods_are_usage_errors(
    write_calendar: Writer, arguments: list[str]
) -> None:
    path = write_calendar("hosts: {}\n")
    result = CliRunner().invoke(cli, ["plan", str(path), *arguments])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
