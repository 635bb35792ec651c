"""The ledger's view of a period: statuses counted per task and host, the worst status of each
task and day, failures cut to a readable length, and incidents judged against their clocks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from maintd.report.runs import (
    OUTPUT_LINES,
    SUMMARY_LIMIT,
    build_heatmap,
    count_failing,
    count_statuses,
    shape_failure,
    statuses_seen,
    worst_status,
)
from maintd.report.sla import Outcome, count_outcomes, judge_incidents
from maintd.store.report_queries import RunTally

T = datetime(2026, 3, 2, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
FIRST, SECOND = date(2026, 3, 2), date(2026, 3, 3)


def runs(task: str, status: str, count: int = 1, host: str = "db1") -> RunTally:
    return RunTally(task, host, status, None, "schedule", 0, count)


def test_could_not_run_is_worse_than_a_warning_and_missed_work_too() -> None:
    assert worst_status(["OK", "WARNING", "UNREACHABLE"]) == "UNREACHABLE"
    assert worst_status(["WARNING", "MISSED"]) == "MISSED"
    assert worst_status(["OK", "SKIPPED"]) == "OK"
    assert worst_status(["SKIPPED", "SOMETHING-NEW"]) == "SKIPPED"
    assert worst_status([]) is None


def test_statuses_are_counted_per_task_and_host_in_status_order() -> None:
    tallies = [runs("disk", "OK"), runs("disk", "CRITICAL"), runs("disk", "OK", host="db2"),
               runs("backup", "MISSED"), runs("backup", "WARNING", 3)]  # fmt: skip
    by_task = count_statuses(tallies, "task")
    assert [(counts.name, counts.counts) for counts in by_task] == [
        ("backup", (("WARNING", 3), ("MISSED", 1))), ("disk", (("OK", 2), ("CRITICAL", 1))),
    ]  # fmt: skip
    assert by_task[1].total == 3 and by_task[1].count("WARNING") == 0
    assert statuses_seen(by_task) == ["OK", "WARNING", "CRITICAL", "MISSED"]
    assert [counts.name for counts in count_statuses(tallies, "host")] == ["db1", "db2"]
    assert count_failing(tallies) == 4


def test_the_heat_map_has_a_cell_for_every_task_and_local_day() -> None:
    counts = {
        ("disk", FIRST, "OK"): 3, ("disk", FIRST, "CRITICAL"): 1, ("disk", SECOND, "WARNING"): 1,
        ("ghost", FIRST, "OK"): 1,  # a task no longer in the calendar still shows
    }  # fmt: skip
    heatmap = build_heatmap(counts, ["backup", "disk"], [FIRST, SECOND])
    assert heatmap.tasks == ("backup", "disk", "ghost")
    assert len(heatmap.cells) == 3 * 2
    backup_first, _ = heatmap.row("backup")
    assert backup_first.worst is None and backup_first.counts == ()
    first, second = heatmap.row("disk")
    assert (first.worst, first.counts) == ("CRITICAL", (("OK", 3), ("CRITICAL", 1)))
    assert second.worst == "WARNING" and second.day == SECOND


def test_a_failure_keeps_one_summary_line_and_the_first_lines_of_its_output() -> None:
    output = "\n".join(f"line {index}" for index in range(OUTPUT_LINES + 4))
    failure = shape_failure(
        {"task": "disk", "host": "db1", "scheduled_for": T, "status": "CRITICAL",
         "summary": "DISK   CRITICAL\n" + "x" * 500, "output": output, "reason": None,
         "duration": 1.5, "exit_code": 2}
    )  # fmt: skip
    assert "\n" not in failure.summary and failure.summary.startswith("DISK CRITICAL x")
    assert len(failure.summary) == SUMMARY_LIMIT and failure.summary.endswith("…")
    assert failure.output.splitlines() == [*(f"line {index}" for index in range(OUTPUT_LINES)), "…"]
    empty = shape_failure({**failure.__dict__, "summary": None, "output": None})
    assert (empty.summary, empty.output) == ("", "")


def incident(number: int, **values: Any) -> dict[str, Any]:
    found = {"id": number, "kind": "check", "task": "disk", "host": "db1", "title": "disk",
             "severity": "critical", "state": "open", "opened_at": T, "acknowledged_at": None,
             "resolved_at": None, "respond_due": T + HOUR, "resolve_due": T + 4 * HOUR,
             "reopened": 0}  # fmt: skip
    return found | values


def test_incident_clocks_are_met_breached_pending_or_without_commitment() -> None:
    now = T + 2 * HOUR
    incidents = [
        incident(1, resolved_at=T + 3 * HOUR, state="resolved"),
        incident(2),
        incident(3, respond_due=None, resolve_due=None),
    ]
    steps = [{"incident_id": 1, "kind": "acknowledged", "at": T + 10 * timedelta(minutes=1)},
             {"incident_id": 9, "kind": "acknowledged", "at": T}]  # fmt: skip
    first, second, third = judge_incidents(incidents, steps, now)
    assert (first.respond.outcome, first.resolve.outcome) == (Outcome.MET, Outcome.MET)
    assert first.respond.answered == T + 10 * timedelta(minutes=1)
    assert (second.respond.outcome, second.resolve.outcome) == (Outcome.BREACHED, Outcome.PENDING)
    assert (third.respond.outcome, third.resolve.outcome) == (Outcome.NONE, Outcome.NONE)
    counts = count_outcomes([first, second, third])
    assert counts["respond"] == {Outcome.MET: 1, Outcome.BREACHED: 1, Outcome.PENDING: 0,
                                 Outcome.NONE: 1}  # fmt: skip
