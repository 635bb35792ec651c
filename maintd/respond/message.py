"""What a notification says: one incident's news, written for the person who has to act.

Every message carries the incident's number (and link, when the daemon has a public URL), host,
task, status and summary, severity with its SLA deadlines in the calendar's local time, the
runbook, and the news itself (opened, escalated, SLA breached, resolved, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

HEADLINES = {
    "opened": "opened",
    "escalated": "escalated",
    "reopened": "re-opened",
    "changed": "status changed",
    "acknowledged": "acknowledged",
    "resolved": "resolved",
    "flapping": "flapping",
    "flapping-stopped": "stopped flapping",
    "sla-warning": "SLA warning",
    "sla-breach": "SLA breached",
    "reminder": "still open",
    "released": "still open after maintenance",
}


@dataclass(frozen=True)
class Context:
    """What a message needs besides the incident row."""

    zone: tzinfo
    runbook: str | None = None
    public_url: str | None = None


def subject(incident: dict[str, Any], event: str) -> str:
    """One line: ``[CRITICAL] #12 disk on db1: opened``."""
    status = incident["status"] or incident["severity"]
    return f"[{status}] #{incident['id']} {describe(incident)}: {HEADLINES.get(event, event)}"


def body(incident: dict[str, Any], news: str, context: Context) -> str:
    """The message text: the news first, then everything needed to act on it."""
    lines = [news, ""] if news else []
    lines.append(f"Incident #{incident['id']}: {incident['title']}")
    if incident["host"]:
        lines.append(f"Host: {incident['host']}")
    if incident["task"]:
        lines.append(f"Task: {incident['task']}")
    if incident["status"]:
        summary = " ".join((incident["summary"] or "").split())[:500]
        lines.append(f"Status: {incident['status']}" + (f" - {summary}" if summary else ""))
    lines.append(f"Severity: {incident['severity']} (state: {incident['state']})")
    for label, key in (("Respond by", "respond_due"), ("Resolve by", "resolve_due")):
        if incident.get(key):
            lines.append(f"{label}: {_local(incident[key], context.zone)}")
    if context.runbook:
        lines.append(f"Runbook: {context.runbook}")
    if context.public_url:
        lines.append(f"Link: {context.public_url.rstrip('/')}/incidents/{incident['id']}")
    lines.append(f"Acknowledge: maintd incidents ack {incident['id']}")
    return "\n".join(lines)


def summary_body(reason: str, items: list[tuple[dict[str, Any], str]], zone: tzinfo) -> str:
    """One message for many incidents released at once (a window or a silence ended)."""
    lines = [f"{reason} ended; {len(items)} incidents need attention:", ""]
    for incident, event in items:
        status = incident["status"] or "-"
        summary = " ".join((incident["summary"] or "").split())[:200]
        due = incident.get("resolve_due")
        deadline = f" (resolve by {_local(due, zone)})" if due else ""
        lines.append(
            f"#{incident['id']} {describe(incident)} {status}, {HEADLINES.get(event, event)}"
            f"{deadline}: {summary}"
        )
    return "\n".join(lines)


def describe(incident: dict[str, Any]) -> str:
    """What an incident is about in a few words: ``disk on db1``, ``disk on db1 (predicted)``,
    or a reported title."""
    if incident["task"] and incident["host"]:
        kind = incident.get("kind", "check")
        suffix = f" ({kind})" if kind not in ("check", "manual") else ""
        return f"{incident['task']} on {incident['host']}{suffix}"
    return str(incident["title"])


def _local(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
