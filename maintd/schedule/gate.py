"""Late fires settled in order, and the gate that holds a (task, host)'s scheduled fires until
its late ones are written.

The ledger's rows of one (task, host) must be claimed in the order of their fires: the next
start catches up from each pair's latest row, so a row claimed ahead of an earlier fire that
never got one (the process was killed in between) would hide that fire forever. The late fires
of a pair that runs some of them are settled by one pool task, in order; the pair's scheduled
fires wait at the gate until it is done.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from maintd.schedule.catchup import Action, Overdue
from maintd.schedule.executor import Dropped, FireHandler

Pair = tuple[str, str]  # task, host
Settle = Callable[[Overdue], None]  # runs one late fire as a catch-up, or records it
LATE_WORKERS = 4


class CatchUpGate:
    """Closed for the pairs whose catch-up is pending; opened pair by pair, or all at a stop."""

    def __init__(self) -> None:
        self._closed: dict[Pair, threading.Event] = {}
        self._abandoned = threading.Event()
        self._left: set[Pair] = set()  # pairs still held when the gate was abandoned

    def close(self, pair: Pair) -> None:
        """Hold ``pair``'s scheduled fires until ``open(pair)``."""
        self._closed[pair] = threading.Event()

    def open(self, pair: Pair) -> None:
        """``pair``'s catch-up is written: its scheduled fires may go on."""
        event = self._closed.pop(pair, None)
        if event is not None:
            event.set()

    def wait(self, task: str, host: str) -> bool:
        """Wait until the pair may fire; False when the gate was abandoned (the daemon stops)
        while it waited: the fire then gets no row now, and the next start catches it up."""
        event = self._closed.get((task, host))
        if event is None:
            return True
        event.wait()
        return not self._abandoned.is_set()

    def abandon(self) -> None:
        """Release every waiting fire without letting it run (the daemon is stopping)."""
        self._abandoned.set()
        for pair, event in list(self._closed.items()):
            self._left.add(pair)
            event.set()

    def left_behind(self, task: str, host: str) -> bool:
        """Whether the pair was still held when the gate was abandoned: none of its later fires
        may get a row now (it would stand ahead of the fires left without one)."""
        return (task, host) in self._left


class LateFires:
    """Settles the fires that fell due while maintd was down, each pair's in order, and holds
    each pair's scheduled fires until its own are written."""

    def __init__(self, workers: int = LATE_WORKERS) -> None:
        self.gate = CatchUpGate()
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="maintd-late")

    def settle(self, overdue: list[Overdue], settle: Settle) -> None:
        """Settle ``overdue`` with ``settle``: what comes before a pair's first late run now,
        in this thread; the rest of the pair by a pool task, the pair held at the gate."""
        by_pair: dict[Pair, list[Overdue]] = {}
        for item in overdue:
            by_pair.setdefault((item.fire.task, item.fire.host), []).append(item)
        for pair, items in by_pair.items():
            runs = [index for index, item in enumerate(items) if item.action == Action.RUN]
            first_run = runs[0] if runs else len(items)
            for item in items[:first_run]:
                settle(item)
            if runs:
                self.gate.close(pair)
                self.pool.submit(self._settle_in_order, pair, items[first_run:], settle)

    def held(self, handler: FireHandler) -> FireHandler:
        """``handler``, called once the pair's catch-up is written (never after a stop that
        left the pair at the gate)."""

        def handle(task: str, host: str, run_times: list[datetime]) -> None:
            if self.gate.wait(task, host):
                handler(task, host, run_times)

        return handle

    def held_dropped(self, on_dropped: Dropped) -> Dropped:
        """``on_dropped``, except for pairs a stop left at the gate."""

        def dropped(task: str, host: str, run_times: list[datetime], reason: str) -> None:
            if not self.gate.left_behind(task, host):
                on_dropped(task, host, run_times, reason)

        return dropped

    def stop(self) -> None:
        """Release the held fires without rows; late fires not begun get none either (the next
        start catches both up); the ones being settled finish their pair as it stops."""
        self.gate.abandon()
        self.pool.shutdown(wait=False, cancel_futures=True)

    def _settle_in_order(self, pair: Pair, items: list[Overdue], settle: Settle) -> None:
        try:
            for item in items:
                settle(item)
        finally:
            self.gate.open(pair)
