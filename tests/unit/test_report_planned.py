"""Planned against done, from hand-made fires and ledger rows: what counts as done, skipped, not
yet due or not done (and why), what matched nothing, and the work planned ahead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from maintd.plan import Fire
from maintd.report.planned import EXAMPLES, compare_plan, summarise_upcoming

T = datetime(2026, 3, 2, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
NOW = T + 10 * HOUR


def row(task: str, host: str, at: datetime, status: str, **values: Any) -> dict[str, Any]:
    found = {"task": task, "host": host, "scheduled_for": at, "status": status,
             "trigger": "schedule", "reason": None}  # fmt: skip
    return found | values


def test_answered_fires_are_done_whatever_they_found_and_catch_up_ones_are_late() -> None:
    fires = [Fire("disk", "db1", T + index * HOUR, True) for index in range(4)]
    rows = [
        row("disk", "db1", T, "OK"),
        row("disk", "db1", T + HOUR, "CRITICAL"),
        row("disk", "db1", T + 2 * HOUR, "WARNING", trigger="catch-up"),
        row("disk", "db1", T + 3 * HOUR, "TIMEOUT", reason="no answer in 5m"),
    ]
    compliance = compare_plan(fires, rows, NOW)
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
    fires = [
        Fire("vacuum", "db1", T, False, "blackout freeze"),
        Fire("vacuum", "db1", T + HOUR, True),
        Fire("vacuum", "db2", T + HOUR, True),
    ]
    rows = [
        row("vacuum", "db1", T, "SKIPPED", reason="blackout freeze"),
        row("vacuum", "db1", T + HOUR, "SKIPPED", reason="window nightly closed"),
        row("vacuum", "db2", T + HOUR, "OK"),
    ]
    compliance = compare_plan(fires, rows, NOW)
    assert (compliance.total.skipped, compliance.total.due, compliance.total.pct) == (2, 1, 100.0)
    reasons = {group.reason: group.count for group in compliance.skipped}
    assert reasons == {"blackout freeze": 1, "window nightly closed": 1}
    assert all(group.status == "SKIPPED" for group in compliance.skipped)


def test_fires_without_a_row_are_not_done_and_future_ones_not_yet_due() -> None:
    fires = [Fire("disk", f"h{index}", T, True) for index in range(EXAMPLES + 2)]
    fires.append(Fire("disk", "h0", NOW + HOUR, True))
    compliance = compare_plan(fires, [row("disk", "h0", T, "MISSED", reason="maintd was down")],
                              NOW)  # fmt: skip
    assert compliance.total.not_yet_due == 1
    assert compliance.total.due == EXAMPLES + 2 and compliance.total.pct == 0.0
    missing, missed = compliance.not_done
    assert (missing.status, missing.reason, missing.count) == (None, None, EXAMPLES + 1)
    assert len(missing.pairs) == EXAMPLES and missing.more_pairs == 1
    assert (missed.status, missed.reason) == ("MISSED", "maintd was down")


def test_rows_no_planned_fire_matches_are_unplanned_and_nothing_due_has_no_percentage() -> None:
    compliance = compare_plan([], [row("disk", "db1", T, "OK", trigger="manual")], NOW)
    assert compliance.unplanned == 1
    assert compliance.total.pct is None and compliance.tasks == ()


def test_each_task_is_counted_apart_and_added_up() -> None:
    fires = [Fire("a", "h", T, True), Fire("b", "h", T, True), Fire("b", "h", T + HOUR, True)]
    compliance = compare_plan(fires, [row("b", "h", T, "OK")], NOW)
    assert [(task.task, task.due, task.done) for task in compliance.tasks] == [
        ("a", 1, 0), ("b", 2, 1)
    ]  # fmt: skip
    assert (compliance.total.due, compliance.total.done) == (3, 1)


def test_the_work_ahead_is_summarised_per_task_with_why_fires_will_not_run() -> None:
    fires = [
        Fire("backup", "db1", T, False, "blackout freeze"),
        Fire("backup", "db2", T, False, "blackout freeze"),
        Fire("backup", "db1", T + HOUR, True),
        Fire("backup", "db1", T + 2 * HOUR, False, "window nightly closed"),
        Fire("disk", "db1", T + 3 * HOUR, False, "task disabled"),
    ]
    backup, disk = summarise_upcoming(fires)
    assert (backup.task, backup.fires, backup.hosts, backup.first_run) == ("backup", 4, 2, T + HOUR)
    assert backup.will_not_run == 3
    assert backup.reasons == (("blackout freeze", 2), ("window nightly closed", 1))
    assert (disk.first_run, disk.will_not_run) == (None, 1)
