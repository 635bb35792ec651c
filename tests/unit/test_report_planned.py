"""Planned against done, from hand-made counts of fires and ledger rows: what counts as done,
skipped, not yet due or not done (and why), what matched nothing, and the work planned ahead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from maintd.plan.counting import TaskFires
from maintd.plan.planner import Stretch
from maintd.report.planned import EXAMPLES, compare_plan, summarise_upcoming
from maintd.store.report_queries import RunTally

T = datetime(2026, 3, 2, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
NOW = T + 10 * HOUR


def stretch(start: int, end: int, reason: str | None = None) -> Stretch:
    """Hours ``start`` to ``end`` after T."""
    return Stretch(T + start * HOUR, T + end * HOUR, reason)


def fires(task: str, stretches: list[Stretch], **per_host: tuple[int, ...]) -> TaskFires:
    """``task``'s fires: ``per_host[host][index]`` of them in ``stretches[index]``, each stretch
    holding its fires from its start on (one an hour)."""
    having = [
        (stretch.start, stretch.reason is None)
        for counts in per_host.values()
        for stretch, count in zip(stretches, counts, strict=True)
        if count
    ]
    return TaskFires(
        task=task,
        stretches=tuple(stretches),
        per_host=per_host,
        first=min((start for start, _ in having), default=None),
        first_run=min((start for start, runs in having if runs), default=None),
    )


def row(task: str, host: str, status: str, piece: int = 0, **values: Any) -> RunTally:
    """``runs`` (1) rows of ``task`` on ``host`` in its ``piece``th stretch."""
    found = {"reason": None, "trigger": "schedule", "runs": 1} | values
    return RunTally(task, host, status, found["reason"], found["trigger"], piece, found["runs"])


def test_answered_fires_are_done_whatever_they_found_and_catch_up_ones_are_late() -> None:
    planned = [fires("disk", [stretch(0, 10), stretch(10, 20)], db1=(4, 0))]
    rows = [
        row("disk", "db1", "OK"),
        row("disk", "db1", "CRITICAL"),
        row("disk", "db1", "WARNING", trigger="catch-up"),
        row("disk", "db1", "TIMEOUT", reason="no answer in 5m"),
    ]
    compliance = compare_plan(planned, rows, NOW)
    (task,) = compliance.tasks
    assert (task.planned, task.due, task.done, task.late, task.not_done) == (4, 4, 3, 1, 1)
    assert task.pct == 75.0
    (group,) = compliance.not_done
    assert (group.status, group.reason, group.count, group.pairs) == (
        "TIMEOUT",
        "no answer in 5m",
        1,
        ("disk@db1",),
    )
    assert compliance.unplanned == 0


def test_planned_skips_and_recorded_skips_leave_the_compliance_alone() -> None:
    planned = [fires("vacuum", [stretch(0, 1, "blackout freeze"), stretch(1, 2)],
                     db1=(1, 1), db2=(0, 1))]  # fmt: skip
    rows = [
        row("vacuum", "db1", "SKIPPED", 0, reason="blackout freeze"),
        row("vacuum", "db1", "SKIPPED", 1, reason="window nightly closed"),
        row("vacuum", "db2", "OK", 1),
    ]
    compliance = compare_plan(planned, rows, NOW)
    assert (compliance.total.skipped, compliance.total.due, compliance.total.pct) == (2, 1, 100.0)
    reasons = {group.reason: group.count for group in compliance.skipped}
    assert reasons == {"blackout freeze": 1, "window nightly closed": 1}
    assert all(group.status == "SKIPPED" for group in compliance.skipped)
    assert compliance.unplanned == 0


def test_the_planners_reason_wins_over_what_was_recorded_on_a_skipped_fire() -> None:
    planned = [fires("vacuum", [stretch(0, 1, "blackout freeze")], db1=(1,))]
    compliance = compare_plan(planned, [row("vacuum", "db1", "MISSED", reason="fell behind")], NOW)
    assert (compliance.total.skipped, compliance.total.due, compliance.not_done) == (1, 0, ())
    ((group),) = compliance.skipped
    assert (group.reason, group.count, compliance.unplanned) == ("blackout freeze", 1, 0)


def test_fires_without_a_row_are_not_done_and_future_ones_not_yet_due() -> None:
    hosts = {f"h{index}": (1, 0) for index in range(EXAMPLES + 2)}
    hosts["h0"] = (1, 1)
    planned = [fires("disk", [stretch(0, 10), stretch(10, 20)], **hosts)]
    compliance = compare_plan(planned, [row("disk", "h0", "MISSED", reason="maintd was down")],
                              NOW)  # fmt: skip
    assert compliance.total.not_yet_due == 1
    assert compliance.total.due == EXAMPLES + 2 and compliance.total.pct == 0.0
    missing, missed = compliance.not_done
    assert (missing.status, missing.reason, missing.count) == (None, None, EXAMPLES + 1)
    assert len(missing.pairs) == EXAMPLES and missing.more_pairs == 1
    assert (missed.status, missed.reason) == ("MISSED", "maintd was down")


def test_rows_no_planned_fire_matches_are_unplanned_and_nothing_due_has_no_percentage() -> None:
    compliance = compare_plan([], [row("disk", "db1", "OK", trigger="manual")], NOW)
    assert compliance.unplanned == 1
    assert compliance.total.pct is None and compliance.tasks == ()


def test_manual_runs_rows_of_other_hosts_and_rows_beyond_the_fires_are_unplanned() -> None:
    planned = [fires("disk", [stretch(0, 10)], db1=(2,))]
    rows = [
        row("disk", "db1", "OK", runs=2),
        row("disk", "db1", "TIMEOUT"),  # three rows on two fires: a re-scheduled task
        row("disk", "db1", "OK", trigger="manual"),
        row("disk", "db9", "OK"),
    ]
    compliance = compare_plan(planned, rows, NOW)
    assert compliance.unplanned == 3
    # The excess comes from the answered rows: compliance is never overstated.
    assert (compliance.total.done, compliance.total.due) == (1, 2)
    ((group),) = compliance.not_done
    assert (group.status, group.count) == ("TIMEOUT", 1)


def test_each_task_is_counted_apart_added_up_and_shown_by_its_first_fire() -> None:
    planned = [
        fires("b", [stretch(0, 1), stretch(1, 2)], h=(1, 1)),
        fires("late", [stretch(0, 1), stretch(1, 2)], h=(0, 1)),
        fires("a", [stretch(0, 1), stretch(1, 2)], h=(1, 0)),
        fires("none", [stretch(0, 1), stretch(1, 2)], h=(0, 0)),
    ]
    compliance = compare_plan(planned, [row("b", "h", "OK")], NOW)
    assert [(task.task, task.due, task.done) for task in compliance.tasks] == [
        ("a", 1, 0), ("b", 2, 1), ("late", 1, 0),
    ]  # fmt: skip
    assert (compliance.total.due, compliance.total.done) == (4, 1)


def test_the_work_ahead_is_summarised_per_task_with_why_fires_will_not_run() -> None:
    backup = fires(
        "backup",
        [stretch(0, 1, "blackout freeze"), stretch(1, 2), stretch(2, 3, "window nightly closed")],
        db1=(1, 1, 1), db2=(1, 0, 0), db3=(0, 0, 0),
    )  # fmt: skip
    disk = fires("disk", [stretch(3, 4, "task disabled")], db1=(1,))
    first, second = summarise_upcoming([disk, backup])
    assert (first.task, first.fires, first.hosts, first.first_run) == ("backup", 4, 2, T + HOUR)
    assert first.will_not_run == 3
    assert first.reasons == (("blackout freeze", 2), ("window nightly closed", 1))
    assert (second.task, second.first_run, second.will_not_run) == ("disk", None, 1)
