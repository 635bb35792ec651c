"""A post-mortem draft of one incident, in Markdown: what the book knows written down, and
prompts for what only people know (the root cause, what to change).

Takes the incident row, its timeline, the runs of its (task, host) while it lasted and the
notifications about it (plain dicts from the store); returns text. No database, no clock: the
caller passes ``now`` (for deadlines still running and the "written at" line).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from maintd.config.types import format_duration
from maintd.report import kpi
from maintd.status import Status

Row = Mapping[str, Any]

# The tracker's own reading of a result: these say nothing about the check's health.
NOT_FAILING = {Status.OK, Status.SKIPPED, Status.INTERRUPTED, Status.RUNNING}
# Steps that are something people (or maintd on their behalf) did about the incident.
ACTION_KINDS = {"acknowledged", "note", "remediation", "escalated"}
NONE = "—"


def write_postmortem(  # noqa: PLR0913 - the incident, what the store holds about it, and time
    incident: Row,
    timeline: Sequence[Row],
    runs: Sequence[Row],
    deliveries: Sequence[Row],
    zone: tzinfo,
    *,
    now: datetime | None = None,
) -> str:
    """Return the Markdown post-mortem of ``incident``.

    ``timeline`` is its steps oldest first (``IncidentBook.timeline``), ``runs`` the runs of its
    (task, host) while it lasted, ``deliveries`` its notifications; times are shown in ``zone``.
    ``now`` (default: the current time) decides whether an unmet deadline is still running.
    """
    moment = now or datetime.now(UTC)
    sections = [
        f"# Post-mortem: incident {incident['id']} — {_inline(incident['title'])}",
        f"_Draft written {_local(moment, zone)} by maintd from the incident's record._",
        _summary(incident, timeline, zone),
        _impact(incident, runs, zone),
        _timeline(timeline, zone),
        _sla(incident, timeline, zone, moment),
        _notifications(deliveries, zone),
        _actions(timeline, zone),
        ROOT_CAUSE,
        FOLLOW_UP,
    ]
    return "\n\n".join(sections) + "\n"


ROOT_CAUSE = """## Root cause

_To fill in: what failed, and why? Why then? Could a check have seen it coming sooner?_"""

FOLLOW_UP = """## Follow-up actions

_To fill in: what changes so that this does not happen again, or is caught earlier._

| Action | Owner | Due | Done |
|---|---|---|---|
| | | | |"""


def _summary(incident: Row, timeline: Sequence[Row], zone: tzinfo) -> str:
    opened = incident["opened_at"]
    acknowledged = kpi.first_acknowledgement(incident, timeline)
    resolved = incident["resolved_at"]
    by = _first_acknowledger(incident, timeline)
    facts = [
        ("Title", _inline(incident["title"])),
        ("Kind", incident["kind"]),
        ("Task", incident["task"] or NONE),
        ("Host", incident["host"] or NONE),
        ("Severity", incident["severity"]),
        ("State", incident["state"]),
        ("Opened", _local(opened, zone)),
        ("Acknowledged", _local(acknowledged, zone) + (f" by {by}" if acknowledged and by else "")),
        ("Resolved", _local(resolved, zone)),
        ("Time to acknowledge", _took(opened, acknowledged)),
        ("Time to resolve", _took(opened, resolved)),
        ("Re-opened", f"{incident['reopened']} time(s)"),
    ]
    return "## Summary\n\n" + "\n".join(f"- **{label}:** {value}" for label, value in facts)


def _first_acknowledger(incident: Row, timeline: Sequence[Row]) -> str | None:
    # The first acknowledgement's author, like its time: re-opening clears the row's.
    for step in timeline:
        if step["kind"] == "acknowledged":
            return step["by"] or incident.get("acknowledged_by")
    return incident.get("acknowledged_by")


def _impact(incident: Row, runs: Sequence[Row], zone: tzinfo) -> str:
    if not runs:
        return "## Impact\n\nNo runs of a task were recorded while the incident lasted."
    counts = Counter(run["status"] for run in runs)
    failing = [run for run in runs if run["status"] not in NOT_FAILING]
    pairs = sorted({f"{run['task']} on {run['host']}" for run in runs})
    lines = [
        f"- **Runs while it lasted:** {len(runs)} ("
        + ", ".join(f"{status} {count}" for status, count in sorted(counts.items()))
        + ")",
        f"- **First failing run:** {_run_line(failing[0], zone) if failing else NONE}",
        f"- **Last failing run:** {_run_line(failing[-1], zone) if failing else NONE}",
        f"- **Affected:** {', '.join(pairs)}",
    ]
    return "## Impact\n\n" + "\n".join(lines)


def _timeline(timeline: Sequence[Row], zone: tzinfo) -> str:
    rows = [
        [_local(step["at"], zone), step["kind"], step["status"] or "", step["by"] or "maintd",
         step["text"] or ""]
        for step in timeline
    ]  # fmt: skip
    return "## Timeline\n\n" + _table(["Time", "Step", "Status", "By", "Text"], rows)


def _sla(incident: Row, timeline: Sequence[Row], zone: tzinfo, now: datetime) -> str:
    clocks = [
        ("Respond", incident.get("respond_due"), kpi.first_response(incident, timeline)),
        ("Resolve", incident.get("resolve_due"), incident["resolved_at"]),
    ]
    rows = [
        [name, _local(due, zone), _local(actual, zone), kpi.judge_deadline(actual, due, now)]
        for name, due, actual in clocks
    ]
    return "## SLA\n\n" + _table(["Clock", "Due", "Actual", "Outcome"], rows)


def _notifications(deliveries: Sequence[Row], zone: tzinfo) -> str:
    if not deliveries:
        return "## Notifications\n\nNo notifications were queued about this incident."
    headers = ["Time", "Event", "Target", "Endpoint", "State", "Attempts", "Last error"]
    rows = [
        [_local(item["created_at"], zone), item["event"], item["target"], item["endpoint"],
         item["state"], str(item["attempts"]), item["last_error"] or ""]
        for item in deliveries
    ]  # fmt: skip
    return "## Notifications\n\n" + _table(headers, rows)


def _actions(timeline: Sequence[Row], zone: tzinfo) -> str:
    taken = [step for step in timeline if _is_action(step)]
    if not taken:
        return "## Actions taken\n\nNo actions were recorded."
    lines = []
    for step in taken:
        who = f" by {step['by']}" if step["by"] else ""
        text = f": {_inline(step['text'])}" if step["text"] else ""
        lines.append(f"- {_local(step['at'], zone)} — {step['kind']}{who}{text}")
    return "## Actions taken\n\n" + "\n".join(lines)


def _is_action(step: Row) -> bool:
    # A person resolving or re-opening by hand acted too; maintd doing it on a result did not.
    return step["kind"] in ACTION_KINDS or (
        step["kind"] in {"resolved", "reopened"} and step["by"] is not None
    )


def _run_line(run: Row, zone: tzinfo) -> str:
    summary = _inline(run["summary"] or run["reason"] or "")
    return f"{_local(run['scheduled_for'], zone)} {run['status']}" + (
        f" — {summary}" if summary else ""
    )


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = [_table_line(headers), "|" + "---|" * len(headers)]
    lines.extend(_table_line(row) for row in rows)
    return "\n".join(lines)


def _table_line(cells: Sequence[str]) -> str:
    return "| " + " | ".join(escape_cell(cell) for cell in cells) + " |"


def escape_cell(text: str) -> str:
    """Make ``text`` safe inside a Markdown table cell: ``|`` escaped, line breaks as ``<br>``."""
    lines = str(text).replace("\\", "\\\\").replace("|", "\\|").splitlines()
    return "<br>".join(line.strip() for line in lines)


def _inline(text: str | None) -> str:
    return " ".join((text or "").split())


def _local(moment: datetime | None, zone: tzinfo) -> str:
    return moment.astimezone(zone).isoformat(timespec="seconds") if moment else NONE


def _took(start: datetime, end: datetime | None) -> str:
    if end is None:
        return NONE
    seconds = (end - start).total_seconds()
    return f"{format_duration(timedelta(seconds=seconds))} ({seconds:.0f} s)"
