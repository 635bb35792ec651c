"""Run results through the responder into the incident book, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from maintd.respond import Policy, Responder, Result
from maintd.status import Status
from maintd.store import IncidentBook, Step
from tests.integration.conftest import Opener

T0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
FIVE_MINUTES = timedelta(minutes=5)


def responder(book: IncidentBook, attempts: int = 1) -> Responder:
    policy = Policy(attempts=attempts, reopen_within=timedelta(minutes=30))
    return Responder(book, lambda _task: policy, lambda _task, status: f"sev-{status.lower()}")


def results(*statuses: Status, start: datetime = T0) -> list[Result]:
    return [
        Result("disk", "db1", status, f"DISK {status} #{index}", start + index * FIVE_MINUTES)
        for index, status in enumerate(statuses)
    ]


def test_a_problem_becomes_one_incident_with_its_whole_story(
    store_url: str, open_ledger: Opener
) -> None:
    book = IncidentBook(open_ledger(store_url).engine)
    respond = responder(book, attempts=2)
    for result in results(Status.OK, Status.WARNING, Status.WARNING, Status.CRITICAL, Status.OK):
        respond.observe(result)
    (incident,) = book.listing(states=["resolved"])
    assert incident["title"] == "disk on db1: WARNING"
    assert incident["severity"] == "sev-warning"
    assert incident["opened_at"] == T0 + timedelta(minutes=10)  # the second WARNING: hard
    assert incident["resolved_at"] == T0 + timedelta(minutes=20)
    steps = [(step["kind"], step["status"]) for step in book.timeline(incident["id"])]
    assert steps == [("opened", "WARNING"), ("changed", "CRITICAL"), ("resolved", "OK")]


def test_a_relapse_reopens_and_a_person_can_acknowledge_and_resolve(
    store_url: str, open_ledger: Opener
) -> None:
    book = IncidentBook(open_ledger(store_url).engine)
    respond = responder(book)
    for result in results(Status.CRITICAL, Status.OK, Status.CRITICAL):
        respond.observe(result)
    (incident,) = book.listing()
    assert (incident["state"], incident["reopened"]) == ("open", 1)
    acknowledged = Step(T0 + timedelta(hours=1), "acknowledged", "on it", by="li")
    book.acknowledge(incident["id"], acknowledged)
    assert book.listing()[0]["acknowledged_by"] == "li"
    # Resolved by a person while the check still fails: the next failure opens it again.
    book.resolve(incident["id"], Step(T0 + timedelta(hours=1, minutes=1), "resolved", by="li"))
    (again,) = respond.observe(*results(Status.CRITICAL, start=T0 + timedelta(hours=1, minutes=5)))
    assert book.current("disk", "db1") is not None
    assert again.kind.value == "reopened"


def test_a_restarted_responder_continues_the_open_incident(
    store_url: str, open_ledger: Opener
) -> None:
    book = IncidentBook(open_ledger(store_url).engine)
    history = results(Status.CRITICAL, Status.CRITICAL)
    first = responder(book)
    for result in history:
        first.observe(result)
    restarted = responder(book)
    restarted.warm(history)
    later = results(Status.CRITICAL, Status.OK, start=T0 + timedelta(minutes=10))
    kinds = [event.kind.value for result in later for event in restarted.observe(result)]
    assert kinds == ["resolved"]  # no second incident for the same problem
    assert len(book.listing(states=["open", "acknowledged", "resolved"])) == 1
