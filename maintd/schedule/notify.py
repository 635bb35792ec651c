"""The systemd notify protocol, spoken directly: a datagram to $NOTIFY_SOCKET.

No dependency on libsystemd; outside systemd ($NOTIFY_SOCKET unset) every call is a no-op.
A leading '@' names a socket in the abstract namespace.
"""

from __future__ import annotations

import os
import socket
import time


class Notifier:
    """Sends READY, RELOADING, STOPPING, STATUS and WATCHDOG messages to systemd."""

    def __init__(self, address: str | None = None) -> None:
        address = address if address is not None else os.environ.get("NOTIFY_SOCKET")
        if address and address.startswith("@"):
            address = "\0" + address[1:]
        self.address = address or None
        self.watchdog_seconds = _watchdog_seconds()

    def send(self, *fields: str) -> bool:
        """Send ``KEY=value`` fields in one datagram; False when not under systemd."""
        if self.address is None:
            return False
        message = "\n".join(fields).encode()
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            try:
                # Never wait: a receiver whose queue is full would block the main loop, and
                # with it the watchdog pings. A message dropped is the lesser harm.
                sock.sendto(message, socket.MSG_DONTWAIT, self.address)
            except OSError:
                return False
        return True

    def ready(self, status: str) -> None:
        self.send("READY=1", f"STATUS={status}")

    def reloading(self) -> None:
        # systemd ≥ 253 matches RELOADING to READY by this timestamp; older ones ignore it.
        microseconds = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        self.send("RELOADING=1", f"MONOTONIC_USEC={microseconds}")

    def stopping(self) -> None:
        self.send("STOPPING=1")

    def status(self, text: str) -> None:
        self.send(f"STATUS={text}")

    def watchdog(self) -> None:
        self.send("WATCHDOG=1")


def _watchdog_seconds() -> float | None:
    """The watchdog interval systemd asks for, if it is meant for this process."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        return int(usec) / 1_000_000
    except ValueError:
        return None
