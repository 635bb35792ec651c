"""The daemon reads its calendar in a child process: same answers as reading it in-process."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from maintd.errors import ConfigError
from maintd.plugins import load_checked
from maintd.plugins.isolated import load_checked_isolated
from tests.conftest import REPOSITORY

BROKEN = """timezone: UTC
hosts: {self: {transport: local}}
tasks:
  - {name: disk, check: disk_usage, hosts: [self], schedule: {cron: "61 * * * *"}}
  - {name: load, check: no_such_plugin, hosts: [self], schedule: {every: 5m}}
"""


def test_a_calendar_read_in_a_child_equals_the_one_read_here() -> None:
    calendar, catalog = load_checked_isolated(REPOSITORY / "schedules")
    loaded, here = load_checked(REPOSITORY / "schedules")
    assert calendar == loaded.calendar
    assert catalog == here


def test_every_problem_comes_back_with_its_place(write_calendar: Callable[..., Path]) -> None:
    path = write_calendar(BROKEN)
    with pytest.raises(ConfigError) as isolated:
        load_checked_isolated(path)
    with pytest.raises(ConfigError) as here:
        load_checked(path)
    assert isolated.value.problems == here.value.problems
    assert any(p.line == 4 and "cron" in p.where for p in isolated.value.problems)


def test_a_reader_that_does_not_answer_in_time_is_a_problem_not_a_hang() -> None:
    with pytest.raises(ConfigError) as error:
        load_checked_isolated(REPOSITORY / "schedules", timeout=0.01)
    assert "took longer than" in str(error.value.problems[0])


def test_a_reader_that_fails_is_a_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", "/bin/false")  # a child that dies without answering
    with pytest.raises(ConfigError) as error:
        load_checked_isolated(REPOSITORY / "schedules")
    assert "the calendar reader failed: exit status 1" in str(error.value.problems[0])
