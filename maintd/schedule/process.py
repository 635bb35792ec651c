"""The daemon's main thread: signals, the systemd watchdog, periodic housekeeping.

SIGHUP asks for a reload, SIGTERM and SIGINT for a stop; both are only flags here, acted on by
this loop (never inside a signal handler). The watchdog is pinged only while the scheduler's
heartbeat is fresh, so a dead scheduler thread gets the service restarted by systemd.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Protocol

from maintd.schedule.notify import Notifier

log = logging.getLogger("maintd.daemon")
HEARTBEAT_STALE_SECONDS = 10.0
HOUSEKEEPING_SECONDS = 60.0


class Service(Protocol):
    """What the loop drives."""

    def start(self) -> str: ...  # returns the READY status text
    def reload(self) -> str: ...  # returns the status text after the reload (or its refusal)
    def stop(self) -> None: ...
    def heartbeat_age(self) -> float: ...
    def status_text(self) -> str: ...
    def housekeeping(self) -> None: ...
    def problem(self) -> str | None: ...  # what keeps it from doing its work, if anything


def serve(service: Service, notifier: Notifier | None = None, tick: float = 1.0) -> None:
    """Run ``service`` until SIGTERM or SIGINT; reload it on SIGHUP."""
    notifier = notifier or Notifier()
    stop = threading.Event()
    reload = threading.Event()
    previous = {
        signal.SIGTERM: signal.signal(signal.SIGTERM, lambda *_: stop.set()),
        signal.SIGINT: signal.signal(signal.SIGINT, lambda *_: stop.set()),
        signal.SIGHUP: signal.signal(signal.SIGHUP, lambda *_: reload.set()),
    }
    if notifier.watchdog_seconds:
        tick = min(tick, notifier.watchdog_seconds / 3)
    try:
        notifier.ready(service.start())
        last_housekeeping = time.monotonic()
        was_troubled = False
        while not stop.wait(tick):
            if reload.is_set():
                reload.clear()
                notifier.reloading()
                notifier.ready(service.reload())
            troubled = service.problem() is not None
            if troubled != was_troubled:  # a trouble begins or ends: say so now, not in a minute
                notifier.status(service.status_text())
                was_troubled = troubled
            if service.heartbeat_age() >= HEARTBEAT_STALE_SECONDS:
                log.error("scheduler heartbeat is %.0fs old", service.heartbeat_age())
            elif notifier.watchdog_seconds:
                notifier.watchdog()
            if time.monotonic() - last_housekeeping > HOUSEKEEPING_SECONDS:
                service.housekeeping()
                notifier.status(service.status_text())
                last_housekeeping = time.monotonic()
        notifier.stopping()
        service.stop()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
