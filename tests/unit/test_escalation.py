"""The response rules, one transition at a time: escalation, SLA marks, holds, news."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from maintd.respond.escalation import Commitment, Deadlines, Decision, decide

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
CRITICAL = Commitment(
    respond=15 * MIN,
    resolve=240 * MIN,
    steps=((0 * MIN, ("oncall",)), (15 * MIN, ("leads",))),
    renotify=60 * MIN,
)
DEADLINES = Deadlines(
    respond_warn=T0 + 12 * MIN, respond_due=T0 + 15 * MIN,
    resolve_warn=T0 + 192 * MIN, resolve_due=T0 + 240 * MIN,
    steps=(T0, T0 + 15 * MIN),
)  # fmt: skip


def incident(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": 7, "task": "disk", "host": "db1", "title": "disk on db1: CRITICAL",
        "severity": "critical", "state": "open", "status": "CRITICAL", "summary": "92% used",
        "flapping": 0, "opened_at": T0, "acknowledged_by": None,
        "respond_clock": None, "resolve_clock": None, "escalation_step": 0,
        "notified_state": None, "notified_status": None, "notified_at": None,
        "notified_flapping": 0,
    }  # fmt: skip
    row.update(changes)
    return row


def run(row: dict[str, Any], minutes: float, hold: str | None = None) -> Decision:
    """The decision at T0 + ``minutes``; a reminder falls due an hour after the last notice
    (no pauses in these cases: the clock is the wall clock)."""
    told = row["notified_at"]
    deadlines = DEADLINES if told is None else replace(DEADLINES, reminder=told + 60 * MIN)
    return decide(row, CRITICAL, deadlines, T0 + minutes * MIN, hold)


def events(decision: Decision) -> list[tuple[str, tuple[str, ...]]]:
    return [(notice.event, notice.targets) for notice in decision.notices]


def after(row: dict[str, Any], decision: Decision) -> dict[str, Any]:
    return {**row, **decision.values}


def test_the_first_step_announces_the_incident_and_is_remembered() -> None:
    decision = run(incident(), 0)
    assert events(decision) == [("opened", ("oncall",))]
    assert decision.values["escalation_step"] == 1
    assert decision.values["notified_state"] == "open"
    assert decision.steps == [("notified", "opened: oncall")]
    assert run(after(incident(), decision), 1).notices == []  # said once


def test_unacknowledged_it_escalates_at_the_next_step_and_ack_stops_that() -> None:
    told = after(incident(), run(incident(), 0))
    escalated = run(told, 15)
    assert ("escalated", ("leads",)) in events(escalated)
    assert escalated.values["escalation_step"] == 2
    acknowledged = {**told, "state": "acknowledged", "acknowledged_by": "ana"}
    decision = run(acknowledged, 15)
    assert events(decision) == [("acknowledged", ("oncall",))]
    assert "escalation_step" not in decision.values


def test_respond_clock_warns_at_80_percent_and_breaches_at_100_once() -> None:
    told = after(incident(), run(incident(), 0))
    warned = run(told, 12)
    assert warned.values["respond_clock"] == "warned"
    assert ("sla-warning", ("oncall",)) in events(warned)
    told = after(told, warned)
    breached = run(told, 16)
    assert breached.values["respond_clock"] == "breached"
    assert [kind for kind, _ in breached.steps][:1] == ["sla-breach"]
    assert "sla-breach" not in [n.event for n in run(after(told, breached), 17).notices]


def test_acknowledging_stops_the_respond_clock_not_the_resolve_clock() -> None:
    acked = incident(state="acknowledged", escalation_step=1, notified_state="acknowledged",
                     notified_status="CRITICAL")  # fmt: skip
    decision = run(acked, 200)
    assert "respond_clock" not in decision.values
    assert decision.values["resolve_clock"] == "warned"


def test_a_hold_defers_everything_and_its_end_tells_the_breach() -> None:
    held = run(incident(), 20, hold="silence #1 (kernel upgrade)")
    assert held.notices == [] and held.values == {} and held.steps == []
    lifted = run(incident(), 21)
    assert lifted.values["respond_clock"] == "breached"
    assert [notice.event for notice in lifted.notices] == ["opened", "sla-breach"]


def test_when_the_hold_lifts_the_steps_reached_meanwhile_are_sent_at_once() -> None:
    decision = run(incident(), 20)
    assert events(decision)[0] == ("opened", ("oncall", "leads"))


def test_a_problem_that_came_and_went_during_a_hold_is_never_announced() -> None:
    gone = incident(state="resolved")
    assert run(gone, 30).notices == []


def test_recovery_of_an_announced_incident_is_told_once() -> None:
    told = after(incident(), run(incident(), 0))
    resolved = {**told, "state": "resolved"}
    decision = run(resolved, 5)
    assert events(decision) == [("resolved", ("oncall",))]
    assert run(after(resolved, decision), 6).notices == []


def test_a_reopened_incident_is_news_for_those_told_of_its_recovery() -> None:
    reopened = incident(escalation_step=1, notified_state="resolved", notified_status="CRITICAL")
    assert events(run(reopened, 5)) == [("reopened", ("oncall",))]


def test_a_changed_status_is_news() -> None:
    told = incident(escalation_step=1, notified_state="open", notified_status="WARNING",
                    notified_at=T0)  # fmt: skip
    assert events(run(told, 5)) == [("changed", ("oncall",))]


def test_flapping_is_announced_once_then_held_and_its_end_is_news() -> None:
    told = after(incident(), run(incident(), 0))
    flapping = {**told, "flapping": 1}
    decision = run(flapping, 5)
    assert events(decision) == [("flapping", ("oncall",))]
    flapping = after(flapping, decision)
    assert run({**flapping, "state": "resolved"}, 6).notices == []
    settled = {**flapping, "flapping": 0, "state": "resolved"}
    assert [n.event for n in run(settled, 7).notices] == ["flapping-stopped", "resolved"]


def test_an_incident_flapping_before_anyone_heard_of_it_stays_quiet() -> None:
    assert run(incident(flapping=1), 5).notices == []


def test_renotify_repeats_until_acknowledged() -> None:
    told = after(incident(), run(incident(), 0))
    told = after(told, run(told, 15))  # escalated to leads at 15
    assert "reminder" not in [n.event for n in run(told, 60).notices]  # 45 min since told
    reminder = run({**told, "respond_clock": "breached"}, 76)
    assert events(reminder) == [("reminder", ("oncall", "leads"))]
    acked = {**told, "state": "acknowledged", "notified_state": "acknowledged",
             "respond_clock": "breached"}  # fmt: skip
    assert "reminder" not in [n.event for n in run(acked, 200).notices]


def test_no_commitment_and_no_steps_means_no_notices_and_no_clocks() -> None:
    decision = decide(incident(), Commitment(), Deadlines(), T0 + 999 * MIN, None)
    assert decision.notices == [] and decision.values == {}


def test_a_manual_incident_is_announced_like_a_check_one() -> None:
    reported = incident(task=None, host=None, status=None, title="VPN down for the Paris office")
    (notice,) = run(reported, 0).notices
    assert notice.event == "opened" and "VPN down" in notice.news
