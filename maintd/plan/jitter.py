"""Deterministic jitter: each (task, host) gets the same offset every time it is computed, so
`maintd plan`, the daemon and a restarted daemon all agree on the minute a fire runs."""

from __future__ import annotations

import hashlib
from datetime import timedelta


def jitter_offset(task: str, host: str, jitter: timedelta) -> timedelta:
    """Return a whole-second offset in [0, jitter) derived from the task and host names."""
    span = int(jitter.total_seconds())
    if span <= 0:
        return timedelta(0)
    digest = hashlib.blake2b(f"{task}\0{host}".encode(), digest_size=8).digest()
    return timedelta(seconds=int.from_bytes(digest, "big") % span)
