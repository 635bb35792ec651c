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
    assert incident["severity"] == "sev-critical"  # what its latest status calls for
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


def test_retention_removes_long_closed_incidents_with_their_story_and_keeps_open_ones(
    store_url: str, open_ledger: Opener
) -> None:
    from maintd.store import DeliveryBook, SilenceBook, apply_retention  # noqa: PLC0415

    engine = open_ledger(store_url).engine
    book, deliveries, silences = IncidentBook(engine), DeliveryBook(engine), SilenceBook(engine)
    old = book.open(kind="check", task="disk", host="db1", title="old", severity="s",
                    step=Step(T0, "opened", "x", "CRITICAL"))  # fmt: skip
    book.resolve(old, Step(T0 + FIVE_MINUTES, "resolved", "", "OK"))
    still_open = book.open(kind="manual", task=None, host=None, title="open", severity="s",
                           step=Step(T0, "opened", "y"))  # fmt: skip
    for incident_id in (old, still_open):
        delivery = deliveries.queue(
            incident_id=incident_id, event="opened", target="ops", url_index=0,
            endpoint="json://x", title="t", body="b", at=T0,
        )  # fmt: skip
        deliveries.record_attempt(delivery, at=T0, ok=True, error=None, duration=0.1, next_at=None)
    silences.add(task=None, host="db1", starts_at=T0, ends_at=T0 + FIVE_MINUTES, reason="r",
                 by=None)  # fmt: skip
    pruned = apply_retention(
        engine, runs_for=timedelta(days=400), metrics_for=timedelta(days=30),
        hourly_for=timedelta(days=730), incidents_for=timedelta(days=30),
        now=T0 + timedelta(days=31),
    )  # fmt: skip
    assert pruned.incidents == 1
    assert book.get(old) is None and book.timeline(old) == []
    assert book.get(still_open) is not None and len(book.timeline(still_open)) == 1
    assert [row["incident_id"] for row in deliveries.listing()] == [still_open]
    assert silences.listing(T0, include_ended=True) == []


def test_flapping_that_ends_while_resolved_clears_the_flag_and_a_relapse_is_audible(
    store_url: str, open_ledger: Opener
) -> None:
    book = IncidentBook(open_ledger(store_url).engine)
    policy = Policy(reopen_within=timedelta(hours=2), flap_window=4, flap_high=0.5, flap_low=0.25)
    respond = Responder(book, lambda _task: policy, lambda _task, _status: "s")
    flapping = [Status.CRITICAL, Status.OK, Status.CRITICAL, Status.OK, Status.OK, Status.OK,
                Status.OK, Status.OK]  # fmt: skip
    for result in results(*flapping):
        respond.observe(result)
    (incident,) = book.listing(states=["resolved"])
    kinds = [step["kind"] for step in book.timeline(incident["id"])]
    assert "flapping-started" in kinds and "flapping-stopped" in kinds
    assert incident["flapping"] == 0
    respond.observe(results(Status.CRITICAL, start=T0 + timedelta(minutes=45))[0])
    (reopened,) = book.listing()
    assert (reopened["id"], reopened["flapping"], reopened["state"]) == (incident["id"], 0, "open")
