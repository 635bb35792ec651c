"""Run results in, incidents out: the tracker's decisions written to the incident book.

    FireProcessor ──result──▶ Responder.observe ──▶ Tracker ──events──▶ IncidentBook
                                                                 └──▶ (notifications, later)

After a restart the tracker's memory is rebuilt from the ledger (the last results of every
pair, replayed) and from the book (which incidents are still open), so a problem that began
before the restart neither opens a second incident nor is forgotten.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from maintd.respond.tracker import Event, Kind, PairState, Policy, Result, Tracker
from maintd.status import Status
from maintd.store.incidents import IncidentBook, Step

PolicyFor = Callable[[str], Policy]
SeverityFor = Callable[[str, Status], str]


class Responder:
    """Turns finished runs into incidents; safe to call from the fire threads."""

    def __init__(self, book: IncidentBook, policy_for: PolicyFor, severity_for: SeverityFor):
        self.book = book
        self.policy_for = policy_for
        self.severity_for = severity_for
        self.tracker = Tracker()
        self._lock = threading.Lock()  # one pair's results are applied in order

    def warm(self, history: Iterable[Result]) -> None:
        """Rebuild the tracker's memory from past results (oldest first) without acting on
        them; then take which incidents are open from the book."""
        with self._lock:
            for result in history:
                self.tracker.observe(result, self.policy_for(result.task))
            for (task, host), state in self.tracker.pairs.items():
                self._sync(state, task, host)

    def observe(self, result: Result) -> list[Event]:
        """Apply one finished run; return the events it caused."""
        with self._lock:
            state = self.tracker.pairs.get((result.task, result.host))
            # A person may have resolved the incident meanwhile. Only an open incident or a new
            # problem needs the book's word: the usual OK of a quiet pair costs no query.
            if state is not None and (state.open or result.status != Status.OK):
                self._sync(state, result.task, result.host)
            events = self.tracker.observe(result, self.policy_for(result.task))
            for event in events:
                self._record(event)
        return events

    def _sync(self, state: PairState, task: str, host: str) -> None:
        """Take from the book whether the pair has an open incident, and when it was last
        resolved (the book is the truth: people resolve incidents too)."""
        state.open = self.book.current(task, host) is not None
        if not state.open:
            resolved = self.book.last_resolved(task, host)
            state.resolved_at = resolved["resolved_at"] if resolved else None

    def _record(self, event: Event) -> None:
        result = event.result
        step = Step(result.at, event.kind.value, event.note or result.summary, result.status)
        if event.kind == Kind.OPENED:
            self.book.open(
                kind="check", task=result.task, host=result.host,
                title=f"{result.task} on {result.host}: {result.status}",
                severity=self.severity_for(result.task, result.status), step=step,
            )  # fmt: skip
            return
        severity = self.severity_for(result.task, result.status)
        if event.kind == Kind.REOPENED:
            resolved = self.book.last_resolved(result.task, result.host)
            if resolved is not None:
                state = self.tracker.pairs[(result.task, result.host)]
                self.book.reopen(resolved["id"], step, severity=severity, flapping=state.flapping)
            return
        if event.kind == Kind.SOFT:
            return  # soft results stay in the ledger
        current = self.book.current(result.task, result.host)
        if event.kind in (Kind.FLAPPING_STARTED, Kind.FLAPPING_STOPPED):
            # Flapping may start or stop while the incident is resolved: mark that one, so the
            # flag never outlives the flapping.
            target = current or self.book.last_resolved(result.task, result.host)
            if target is not None:
                flapping = event.kind == Kind.FLAPPING_STARTED
                self.book.set_flapping(target["id"], flapping, step)
        elif current is None:
            return
        elif event.kind == Kind.CHANGED:
            changed = severity if severity != current["severity"] else None
            self.book.update(current["id"], step, severity=changed)
        elif event.kind == Kind.RESOLVED:
            self.book.resolve(current["id"], step)
