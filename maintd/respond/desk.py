"""The response desk: the daemon's thread that keeps every incident's response on time.

    incidents (book) ──▶ ResponseDesk.tick() ──▶ escalation.decide() per incident
         silences ──┘            │                    │
                                 ▼                    ▼
                  timeline steps and clock marks   notices ──▶ Notifier queue (apprise)

It wakes every few seconds, and at once when a fire opened, changed or resolved an incident.
Because it reads the incidents from the store each time, incidents opened, acknowledged or
resolved by people (`maintd incidents ...`, another process) are handled the same way as the
daemon's own. Everything it decides is written to the incident (clock marks, escalation step,
what people were told), so a restart neither repeats nor forgets a notice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from maintd.config.model import Calendar
from maintd.plan import Planner
from maintd.respond import message
from maintd.respond.clock import SlaCalendar, SlaClock
from maintd.respond.escalation import WARN_AT, Commitment, Deadlines, Notice, decide
from maintd.respond.notify import Message
from maintd.store import IncidentBook, SilenceBook, Step

log = logging.getLogger("maintd.respond")
Send = Callable[[Message], int]
LogEvent = Callable[[str], None]


class ResponseDesk:
    """Applies the escalation rules to every incident that needs attention."""

    def __init__(
        self, book: IncidentBook, silences: SilenceBook, send: Send, log_event: LogEvent
    ) -> None:
        self.book = book
        self.silences = silences
        self.send = send
        self.log_event = log_event
        self._rules: _Rules | None = None
        self._held: dict[int, str] = {}  # incident id → what holds its notices
        self._deadlines: dict[tuple[int, datetime, str], Deadlines] = {}
        self._reminders: dict[tuple[int, datetime], datetime | None] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one tick at a time (the thread, or a test calling tick)

    def configure(self, calendar: Calendar, planner: Planner) -> None:
        """Take the commitments, windows and notify lists of a (re)loaded calendar."""
        rules = _Rules(calendar, planner)
        with self._lock:
            self._rules = rules
            self._deadlines.clear()
            self._reminders.clear()

    def start(self, every: float) -> None:
        """Tick every ``every`` seconds in a thread of its own (and when woken)."""
        self._thread = threading.Thread(
            target=self._loop, args=(every,), name="maintd-respond", daemon=True
        )
        self._thread.start()

    def wake(self) -> None:
        """Something changed (an incident opened, say): tick now rather than later."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def tick(self, now: datetime | None = None) -> int:
        """One pass over the incidents that need attention; return the notices sent."""
        with self._lock:
            rules = self._rules
            if rules is None:
                return 0
            return self._tick(rules, now or datetime.now(UTC))

    def _loop(self, every: float) -> None:
        while not self._stop.is_set():
            self._wake.wait(every)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.tick()
            except Exception:  # the desk must outlive a database hiccup
                log.exception("response desk tick failed")

    def _tick(self, rules: _Rules, now: datetime) -> int:
        active = self.silences.active(now)
        attended = self.book.needing_attention()
        self._forget_all_but({incident["id"] for incident in attended})
        outcomes: list[_Outcome] = []
        for incident in attended:
            try:
                outcomes.append(self._attend(rules, incident, now, active))
            except Exception:
                log.exception("incident %s: response step failed", incident["id"])
        released: dict[str, list[_Outcome]] = {}
        sent = 0
        for outcome in outcomes:
            if outcome.lifted is not None and outcome.notices:
                released.setdefault(outcome.lifted, []).append(outcome)
            else:
                sent += self._deliver(rules, None, [outcome])
        for reason, group in released.items():
            sent += self._deliver(rules, reason, group)
        self._summarize_ended_silences(now)
        return sent

    def _forget_all_but(self, ids: set[int]) -> None:
        """Drop what is remembered of incidents that no longer need attention."""
        for key in [key for key in self._deadlines if key[0] not in ids]:
            del self._deadlines[key]
        for reminder in [key for key in self._reminders if key[0] not in ids]:
            del self._reminders[reminder]
        for incident_id in [known for known in self._held if known not in ids]:
            del self._held[incident_id]

    def _attend(
        self, rules: _Rules, incident: dict[str, Any], now: datetime, silences: list[dict[str, Any]]
    ) -> _Outcome:
        """Decide what ``incident`` needs (nothing is written yet)."""
        clock = rules.clock(incident)
        hold = _hold(incident, clock, silences, now)
        previous = self._held.pop(incident["id"], None)
        if hold is not None:
            self._held[incident["id"]] = hold
        commitment = rules.commitment(incident["severity"])
        deadlines = self._deadlines_of(incident, commitment, clock)
        decision = decide(incident, commitment, deadlines, now, hold)
        for column in ("respond_due", "resolve_due"):
            if incident[column] != getattr(deadlines, column):
                decision.values[column] = getattr(deadlines, column)
        steps = list(decision.steps)
        if hold != previous:
            if hold is not None:
                steps.append(("held", f"notifications held: {hold}"))
            elif previous is not None:
                steps.append(("released", f"{previous} ended"))
        lifted = previous if hold is None else None
        return _Outcome({**incident, **decision.values}, now, steps, decision.values,
                        decision.notices, lifted)  # fmt: skip

    def _deliver(self, rules: _Rules, released_by: str | None, outcomes: list[_Outcome]) -> int:
        """Queue the outcomes' notices, then record the decisions. A notice is recorded as
        given only once it is queued: when queueing fails, the next round decides again (at
        worst a notice goes twice; it is never lost)."""
        try:
            if released_by is not None and len(outcomes) > 1:
                sent = self._send_released(rules, released_by, outcomes)
            else:
                sent = sum(
                    self._send(rules, outcome.incident, notice)
                    for outcome in outcomes
                    for notice in outcome.notices
                )
        except Exception:
            log.exception("notices could not be queued; the next round tries again")
            return 0
        for outcome in outcomes:
            try:
                self._write(outcome)
            except Exception:
                log.exception("incident %s: could not record its step", outcome.incident["id"])
        return sent

    def _write(self, outcome: _Outcome) -> None:
        """Record a decision: the columns with the first timeline step, then the other steps."""
        incident, values = outcome.incident, outcome.values
        status = incident["status"]
        if outcome.steps:
            (kind, text), *rest = outcome.steps
            self.book.mark(incident["id"], Step(outcome.at, kind, text, status), **values)
            for kind, text in rest:
                self.book.mark(incident["id"], Step(outcome.at, kind, text, status))
        elif values:
            self.book.mark(incident["id"], None, **values)

    def _deadlines_of(
        self, incident: dict[str, Any], commitment: Commitment, clock: SlaClock
    ) -> Deadlines:
        """The incident's deadlines by its clock: computed once per opening, the reminder once
        per notice."""
        opened = incident["clock_started_at"] or incident["opened_at"]
        key = (incident["id"], opened, incident["severity"])
        found = self._deadlines.get(key)
        if found is None:

            def due(budget: timedelta | None) -> datetime | None:
                return None if budget is None else clock.deadline(opened, budget)

            found = Deadlines(
                respond_warn=due(commitment.respond and commitment.respond * WARN_AT),
                respond_due=due(commitment.respond),
                resolve_warn=due(commitment.resolve and commitment.resolve * WARN_AT),
                resolve_due=due(commitment.resolve),
                steps=tuple(due(after) for after, _ in commitment.steps),
            )
            self._deadlines[key] = found
        told = incident["notified_at"]
        if commitment.renotify is None or told is None:
            return found
        reminder_key = (incident["id"], told)
        if reminder_key not in self._reminders:
            for stale in [key for key in self._reminders if key[0] == incident["id"]]:
                del self._reminders[stale]
            self._reminders[reminder_key] = clock.deadline(told, commitment.renotify)
        return replace(found, reminder=self._reminders[reminder_key])

    def _send(self, rules: _Rules, incident: dict[str, Any], notice: Notice) -> int:
        context = rules.context(incident)
        queued = self.send(
            Message(
                incident_id=incident["id"],
                event=notice.event,
                targets=notice.targets,
                title=message.subject(incident, notice.event),
                body=message.body(incident, notice.news, context),
            )
        )
        self.log_event(
            f"notice #{incident['id']} {notice.event} to {', '.join(notice.targets)} "
            f"({queued} deliveries)"
        )
        return 1

    def _send_released(self, rules: _Rules, reason: str, outcomes: list[_Outcome]) -> int:
        """Notices held by one window or silence, sent as one summary per audience."""
        by_targets: dict[tuple[str, ...], list[tuple[dict[str, Any], str]]] = {}
        for outcome in outcomes:
            for notice in outcome.notices:
                entry = (outcome.incident, notice.event)
                by_targets.setdefault(notice.targets, []).append(entry)
        for targets, entries in by_targets.items():
            title = f"{reason} ended: {len(entries)} incident notices"
            body = message.summary_body(reason, entries, rules.zone)
            queued = self.send(Message(None, "released", targets, title, body))
            self.log_event(f"{title} to {', '.join(targets)} ({queued} deliveries)")
        return len(by_targets)

    def _summarize_ended_silences(self, now: datetime) -> None:
        for silence in self.silences.ended(now):
            scope = f"{silence['task'] or 'every task'} on {silence['host'] or 'every host'}"
            self.log_event(f"silence #{silence['id']} ({scope}) ended: {silence['reason']}")
            self.silences.summarized(silence["id"])


@dataclass
class _Outcome:
    """What one round decided for one incident, before it is written."""

    incident: dict[str, Any]  # the row as it will be (decided columns applied)
    at: datetime
    steps: list[tuple[str, str]]
    values: dict[str, Any]
    notices: list[Notice]
    lifted: str | None  # the hold that lifted in this round, if one did


class _Rules:
    """One calendar's response rules, prepared for the desk."""

    def __init__(self, calendar: Calendar, planner: Planner) -> None:
        self.zone = calendar.zone
        self.sla = SlaCalendar(calendar, planner)
        self.severities = calendar.severities
        fallback = tuple(calendar.defaults.notify)
        self.fallback_steps = ((timedelta(0), fallback),) if fallback else ()
        self.runbooks = {task.name: task.runbook for task in calendar.tasks if task.runbook}
        self.public_url = calendar.http.public_url if calendar.http else None
        self._commitments: dict[str, Commitment] = {}

    def commitment(self, severity: str) -> Commitment:
        found = self._commitments.get(severity)
        if found is None:
            named = self.severities.get(severity)
            if named is None:
                found = Commitment(steps=self.fallback_steps)
            else:
                steps = tuple((step.after, tuple(step.notify)) for step in named.escalate)
                found = Commitment(
                    named.respond, named.resolve, steps or self.fallback_steps, named.renotify
                )
            self._commitments[severity] = found
        return found

    def clock(self, incident: dict[str, Any]) -> SlaClock:
        named = self.severities.get(incident["severity"])
        return self.sla.clock(incident["host"], bool(named and named.business_hours))

    def context(self, incident: dict[str, Any]) -> message.Context:
        runbook = self.runbooks.get(incident["task"]) if incident["task"] else None
        return message.Context(self.zone, runbook, self.public_url)


def _hold(
    incident: dict[str, Any], clock: SlaClock, silences: list[dict[str, Any]], now: datetime
) -> str | None:
    window = clock.paused_by(now)
    if window is not None:
        return f"window {window}"
    for silence in silences:
        if silence_matches(silence, incident["task"], incident["host"]):
            return f"silence #{silence['id']} ({silence['reason']})"
    return None


def silence_matches(silence: dict[str, Any], task: str | None, host: str | None) -> bool:
    """Whether ``silence`` holds the notices of an incident of (task, host). A disruptive run's
    silence leaves its own task's incidents audible."""
    if silence["origin_task"] is not None and task == silence["origin_task"]:
        return False
    return (silence["task"] is None or silence["task"] == task) and (
        silence["host"] is None or silence["host"] == host
    )
