"""From run results to incident decisions, per (task, host): the state machine, pure.

    finished run ──▶ Tracker.observe() ──▶ events: soft · opened · reopened · changed ·
                                                   resolved · flapping-started · flapping-stopped

- Soft and hard states, as Icinga's max_check_attempts: a non-OK result is *soft* until
  ``attempts`` non-OK results in a row; only then is the problem hard and an incident opens.
- One incident per (task, host) at a time: later non-OK results update it (a changed status is
  a ``changed`` event, the same status again is no event), never open a second one.
- A result that is not OK is a problem whatever its kind: a check that could not run
  (UNREACHABLE, TIMEOUT, ERROR, MISSED) is not a green check. SKIPPED and INTERRUPTED fires say
  nothing about the host and are ignored.
- OK resolves the open incident (a recovery notice). A hard problem within ``reopen_within`` of
  that resolution re-opens the same incident instead of opening a new one.
- Flapping, with hysteresis as in Icinga: over the last ``flap_window`` results, when the share of
  state changes reaches ``flap_high`` the pair is flapping (one notice); while it flaps, opening and
  resolving are recorded but not notified; it stops below ``flap_low``.

The tracker decides; storing incidents, their timeline and notifying are later steps.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from maintd.status import Status

IGNORED = {Status.SKIPPED, Status.INTERRUPTED, Status.RUNNING}


class Kind(StrEnum):
    SOFT = "soft"
    OPENED = "opened"
    REOPENED = "reopened"
    CHANGED = "changed"
    RESOLVED = "resolved"
    FLAPPING_STARTED = "flapping-started"
    FLAPPING_STOPPED = "flapping-stopped"


@dataclass(frozen=True)
class Policy:
    """How results of one task become incidents."""

    attempts: int = 1
    reopen_within: timedelta = timedelta(hours=1)
    flap_window: int = 20
    flap_high: float = 0.5
    flap_low: float = 0.25


@dataclass(frozen=True)
class Result:
    """One finished run, as the tracker needs it."""

    task: str
    host: str
    status: Status
    summary: str
    at: datetime


@dataclass(frozen=True)
class Event:
    """Something the tracker decided; ``notify`` is False for what people need not hear now."""

    kind: Kind
    result: Result
    notify: bool = True
    note: str = ""


@dataclass
class PairState:
    """What the tracker remembers of one (task, host)."""

    bad_in_a_row: int = 0
    last: Status | None = None
    open: bool = False
    resolved_at: datetime | None = None
    flapping: bool = False
    changes: deque[bool] = field(default_factory=deque)  # per result: did the state change?


class Tracker:
    """Keeps the state of every (task, host) and turns each result into events."""

    def __init__(self) -> None:
        self.pairs: dict[tuple[str, str], PairState] = {}

    def observe(self, result: Result, policy: Policy) -> list[Event]:
        """The events one finished run causes."""
        if result.status in IGNORED:
            return []
        state = self.pairs.setdefault((result.task, result.host), PairState())
        bad = result.status != Status.OK
        events = _flapping(state, bad, result, policy)
        if not bad:
            state.bad_in_a_row = 0
            if state.open:
                state.open, state.resolved_at = False, result.at
                events.append(Event(Kind.RESOLVED, result, notify=not state.flapping))
        else:
            state.bad_in_a_row += 1
            event = _problem(state, result, policy)
            if event is not None:
                events.append(event)
        state.last = result.status
        return events


def _problem(state: PairState, result: Result, policy: Policy) -> Event | None:
    quiet = state.flapping
    if state.open:
        # The same problem again is no news; a different status (WARNING → CRITICAL) is.
        if result.status == state.last:
            return None
        return Event(Kind.CHANGED, result, notify=not quiet)
    if state.bad_in_a_row < policy.attempts:
        return Event(Kind.SOFT, result, notify=False)
    state.open = True
    since = state.resolved_at
    recent = since is not None and result.at - since <= policy.reopen_within
    return Event(Kind.REOPENED if recent else Kind.OPENED, result, notify=not quiet)


def _flapping(state: PairState, bad: bool, result: Result, policy: Policy) -> list[Event]:
    was_bad = state.last is not None and state.last != Status.OK
    state.changes.append(state.last is not None and bad != was_bad)
    while len(state.changes) > policy.flap_window:
        state.changes.popleft()
    if len(state.changes) < policy.flap_window:
        return []  # too few results to call it flapping
    share = sum(state.changes) / len(state.changes)
    if not state.flapping and share >= policy.flap_high:
        state.flapping = True
        note = f"state changed in {share:.0%} of the last {policy.flap_window} results"
        return [Event(Kind.FLAPPING_STARTED, result, note=note)]
    if state.flapping and share < policy.flap_low:
        state.flapping = False
        return [Event(Kind.FLAPPING_STOPPED, result, note=f"settled at {result.status}")]
    return []
