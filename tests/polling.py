"""Waiting for something the test cannot be told about: poll it, with a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(
    condition: Callable[[], object],
    seconds: float,
    what: str | Callable[[], str],
    *,
    every: float = 0.2,
    meanwhile: Callable[[], None] | None = None,
) -> float:
    """Poll ``condition`` every ``every`` s until it holds and return how long that took; fail
    naming ``what`` (or what it returns, read only then) after ``seconds``. ``meanwhile`` runs
    each round, e.g. to fail at once when the process being waited on has died."""
    started = time.monotonic()
    while not condition():
        if meanwhile is not None:
            meanwhile()
        if time.monotonic() - started >= seconds:
            named = what() if callable(what) else what
            raise AssertionError(f"{named}: not within {seconds:g}s")
        time.sleep(every)
    return time.monotonic() - started
