"""The incident state machine: soft and hard states, one incident per pair, recovery,
re-opening, flapping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from maintd.respond import Kind, Policy, Result, Tracker
from maintd.status import Status

T0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
OK, WARN, CRIT = Status.OK, Status.WARNING, Status.CRITICAL
FIVE_MINUTES = timedelta(minutes=5)


def feed(
    tracker: Tracker, statuses: list[Status], policy: Policy, every: timedelta = FIVE_MINUTES
) -> list[tuple[Kind, bool]]:
    """(kind, notify) of every event the results cause, in order."""
    events = []
    for index, status in enumerate(statuses):
        result = Result("disk", "db1", status, f"{status} #{index}", T0 + index * every)
        events += tracker.observe(result, policy)
    return [(event.kind, event.notify) for event in events]


def test_a_problem_is_soft_until_it_repeats_attempts_times() -> None:
    events = feed(Tracker(), [OK, CRIT, CRIT, CRIT, CRIT], Policy(attempts=3))
    assert events == [(Kind.SOFT, False), (Kind.SOFT, False), (Kind.OPENED, True)]


def test_one_soft_failure_then_recovery_opens_nothing() -> None:
    assert feed(Tracker(), [CRIT, OK, CRIT, OK], Policy(attempts=2)) == [
        (Kind.SOFT, False),
        (Kind.SOFT, False),
    ]


def test_one_incident_per_pair_changes_are_news_repeats_are_not() -> None:
    events = feed(Tracker(), [WARN, WARN, CRIT, CRIT, WARN], Policy())
    assert events == [(Kind.OPENED, True), (Kind.CHANGED, True), (Kind.CHANGED, True)]


def test_a_check_that_cannot_run_is_a_problem_skips_and_interruptions_are_not() -> None:
    tracker = Tracker()
    policy = Policy()
    assert feed(tracker, [Status.SKIPPED, Status.INTERRUPTED], policy) == []
    assert feed(tracker, [Status.UNREACHABLE], policy) == [(Kind.OPENED, True)]
    assert feed(Tracker(), [Status.MISSED], policy) == [(Kind.OPENED, True)]


def test_recovery_resolves_and_a_quick_relapse_reopens() -> None:
    policy = Policy(reopen_within=timedelta(minutes=30))
    events = feed(Tracker(), [CRIT, OK, CRIT], policy)
    assert events == [(Kind.OPENED, True), (Kind.RESOLVED, True), (Kind.REOPENED, True)]
    late = feed(Tracker(), [CRIT, OK, CRIT], policy, every=timedelta(hours=1))
    assert late == [(Kind.OPENED, True), (Kind.RESOLVED, True), (Kind.OPENED, True)]


def test_flapping_notifies_once_then_stays_quiet_until_it_settles() -> None:
    policy = Policy(flap_window=6, flap_high=0.5, flap_low=0.25)
    tracker = Tracker()
    events = feed(tracker, [OK, CRIT, OK, CRIT, OK, CRIT, OK, CRIT], policy)
    notified = [kind for kind, notify in events if notify]
    # Open and resolve are told until the window shows flapping; then only the flapping notice.
    assert Kind.FLAPPING_STARTED in notified
    after = events[events.index((Kind.FLAPPING_STARTED, True)) + 1 :]
    assert after and not any(notify for _, notify in after)
    settled = feed(tracker, [OK] * 6, policy)
    assert (Kind.FLAPPING_STOPPED, True) in settled
