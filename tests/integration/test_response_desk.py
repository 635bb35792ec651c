"""The response desk on a real store: escalation, SLA marks, windows, silences, manual reports.

The desk's output is a Message handed to the notification queue; the queue itself is tested
against real HTTP and SMTP servers in test_notify.py, so here the messages are collected.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from maintd.config.model import Calendar
from maintd.plan import Planner
from maintd.respond.desk import ResponseDesk
from maintd.respond.notify import Message
from maintd.store import IncidentBook, SilenceBook, Step
from tests.integration.conftest import Opener

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday; the window opens at 01:00
MIN = timedelta(minutes=1)
CALENDAR = {
    "timezone": "UTC",
    "hosts": {"db1": {"groups": ["databases"]}, "web1": {}},
    "windows": {"nightly": {"cron": "0 1 * * *", "duration": "2h", "pause": ["databases"]}},
    "severities": {
        "critical": {
            "respond": "15m",
            "resolve": "4h",
            "renotify": "1h",
            "escalate": [{"after": "0m", "notify": "oncall"}, {"after": "15m", "notify": "leads"}],
        },
        "minor": {"respond": "1d", "resolve": "7d"},
    },  # fmt: skip
    "notify": {"oncall": ["json://127.0.0.1:9/oncall"], "leads": ["json://127.0.0.1:9/leads"]},
    "defaults": {"notify": ["oncall"]},
    "http": {"public_url": "https://maintd.example.org"},
    "tasks": [
        {
            "name": "disk",
            "check": "disk_usage",
            "hosts": ["all"],
            "schedule": {"every": "5m"},
            "runbook": "runbooks/disk.md",
        },
    ],  # fmt: skip
}


class Desk:
    """A desk on a fresh store, with the messages it sent."""

    def __init__(self, engine: Any) -> None:
        self.book = IncidentBook(engine)
        self.silences = SilenceBook(engine)
        self.sent: list[Message] = []
        self.log: list[str] = []
        self.desk = ResponseDesk(self.book, self.silences, self._send, self.log.append)
        calendar = Calendar.model_validate(CALENDAR)
        self.desk.configure(calendar, Planner(calendar))

    def _send(self, message: Message) -> int:
        self.sent.append(message)
        return len(message.targets)

    def open(self, host: str = "db1", at: datetime = T0, severity: str = "critical") -> int:
        step = Step(at, "opened", "DISK CRITICAL - 97% used", "CRITICAL")
        return self.book.open(
            kind="check", task="disk", host=host, title=f"disk on {host}: CRITICAL",
            severity=severity, step=step,
        )  # fmt: skip

    def tick(self, at: datetime) -> list[tuple[str, tuple[str, ...]]]:
        before = len(self.sent)
        self.desk.tick(at)
        return [(m.event, m.targets) for m in self.sent[before:]]

    def steps(self, incident_id: int) -> list[str]:
        return [step["kind"] for step in self.book.timeline(incident_id)]


@pytest.fixture
def desk(store_url: str, open_ledger: Opener) -> Desk:
    return Desk(open_ledger(store_url).engine)


def test_an_incident_is_announced_escalated_and_acknowledged(desk: Desk) -> None:
    incident_id = desk.open()
    assert desk.tick(T0) == [("opened", ("oncall",))]
    row = desk.book.get(incident_id)
    assert row is not None
    assert (row["respond_due"], row["resolve_due"]) == (T0 + 15 * MIN, T0 + 240 * MIN)
    message = desk.sent[0]
    assert message.title == "[CRITICAL] #1 disk on db1: opened"
    for text in (
        "Host: db1",
        "Task: disk",
        "DISK CRITICAL - 97% used",
        "Runbook: runbooks/disk.md",
        "Respond by: 2026-11-25 10:15 UTC",
        "https://maintd.example.org/incidents/1",
    ):
        assert text in message.body  # fmt: skip
    assert desk.tick(T0 + 5 * MIN) == []
    assert desk.tick(T0 + 12 * MIN) == [("sla-warning", ("oncall",))]
    # The next step's lists hear first; the breach goes to everyone told so far.
    assert desk.tick(T0 + 15 * MIN) == [
        ("escalated", ("leads",)), ("sla-breach", ("oncall", "leads")),
    ]  # fmt: skip
    desk.book.acknowledge(incident_id, Step(T0 + 20 * MIN, "acknowledged", by="ana"))
    assert desk.tick(T0 + 20 * MIN) == [("acknowledged", ("oncall", "leads"))]
    assert desk.tick(T0 + 200 * MIN) == [("sla-warning", ("oncall", "leads"))]  # resolve clock
    assert desk.tick(T0 + 300 * MIN)[0] == ("sla-breach", ("oncall", "leads"))
    row = desk.book.get(incident_id)
    assert row is not None
    assert (row["respond_clock"], row["resolve_clock"]) == ("breached", "breached")
    assert row["escalation_step"] == 2
    steps = desk.steps(incident_id)
    for kind in ("notified", "sla-warning", "sla-breach", "escalated", "acknowledged"):
        assert kind in steps


def test_a_window_holds_notices_and_clocks_until_it_closes(desk: Desk) -> None:
    night = T0.replace(hour=1, minute=30)
    incident_id = desk.open(at=night)
    assert desk.tick(night) == []
    assert desk.tick(night + 60 * MIN) == []  # 02:30, still inside
    row = desk.book.get(incident_id)
    assert row is not None
    assert row["respond_due"] == T0.replace(hour=3, minute=15)  # the clock starts at 03:00
    assert "held" in desk.steps(incident_id)
    assert desk.tick(T0.replace(hour=3, minute=1)) == [("opened", ("oncall",))]
    assert "released" in desk.steps(incident_id)


def test_a_problem_gone_before_its_window_closes_is_never_announced(desk: Desk) -> None:
    night = T0.replace(hour=1, minute=30)
    incident_id = desk.open(at=night)
    assert desk.tick(night) == []
    desk.book.resolve(incident_id, Step(night + 10 * MIN, "resolved", status="OK"))
    assert desk.tick(T0.replace(hour=3, minute=1)) == []


def test_a_recovery_during_a_window_is_told_when_it_closes(desk: Desk) -> None:
    evening = T0.replace(hour=0, minute=50)
    incident_id = desk.open(at=evening)
    assert desk.tick(evening) == [("opened", ("oncall",))]
    desk.book.resolve(incident_id, Step(evening + 20 * MIN, "resolved", status="OK"))
    assert desk.tick(evening + 30 * MIN) == []  # 01:20: in the window
    assert desk.tick(T0.replace(hour=3, minute=1)) == [("resolved", ("oncall",))]
    assert desk.tick(T0.replace(hour=3, minute=2)) == []


def test_a_silence_holds_its_matches_and_its_end_sends_one_summary(desk: Desk) -> None:
    desk.silences.add(task=None, host="web1", starts_at=T0, ends_at=T0 + 10 * MIN,
                      reason="kernel upgrade", by="ana")  # fmt: skip
    first, second = desk.open(host="web1"), desk.open(host="web1", severity="minor")
    other = desk.open(host="db1")
    assert desk.tick(T0 + MIN) == [("opened", ("oncall",))]  # db1's only
    assert desk.book.get(first)["escalation_step"] == 0  # type: ignore[index]
    sent = desk.tick(T0 + 11 * MIN)
    assert sent == [("released", ("oncall",))]  # one summary for both
    summary = desk.sent[-1]
    assert summary.incident_id is None
    assert f"#{first} disk on web1" in summary.body and f"#{second} disk on web1" in summary.body
    assert "silence #1 (kernel upgrade) ended" in summary.title
    assert any("silence #1" in line and "ended" in line for line in desk.log)
    assert desk.silences.ended(T0 + 12 * MIN) == []  # summarized once
    assert other != first


def test_a_disruptive_runs_silence_leaves_its_own_task_audible(desk: Desk) -> None:
    desk.silences.add(task=None, host="db1", starts_at=T0, ends_at=T0 + 30 * MIN,
                      reason="backup running", by=None, origin_task="disk")  # fmt: skip
    desk.open(host="db1")
    assert desk.tick(T0 + MIN) == [("opened", ("oncall",))]


def test_a_removed_silence_releases_at_once(desk: Desk) -> None:
    silence = desk.silences.add(task="disk", host=None, starts_at=T0, ends_at=T0 + 600 * MIN,
                                reason="known", by="ana")  # fmt: skip
    desk.open(host="web1")
    assert desk.tick(T0 + MIN) == []
    assert desk.silences.remove(silence, T0 + 2 * MIN)
    assert desk.tick(T0 + 3 * MIN) == [("opened", ("oncall",))]


def test_a_manual_report_gets_the_same_clocks_and_notices(desk: Desk) -> None:
    step = Step(T0, "opened", "users cannot log in", by="ana")
    incident_id = desk.book.open(kind="manual", task=None, host=None, title="VPN down",
                                 severity="critical", step=step)  # fmt: skip
    assert desk.tick(T0) == [("opened", ("oncall",))]
    assert desk.sent[0].title == f"[critical] #{incident_id} VPN down: opened"
    assert desk.tick(T0 + 15 * MIN)[0] == ("escalated", ("leads",))


def test_an_unknown_severity_falls_back_to_the_default_notify_lists(desk: Desk) -> None:
    desk.open(severity="warning")
    assert desk.tick(T0) == [("opened", ("oncall",))]


def test_a_reload_takes_new_commitments(desk: Desk) -> None:
    changed = {**CALENDAR, "severities": {"critical": {"respond": "1h", "resolve": "8h"}}}
    calendar = Calendar.model_validate(changed)
    desk.desk.configure(calendar, Planner(calendar))
    incident_id = desk.open()
    assert desk.tick(T0) == [("opened", ("oncall",))]  # no steps: the default lists
    row = desk.book.get(incident_id)
    assert row is not None and row["respond_due"] == T0 + 60 * MIN


def test_an_announced_incident_across_a_window_is_not_repeated_but_its_due_steps_are(
    desk: Desk,
) -> None:
    evening = T0.replace(hour=0, minute=50)
    incident_id = desk.open(at=evening)
    assert desk.tick(evening) == [("opened", ("oncall",))]
    # 01:00-03:00 the window holds everything; the 15-minute step (10 min used before the
    # window) is due at 03:05 by the clock, not at 01:05 by the wall.
    assert desk.tick(evening + 20 * MIN) == []
    assert desk.tick(T0.replace(hour=3, minute=1)) == []  # nothing new to say at 03:01
    assert desk.tick(T0.replace(hour=3, minute=5))[0] == ("escalated", ("leads",))
    assert desk.steps(incident_id).count("held") == 1


def test_an_acknowledgement_during_a_window_is_told_when_it_closes(desk: Desk) -> None:
    evening = T0.replace(hour=0, minute=50)
    incident_id = desk.open(at=evening)
    desk.tick(evening)
    desk.book.acknowledge(incident_id, Step(evening + 20 * MIN, "acknowledged", by="li"))
    assert desk.tick(evening + 30 * MIN) == []
    assert desk.tick(T0.replace(hour=3, minute=1)) == [("acknowledged", ("oncall",))]
    row = desk.book.get(incident_id)
    assert row is not None and row["respond_clock"] is None  # answered in time: no mark


def test_a_reopened_incident_starts_its_response_over(desk: Desk) -> None:
    incident_id = desk.open()
    desk.tick(T0)
    desk.book.acknowledge(incident_id, Step(T0 + 2 * MIN, "acknowledged", by="ana"))
    desk.tick(T0 + 3 * MIN)
    desk.book.resolve(incident_id, Step(T0 + 30 * MIN, "resolved", status="OK"))
    desk.tick(T0 + 31 * MIN)
    back = T0 + 80 * MIN
    desk.book.reopen(incident_id, Step(back, "reopened", "DISK CRITICAL", "CRITICAL"))
    # Those told hear it is back; nobody is paged for the first opening's clocks.
    assert desk.tick(back) == [("reopened", ("oncall",))]
    row = desk.book.get(incident_id)
    assert row is not None
    assert (row["respond_due"], row["respond_clock"]) == (back + 15 * MIN, None)
    assert desk.tick(back + 15 * MIN)[0] == ("escalated", ("leads",))


def test_a_notice_that_could_not_be_queued_is_decided_again_next_round(desk: Desk) -> None:
    incident_id = desk.open()
    real_send, failures = desk.desk.send, [1]

    def flaky(message: Message) -> int:
        if failures:
            failures.pop()
            raise RuntimeError("database is locked")
        return real_send(message)

    desk.desk.send = flaky
    assert desk.tick(T0) == []
    assert desk.book.get(incident_id)["escalation_step"] == 0  # type: ignore[index]
    assert "notified" not in desk.steps(incident_id)
    assert desk.tick(T0 + MIN) == [("opened", ("oncall",))]
