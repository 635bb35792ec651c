"""Ledger rows the database refused, kept in order until it takes writes again.

A full disk, a lock held past the busy timeout, a failing device: the fires go on being
scheduled, and each still has to end as one row. ``PendingRows`` keeps what could not be
written — fires recorded without running (the claim itself failed, so the check was not run:
MISSED with the database's reason) and outcomes of runs whose completion failed — and writes
them, oldest first, the next time the pipeline touches the ledger.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from maintd.results import Perfdatum
from maintd.status import Status
from maintd.store.ledger import Claim, FireKey, Ledger, LedgerWriteError, Outcome

PENDING_LIMIT = 100_000  # rows held in memory; past it the oldest are given up (and counted)


@dataclass(frozen=True)
class PendingRecord:
    """A fire that did not run, to be written as ``status`` with ``reason``."""

    fire: FireKey
    trigger: str
    status: Status
    reason: str


@dataclass(frozen=True)
class PendingCompletion:
    """How a claimed fire ended, to be written over its RUNNING row."""

    claim: Claim
    outcome: Outcome
    measurements: tuple[Perfdatum, ...] = ()


Pending = PendingRecord | PendingCompletion


class PendingRows:
    """Rows waiting for the database; safe to use from the fire threads."""

    def __init__(self, limit: int = PENDING_LIMIT) -> None:
        self._rows: deque[Pending] = deque()
        self._limit = limit
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self.given_up = 0  # rows dropped because the backlog was full
        self.reason: str | None = None  # why the last write failed

    def __len__(self) -> int:
        return len(self._rows)

    def add(self, row: Pending, reason: str) -> bool:
        """Keep ``row``; True when it is the first one waiting (the database just failed)."""
        with self._lock:
            first = not self._rows
            if len(self._rows) >= self._limit:
                self._rows.popleft()
                self.given_up += 1
            self._rows.append(row)
            self.reason = reason
            return first

    def flush(self, ledger: Ledger) -> int | None:
        """Write the waiting rows, oldest first; return how many were written, or None when
        nothing was waiting, another thread is already writing them, or the first write
        failed again (the rest stay waiting)."""
        if not self._rows or not self._flushing.acquire(blocking=False):
            return None
        written = 0
        try:
            while self._rows:
                row = self._rows[0]
                try:
                    _write(ledger, row)
                except LedgerWriteError as error:
                    self.reason = error.reason
                    return written or None
                with self._lock:
                    self._rows.popleft()
                written += 1
            self.reason = None
            return written
        finally:
            self._flushing.release()

    def problem(self) -> str | None:
        """One line for a status: why rows are waiting and how many, or None."""
        if not self._rows:
            return None
        return f"ledger not writable ({self.reason}): {len(self._rows)} rows waiting"


def _write(ledger: Ledger, row: Pending) -> None:
    if isinstance(row, PendingRecord):
        ledger.record(row.fire, row.trigger, status=row.status, reason=row.reason)
    else:
        ledger.complete(row.claim, row.outcome, row.measurements)
