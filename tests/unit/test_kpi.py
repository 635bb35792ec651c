"""KPIs computed from hand-made rows: each definition, and the edges where a percentage would
otherwise lie (nothing measured, deadlines not yet due, fixes that did not hold)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from maintd.report.kpi import (
    Kpis,
    Share,
    Verdict,
    compute_kpis,
    first_response,
    judge_deadline,
    reopened_soon,
)
from maintd.report.postmortem import escape_cell

SINCE = datetime(2026, 3, 1, tzinfo=UTC)
UNTIL = datetime(2026, 4, 1, tzinfo=UTC)
NOW = datetime(2026, 4, 2, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)
Row = dict[str, Any]


def run(
    status: str, trigger: str = "schedule", task: str = "disk", day: int = 2, hour: int = 3
) -> dict[str, Any]:
    at = datetime(2026, 3, day, hour, tzinfo=UTC)
    return {"task": task, "host": "db1", "status": status, "trigger": trigger,
            "scheduled_for": at, "started_at": at}  # fmt: skip


def incident(number: int, opened: datetime = SINCE + DAY, **values: Any) -> dict[str, Any]:
    row = {"id": number, "kind": "check", "task": "disk", "host": "db1", "severity": "critical",
           "state": "open",
           "opened_at": opened, "acknowledged_at": None, "resolved_at": None,
           "respond_due": None, "resolve_due": None, "reopened": 0}  # fmt: skip
    row.update(values)
    return row


def step(number: int, kind: str, at: datetime) -> dict[str, Any]:
    return {"incident_id": number, "kind": kind, "at": at}


def kpis_of(
    runs: Sequence[Row] = (),
    incidents: Sequence[Row] = (),
    steps: Sequence[Row] = (),
    backups: Collection[str] = frozenset(),
) -> Kpis:
    return compute_kpis(runs=runs, incidents=incidents, steps=steps, backup_tasks=backups,
                        since=SINCE, until=UNTIL, now=NOW)  # fmt: skip


def test_nothing_to_measure_gives_no_percentage_and_no_mean() -> None:
    kpis = kpis_of()
    assert kpis.planned_on_time_pct is None
    assert kpis.mtta_seconds is None and kpis.mttr_seconds is None
    assert kpis.on_time_response_pct is None and kpis.on_time_resolution_pct is None
    assert kpis.first_time_fix_pct is None and kpis.backup_verified_pct is None
    assert kpis.incidents_opened == 0 and kpis.by_severity == ()
    assert Share().pct is None and Share(0, 3).pct == 0.0


def test_planned_on_time_excludes_skipped_fires_and_counts_late_ones_as_missed() -> None:
    runs = [
        run("OK"), run("CRITICAL"), run("TIMEOUT"), run("RUNNING"),  # ran at their time
        run("SKIPPED"),  # a blackout: planned, not due
        run("MISSED"), run("INTERRUPTED"), run("ERROR"),
        run("OK", trigger="catch-up"),  # ran, but late
        run("OK", trigger="manual"),  # nobody planned it
    ]  # fmt: skip
    planned = kpis_of(runs).planned_on_time
    assert (planned.part, planned.whole, planned.missed) == (4, 8, 4)
    assert kpis_of(runs).planned_on_time_pct == 50.0


def test_only_fires_scheduled_inside_the_period_count() -> None:
    runs = [run("OK"), run("MISSED", day=1, hour=0)]
    runs.append({**run("MISSED"), "scheduled_for": UNTIL})  # the end is excluded
    runs.append({**run("MISSED"), "scheduled_for": SINCE - MINUTE})
    assert kpis_of(runs).planned_on_time == Share(1, 2)


def test_skipped_fires_alone_leave_planned_on_time_without_data() -> None:
    assert kpis_of([run("SKIPPED"), run("SKIPPED", day=3)]).planned_on_time_pct is None


def test_mtta_and_mttr_are_means_over_the_incidents_that_got_there() -> None:
    opened = SINCE + timedelta(days=2)
    incidents = [
        incident(1, opened, acknowledged_at=opened + 10 * MINUTE,
                 resolved_at=opened + 60 * MINUTE),
        incident(2, opened, acknowledged_at=opened + 20 * MINUTE),
        incident(3, opened),  # neither: left out of both means
        incident(4, SINCE - MINUTE, acknowledged_at=SINCE),  # opened before the period
    ]  # fmt: skip
    kpis = kpis_of(incidents=incidents)
    assert kpis.incidents_opened == 3
    assert kpis.mtta_seconds == 15 * 60 and kpis.acknowledge.count == 2
    assert kpis.mttr_seconds == 60 * 60 and kpis.resolve.count == 1


def test_mtta_uses_the_first_acknowledgement_that_a_reopening_cleared_from_the_row() -> None:
    opened = SINCE + timedelta(days=2)
    row = incident(1, opened, reopened=1)  # re-opened: acknowledged_at is NULL again
    steps = [step(1, "acknowledged", opened + 5 * MINUTE), step(1, "resolved", opened + MINUTE * 9),
             step(1, "reopened", opened + 30 * MINUTE)]  # fmt: skip
    assert kpis_of(incidents=[row], steps=steps).mtta_seconds == 5 * 60


def test_mtta_and_mttr_are_broken_down_by_severity() -> None:
    opened = SINCE + timedelta(days=2)
    incidents = [
        incident(1, opened, acknowledged_at=opened + MINUTE, severity="critical"),
        incident(2, opened, acknowledged_at=opened + 3 * MINUTE, severity="critical"),
        incident(3, opened, resolved_at=opened + 2 * MINUTE, severity="warning"),
    ]
    critical, warning = kpis_of(incidents=incidents).by_severity
    assert (critical.severity, critical.opened, critical.acknowledge.seconds) == (
        "critical",
        2,
        120,
    )
    assert critical.resolve.seconds is None
    assert (warning.severity, warning.acknowledge.count, warning.resolve.seconds) == (
        "warning",
        0,
        120,
    )


def test_on_time_response_counts_a_fix_as_a_response_and_leaves_out_what_is_not_due() -> None:
    opened = SINCE + timedelta(days=2)
    due = opened + 15 * MINUTE
    incidents = [
        incident(1, opened, respond_due=due, acknowledged_at=due),  # at the deadline: met
        incident(2, opened, respond_due=due, acknowledged_at=due + MINUTE),  # late
        incident(3, opened, respond_due=due, resolved_at=opened + MINUTE),  # fixed: met
        incident(4, opened, respond_due=due),  # never answered, deadline passed: late
        incident(5, opened, respond_due=NOW + MINUTE),  # not yet due: left out
        incident(6, opened),  # no commitment: left out
    ]
    response = kpis_of(incidents=incidents).response
    assert (response.part, response.whole, response.pending) == (2, 4, 1)


def test_on_time_resolution_judges_the_resolution_against_its_deadline() -> None:
    opened = SINCE + timedelta(days=2)
    due = opened + timedelta(hours=4)
    incidents = [
        incident(1, opened, resolve_due=due, resolved_at=due - MINUTE),
        incident(2, opened, resolve_due=due, resolved_at=due + MINUTE),
        incident(3, opened, resolve_due=due, acknowledged_at=opened),  # still open, overdue
        incident(4, opened, resolve_due=NOW + timedelta(days=1)),  # still open, not yet due
    ]
    kpis = kpis_of(incidents=incidents)
    assert (kpis.resolution.part, kpis.resolution.whole, kpis.resolution.pending) == (1, 3, 1)
    assert kpis.on_time_resolution_pct == pytest.approx(100 / 3)


def test_unanswered_incidents_not_yet_due_alone_give_no_percentage() -> None:
    row = incident(1, respond_due=NOW + MINUTE, resolve_due=NOW + MINUTE)
    kpis = kpis_of(incidents=[row])
    assert kpis.on_time_response_pct is None and kpis.on_time_resolution_pct is None
    assert kpis.response.pending == 1 and kpis.resolution.pending == 1


def test_a_reopening_within_seven_days_of_a_resolution_is_not_a_first_time_fix() -> None:
    opened = SINCE + timedelta(days=2)
    fixed = opened + timedelta(hours=1)
    incidents = [incident(number, opened, resolved_at=fixed) for number in (1, 2, 3, 4)]
    steps = [
        step(1, "resolved", fixed),  # held
        step(2, "resolved", fixed), step(2, "reopened", fixed + timedelta(days=6)),
        step(3, "resolved", fixed), step(3, "reopened", fixed + timedelta(days=8)),  # too late
        step(4, "reopened", fixed),  # never resolved: not counted
    ]  # fmt: skip
    incidents[3]["resolved_at"] = None
    fix = kpis_of(incidents=incidents, steps=steps).first_time_fix
    assert (fix.part, fix.whole, fix.missed) == (2, 3, 1)


def test_a_reopening_counts_from_the_resolution_just_before_it() -> None:
    base = SINCE + timedelta(days=2)
    steps = [step(1, "resolved", base), step(1, "reopened", base + timedelta(days=10)),
             step(1, "resolved", base + timedelta(days=11)),
             step(1, "reopened", base + timedelta(days=12))]  # fmt: skip
    assert reopened_soon(steps)
    assert not reopened_soon(steps[:2])
    assert reopened_soon(list(reversed(steps)))  # the order given does not matter


def test_backups_verified_are_the_ok_share_of_the_backup_runs_that_ran() -> None:
    runs = [
        run("OK", task="pg-backup"), run("OK", task="pg-backup", trigger="catch-up"),
        run("CRITICAL", task="pg-backup"), run("INTERRUPTED", task="pg-backup"),
        run("SKIPPED", task="pg-backup"), run("MISSED", task="pg-backup"),
        run("RUNNING", task="pg-backup"),
        run("CRITICAL", task="disk"),  # not a backup
    ]  # fmt: skip
    backup = kpis_of(runs, backups={"pg-backup"}).backup_verified
    assert (backup.part, backup.whole) == (2, 4)
    assert kpis_of(runs).backup_verified_pct is None  # no backup tasks named


def test_judging_a_deadline() -> None:
    due = SINCE
    assert judge_deadline(None, None, NOW) == Verdict.NO_COMMITMENT
    assert judge_deadline(due, due, NOW) == Verdict.MET
    assert judge_deadline(due + MINUTE, due, NOW) == Verdict.BREACHED
    assert judge_deadline(None, due, NOW) == Verdict.BREACHED
    assert judge_deadline(None, NOW + MINUTE, NOW) == Verdict.RUNNING


def test_the_first_response_is_the_earlier_of_acknowledgement_and_resolution() -> None:
    row = incident(1, SINCE, acknowledged_at=SINCE + 5 * MINUTE, resolved_at=SINCE + MINUTE)
    assert first_response(row, []) == SINCE + MINUTE
    assert first_response(incident(2, SINCE), []) is None


def test_table_cells_escape_pipes_and_line_breaks() -> None:
    assert escape_cell("a | b\nc\r\nd") == "a \\| b<br>c<br>d"


def test_a_new_incident_of_the_same_pair_within_seven_days_is_a_relapse_too() -> None:
    opened = SINCE + timedelta(days=2)
    fixed = opened + timedelta(hours=1)
    first = incident(1, opened, resolved_at=fixed, state="resolved")
    relapse = incident(2, fixed + timedelta(days=3))  # after the tracker's re-open window
    elsewhere = incident(3, fixed + timedelta(days=1), host="db2")
    steps = [step(1, "resolved", fixed)]
    fix = kpis_of(incidents=[first, relapse, elsewhere], steps=steps).first_time_fix
    assert (fix.part, fix.whole) == (0, 1)
    alone = kpis_of(incidents=[first, elsewhere], steps=steps).first_time_fix
    assert (alone.part, alone.whole) == (1, 1)
    # A forecast warning about the same disk is another story, not a relapse of the check.
    forecast = incident(4, fixed + timedelta(days=1), kind="predicted")
    told = kpis_of(incidents=[first, forecast], steps=steps).first_time_fix
    assert (told.part, told.whole) == (1, 1)


def test_a_resolution_younger_than_seven_days_is_too_early_to_call() -> None:
    fixed = NOW - timedelta(days=2)
    row = incident(1, fixed - timedelta(hours=1), resolved_at=fixed, state="resolved")
    fix = kpis_of(incidents=[row], steps=[step(1, "resolved", fixed)]).first_time_fix
    assert (fix.part, fix.whole, fix.pending) == (0, 0, 1)
    assert fix.pct is None
