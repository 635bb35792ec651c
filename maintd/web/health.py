"""/healthz and /readyz, decided: is the process alive, and is it ready to do its work.

Alive means the scheduler's heartbeat is fresh, by the very test that gates the systemd
watchdog, so the endpoint and systemd never disagree about a stuck scheduler. Ready means each
named part (the store answers, the calendar is loaded, the scheduler started) says it is fine;
the answer names every part that is not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from maintd.schedule.process import HEARTBEAT_STALE_SECONDS

Check = Callable[[], str | None]  # None when the part is fine, else what is wrong with it


@dataclass(frozen=True)
class Verdict:
    """A probe's answer: fine or not, and the plain text that says so."""

    ok: bool
    text: str


def judge_liveness(heartbeat_age: float, stale_after: float = HEARTBEAT_STALE_SECONDS) -> Verdict:
    """Alive while the scheduler ran its heartbeat less than ``stale_after`` seconds ago."""
    if heartbeat_age < stale_after:
        return Verdict(ok=True, text="ok\n")
    return Verdict(
        ok=False,
        text=f"scheduler heartbeat is {heartbeat_age:.0f}s old (stale after {stale_after:g}s)\n",
    )


def judge_readiness(checks: Mapping[str, Check]) -> Verdict:
    """Ready when every check passes; otherwise "not ready" and one line per failing part,
    ``part: why``. A check that raises counts as failing with its error."""
    problems = []
    for part, check in checks.items():
        try:
            problem = check()
        except Exception as error:  # a broken check is a failing part, not a broken probe
            problem = f"check failed: {error}"
        if problem:
            problems.append(f"{part}: {problem}")
    if not problems:
        return Verdict(ok=True, text="ok\n")
    return Verdict(ok=False, text="not ready\n" + "".join(f"{line}\n" for line in problems))
