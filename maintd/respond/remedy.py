"""Automatic remediation: when an incident of a task with `remediate:` opens (or re-opens), its
plugin runs once on the host — restart the service, clear the spool — at most `attempts` times
per incident, and what it did goes into the incident's timeline. A forecast's `prevent:`
plugin runs the same way for its ``predicted`` incident (``run_for_incident``).

The fix is not trusted blindly: the incident stays open until the task's own check says OK
(or, for a prevention, until the forecasts no longer warn).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from maintd.config.model import Task
from maintd.config.response import Remediation
from maintd.config.timing import Retries
from maintd.status import Status
from maintd.store import IncidentBook, Step

log = logging.getLogger("maintd.respond")
RunPlugin = Callable[[Task, str], tuple[Status, str]]


def helper_task(task: Task, helper: Remediation) -> Task:
    """The task that runs a plugin on ``task``'s behalf (its remediation, its prevention):
    same name, the helper's plugin, parameters and limits, no retries."""
    return task.model_copy(
        update={
            "check": helper.check,
            "command": None,
            "params": dict(helper.params),
            "become": helper.become,
            "timeout": helper.timeout,
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
    return run_for_incident(
        book, incident["id"], task, host, helper=remedy, label="remediation", run=run
    )


def run_for_incident(  # noqa: PLR0913 - the incident, whose helper it is, and how to run it
    book: IncidentBook, incident_id: int, task: Task, host: str, *, helper: Remediation,
    label: str, run: RunPlugin,
) -> bool:  # fmt: skip
    """Run ``helper`` (a remediation or a prevention, named by ``label`` in the timeline) for
    an incident, if it has runs left of its ``attempts``; False when they are used up."""
    if not book.count_remediation(incident_id, helper.attempts):
        return False
    book.mark(incident_id, Step(_now(), f"{label}-started", f"running {helper.check}"))
    try:
        status, summary = run(helper_task(task, helper), host)
    except Exception as error:  # a broken helper is recorded, never raised into the fire
        log.exception("%s of %s@%s failed", label, task.name, host)
        status, summary = Status.ERROR, f"maintd could not run it: {error}"
    text = f"{helper.check}: {summary}" if summary else helper.check
    book.mark(incident_id, Step(_now(), label, text, status.value))
    return True


def _now() -> datetime:
    return datetime.now(UTC)
