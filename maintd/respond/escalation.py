"""What one incident needs now — who is told what, which clock warns or breaches — decided
from its row, its commitment and the time; pure, so every transition is tested without a daemon.

The rules, in order:

1. **SLA clocks** run while unresolved (respond: until acknowledged). At 80 % of a commitment a
   warning, at 100 % a breach: each recorded once in the timeline and told (a breach during a
   hold is recorded and told when the hold lifts; pausing windows stop the clocks anyway).
2. **Holds**: while its host is in a pausing window or a silence matches it, nothing is sent; a
   flapping incident is announced once to those already told, then held until it settles.
   Nothing is lost: what people were last told is kept on the incident (``notified_*``), so
   when the hold lifts the difference is sent once (still failing, or recovered meanwhile),
   and a problem that came and went unseen is never announced.
3. **Escalation**: the severity's steps are reached by clock time since opening; each step
   reached while unacknowledged notifies its lists (the first one is the "opened" notice).
   Acknowledging stops the steps; a severity without steps notifies ``defaults.notify``.
4. **News** for the people already told: acknowledged, resolved, re-opened, status changed,
   flapping started and stopped; ``renotify`` repeats an unacknowledged incident's notice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from maintd.config.types import format_duration
from maintd.respond.message import describe

OPEN_STATES = ("open", "acknowledged")
WARN_AT = 0.8  # share of a commitment used when the warning goes out


@dataclass(frozen=True)
class Commitment:
    """An incident's severity, as the decisions need it (None: no commitment)."""

    respond: timedelta | None = None
    resolve: timedelta | None = None
    steps: tuple[tuple[timedelta, tuple[str, ...]], ...] = ()
    renotify: timedelta | None = None


@dataclass(frozen=True)
class Deadlines:
    """When an incident's clocks warn and run out, and when its escalation steps are due (by
    the incident's clock: pauses counted in). None: never (no commitment, or a clock that does
    not run)."""

    respond_warn: datetime | None = None
    respond_due: datetime | None = None
    resolve_warn: datetime | None = None
    resolve_due: datetime | None = None
    steps: tuple[datetime | None, ...] = ()
    reminder: datetime | None = None  # the next `renotify`, by the clock since the last notice


@dataclass(frozen=True)
class Notice:
    """One message to send: its event, the notify lists it goes to, and the news."""

    event: str
    targets: tuple[str, ...]
    news: str


@dataclass
class Decision:
    """The outcome for one incident: timeline steps (kind, text), columns to set, notices."""

    steps: list[tuple[str, str]] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)


def decide(
    incident: dict[str, Any],
    commitment: Commitment,
    deadlines: Deadlines,
    now: datetime,
    hold: str | None,
) -> Decision:
    """What ``incident`` needs at ``now``; ``hold`` names what holds its notices, if anything."""
    decision = Decision()
    if hold is not None:
        return decision  # even clock marks wait: a breach during a silence is told when it ends
    sla = _clocks(incident, deadlines, now, decision)
    told = _union(commitment.steps[: incident["escalation_step"]])
    if incident["flapping"]:
        # A flapping problem is announced once to those told already, then held until it
        # settles; one that began flapping before anyone heard of it stays unannounced.
        if told and not incident["notified_flapping"]:
            decision.values["notified_flapping"] = 1
            text = "the check keeps changing state; notices are held until it settles"
            decision.notices.append(Notice("flapping", told, text))
        return decision
    _escalate(incident, commitment, deadlines, now, decision)
    reached = decision.values.get("escalation_step", incident["escalation_step"])
    audience = _union(commitment.steps[:reached])
    if not audience:
        return decision  # nobody has been told yet: there is nobody to tell news to
    for event, news in sla:
        decision.notices.append(Notice(event, audience, news))
    _news(incident, now, told, decision)
    if not decision.notices:
        _reminder(incident, deadlines, now, audience, decision)
    return decision


def _clocks(
    incident: dict[str, Any], deadlines: Deadlines, now: datetime, decision: Decision
) -> list[tuple[str, str]]:
    news: list[tuple[str, str]] = []
    if incident["state"] not in OPEN_STATES:
        return news
    clocks = [("resolve", deadlines.resolve_warn, deadlines.resolve_due)]
    if incident["state"] == "open":
        clocks.insert(0, ("respond", deadlines.respond_warn, deadlines.respond_due))
    for name, warn, due in clocks:
        column = f"{name}_clock"
        if due is None:
            continue
        if now >= due and incident[column] != "breached":
            text = f"{name} commitment breached: it was due {due.isoformat(timespec='seconds')}"
            decision.values[column] = "breached"
        elif warn is not None and now >= warn and incident[column] is None and now < due:
            text = (
                f"{WARN_AT:.0%} of the {name} commitment used: due "
                f"{due.isoformat(timespec='seconds')}"
            )
            decision.values[column] = "warned"
        else:
            continue
        kind = "sla-breach" if decision.values[column] == "breached" else "sla-warning"
        decision.steps.append((kind, text))
        news.append((kind, text))
    return news


def _escalate(
    incident: dict[str, Any],
    commitment: Commitment,
    deadlines: Deadlines,
    now: datetime,
    decision: Decision,
) -> None:
    if incident["state"] != "open":
        return  # acknowledged (someone is on it) or resolved: no further steps
    reached = incident["escalation_step"]
    due = sum(1 for at in deadlines.steps if at is not None and at <= now)
    if due <= reached:
        return
    targets = _union(commitment.steps[reached:due])
    if reached == 0:
        event = "reopened" if incident["notified_state"] == "resolved" else "opened"
        news = f"{describe(incident)} is {incident['status'] or 'reported'}"
    else:
        after = commitment.steps[due - 1][0]
        event = "escalated"
        news = f"not acknowledged after {format_duration(after)}: escalated to {', '.join(targets)}"
    decision.values.update(
        escalation_step=due, notified_state="open", notified_status=incident["status"],
        notified_at=now, notified_flapping=incident["flapping"],
    )  # fmt: skip
    kind = "escalated" if reached else "notified"
    decision.steps.append((kind, f"{event}: {', '.join(targets)}"))
    decision.notices.append(Notice(event, targets, news))


def _news(
    incident: dict[str, Any], now: datetime, told: tuple[str, ...], decision: Decision
) -> None:
    """Tell the people already told what changed since."""
    if not told:
        return
    state = incident["state"]
    was = incident["notified_state"]
    news: list[tuple[str, str]] = []
    if incident["notified_flapping"]:
        news.append(("flapping-stopped", f"settled at {incident['status']}"))
    if state != was:
        if state == "resolved":
            news.append(("resolved", "resolved"))
        elif state == "acknowledged":
            news.append(("acknowledged", f"acknowledged by {incident['acknowledged_by'] or '?'}"))
        elif was in ("resolved", "acknowledged"):
            news.append(("reopened", f"{describe(incident)} is {incident['status']} again"))
    elif state != "resolved" and incident["status"] != incident["notified_status"]:
        news.append(("changed", f"now {incident['status']} (was {incident['notified_status']})"))
    if not news:
        return
    decision.values.update(
        notified_state=state, notified_status=incident["status"], notified_at=now,
        notified_flapping=0,
    )  # fmt: skip
    for event, text in news:
        decision.notices.append(Notice(event, told, text))


def _reminder(
    incident: dict[str, Any],
    deadlines: Deadlines,
    now: datetime,
    audience: tuple[str, ...],
    decision: Decision,
) -> None:
    due = deadlines.reminder
    if incident["state"] != "open" or due is None or now < due:
        return
    decision.values["notified_at"] = now
    decision.notices.append(
        Notice("reminder", audience, f"still {incident['status']}, not acknowledged")
    )


def _union(steps: tuple[tuple[timedelta, tuple[str, ...]], ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(target for _, targets in steps for target in targets))
