"""Forecast signals in, incidents of kind ``predicted`` / ``anomaly`` out.

    Forecaster ──Judgement──▶ ForesightDesk.apply ──▶ IncidentBook (opened, re-opened, resolved)

One incident per (kind, task, host), beside the task's own check incidents: a disk that is
filling is not the disk that is full. A *warn* opens it (or re-opens one resolved less than
`reopen_within` ago, so a wavering forecast keeps one story) and keeps its summary — when,
how sure, why — up to date without a timeline entry per forecast; two *clear*s in a row
resolve it; *hold* changes nothing. The response desk then notifies, escalates and keeps
the SLA clocks exactly as for any other incident.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from maintd.predict.signal import Signal, resolves
from maintd.store.incidents import IncidentBook, Step


class Change(StrEnum):
    """What a judgement did to its incident."""

    OPENED = "opened"
    REOPENED = "reopened"
    UPDATED = "updated"
    RESOLVED = "resolved"
    NONE = "none"


@dataclass(frozen=True)
class Judgement:
    """One forecast's meaning for the incident of its series."""

    kind: str  # predicted | anomaly
    task: str
    host: str
    at: datetime
    signal: Signal
    previous: Signal | None  # the series' signal before this one
    title: str
    summary: str  # when, how sure, and why
    severity: str
    reopen_within: timedelta


class ForesightDesk:
    """Applies judgements to the incident book; safe to call from the fire threads."""

    def __init__(self, book: IncidentBook) -> None:
        self.book = book
        self._lock = threading.Lock()  # no two threads open the same series' incident

    def apply(self, judgement: Judgement) -> tuple[Change, int | None]:
        """Open, update, re-open or resolve the series' incident; return what changed and the
        incident's id (None when there is none)."""
        with self._lock:
            return self._apply(judgement)

    def _apply(self, said: Judgement) -> tuple[Change, int | None]:
        book = self.book
        status = said.kind.upper()  # PREDICTED, ANOMALY
        current = book.current(said.task, said.host, said.kind)
        if said.signal is Signal.WARN:
            if current is not None:
                book.mark(current["id"], None, summary=said.summary, severity=said.severity)
                return Change.UPDATED, current["id"]
            step = Step(said.at, "opened", said.summary, status)
            last = book.last_resolved(said.task, said.host, said.kind)
            if last is not None and said.at - last["resolved_at"] <= said.reopen_within:
                book.reopen(last["id"], Step(said.at, "reopened", said.summary, status),
                            severity=said.severity)  # fmt: skip
                return Change.REOPENED, last["id"]
            opened = book.open(kind=said.kind, task=said.task, host=said.host, title=said.title,
                               severity=said.severity, step=step)  # fmt: skip
            return Change.OPENED, opened
        if current is None:
            return Change.NONE, None
        if resolves(said.signal, said.previous):
            book.resolve(current["id"], Step(said.at, "resolved", said.summary, status))
            return Change.RESOLVED, current["id"]
        return Change.NONE, current["id"]
