"""The calendar keys of predictive maintenance (`predict:`, `anomaly:`, `prevent:`): each
mistake located at file:line and key, with what is allowed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from maintd.errors import ConfigError
from maintd.plugins import load_checked

Writer = Callable[..., Path]

BASE = """
hosts:
  db1: {address: 10.0.0.5}
severities:
  minor: {respond: 1d, resolve: 7d}
tasks:
  - name: disk
    check: disk_usage
    hosts: [db1]
    schedule: {every: 5m}
    WATCH
"""


def problems_of(write_calendar: Writer, watch: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_checked(write_calendar(BASE.replace("WATCH", watch)))
    return [str(problem) for problem in caught.value.problems]


def test_a_full_prediction_setup_loads(write_calendar: Writer) -> None:
    watch = """predict:
      metric: used_pct
      reaches: 95
      within: 14d
      window: 10d
      min_history: 2d
      coverage: 0.9
      severity: minor
      every: 30m
      prevent: {check: disk_usage, params: {path: /var}, before: 3d, attempts: 2}
    anomaly: {metric: inodes_used_pct, direction: up, at_least: 2, of_last: 4, history: 14d}"""
    loaded, _ = load_checked(write_calendar(BASE.replace("WATCH", watch)))
    task = loaded.calendar.tasks[0]
    assert task.predict is not None and task.anomaly is not None
    assert task.predict.prevent is not None and task.predict.prevent.before == timedelta(days=3)
    assert task.predict.every == timedelta(minutes=30) and task.predict.coverage == 0.9
    assert (task.anomaly.at_least, task.anomaly.of_last) == (2, 4)


def test_defaults_are_a_week_fitted_a_day_needed_and_a_forecast_each_quarter_hour(
    write_calendar: Writer,
) -> None:
    watch = "predict: {metric: used_pct, reaches: 95, within: 14d}"
    loaded, _ = load_checked(write_calendar(BASE.replace("WATCH", watch)))
    predict = loaded.calendar.tasks[0].predict
    assert predict is not None
    assert (predict.window, predict.min_history, predict.every) == (
        timedelta(days=7),
        timedelta(days=1),
        timedelta(minutes=15),
    )
    assert predict.severity is None and predict.prevent is None and predict.coverage == 0.8


@pytest.mark.parametrize(
    ("watch", "where", "message"),
    [
        ("predict: {metric: used_pc, reaches: 95, within: 14d}", "tasks[0].predict.metric",
         "disk_usage reports no metric 'used_pc'; did you mean 'used_pct'?"),
        ("anomaly: {metric: latency}", "tasks[0].anomaly.metric", "reports no metric 'latency'"),
        ("predict: {metric: used_pct, reaches: 95, within: 14d, severity: minr}",
         "tasks[0].predict.severity", "did you mean 'minor'"),
        ("anomaly: {metric: used_pct, severity: major}", "tasks[0].anomaly.severity",
         "unknown severity 'major'"),
        ("predict: {metric: used_pct, reaches: 95, within: 14d, prevent: {check: clean_up}}",
         "tasks[0].predict.prevent.check", "clean_up"),
        ("predict: {metric: used_pct, reaches: 95, within: 14d, "
         "prevent: {check: disk_usage, params: {pth: /}}}",
         "tasks[0].predict.prevent.params.pth", "'path'"),
        ("predict: {metric: used_pct, reaches: 95, within: 14d, min_history: 8d}",
         "tasks[0].predict", "min_history longer than window"),
        ("predict: {metric: used_pct, reaches: 95, within: 14d, coverage: 1.2}",
         "tasks[0].predict.coverage", "less than 1"),
        ("predict: {metric: used_pct, within: 14d}", "tasks[0].predict", "reaches"),
        ("anomaly: {metric: used_pct, at_least: 6, of_last: 5}", "tasks[0].anomaly",
         "at_least is at most of_last"),
        ("anomaly: {metric: used_pct, history: 10m}", "tasks[0].anomaly.history",
         "at least 1h of history"),
        ("anomaly: {metric: used_pct, direction: sideways}", "tasks[0].anomaly.direction",
         "'up', 'down' or 'both'"),
    ],
)  # fmt: skip
def test_a_mistake_is_located_and_explained(
    write_calendar: Writer, watch: str, where: str, message: str
) -> None:
    problems = problems_of(write_calendar, watch)
    assert any(where in problem and message in problem for problem in problems), problems
    assert all(":" in problem.split(" ")[0] for problem in problems)  # file:line:col first
