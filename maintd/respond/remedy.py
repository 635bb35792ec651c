"""Automatic remediation: when an incident of a task with `remediate:` opens (or re-opens), its
plugin runs once on the host — restart the service, clear the spool — at most `attempts` times
per incident, and what it did goes into the incident's timeline.

The fix is not trusted blindly: the incident stays open until the task's own check says OK.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from maintd.config.model import Task
from maintd.config.timing import Retries
from maintd.status import Status
from maintd.store import IncidentBook, Step

log = logging.getLogger("maintd.respond")
RunPlugin = Callable[[Task, str], tuple[Status, str]]


def remedy_task(task: Task) -> Task:
    """The task that runs ``task``'s remediation plugin (same name: it is on its behalf)."""
    remedy = task.remediate
    if remedy is None:
        raise ValueError(f"task {task.name} has no remediation")
    return task.model_copy(
        update={
            "check": remedy.check,
            "command": None,
            "params": dict(remedy.params),
            "become": remedy.become,
            "timeout": remedy.timeout,
            "retries": Retries(attempts=0),
        }
    )


def remediate(book: IncidentBook, task: Task, host: str, run: RunPlugin) -> bool:
    """Run ``task``'s remediation on ``host`` for its open incident; False when there is none
    to run (no remediation, no open incident, or its runs are used up)."""
    remedy = task.remediate
    if remedy is None:
        return False
    incident = book.current(task.name, host)
    if incident is None:
        return False
    if not book.count_remediation(incident["id"], remedy.attempts):
        return False
    book.mark(incident["id"], Step(_now(), "remediation-started", f"running {remedy.check}"))
    try:
        status, summary = run(remedy_task(task), host)
    except Exception as error:  # a broken remedy is recorded, never raised into the fire
        log.exception("remediation of %s@%s failed", task.name, host)
        status, summary = Status.ERROR, f"maintd could not run it: {error}"
    text = f"{remedy.check}: {summary}" if summary else remedy.check
    book.mark(incident["id"], Step(_now(), "remediation", text, status.value))
    return True


def _now() -> datetime:
    return datetime.now(UTC)
