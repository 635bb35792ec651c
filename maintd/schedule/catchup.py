"""Fires that fell due while maintd was not running, and what to do with each.

Given the planner, the last recorded fire of every (task, host) and the moment maintd starts,
returns the fires in between with an action: RUN (as a catch-up) or MISSED. A (task, host)
with no recorded fire has nothing to catch up: maintd starts its history then. The task's
policy decides: `none` records them all MISSED; `once` runs the latest one that may still run
(inside its window, not in a blackout) and records the rest MISSED; `all` runs each. Fires
older than the policy's `max_age` are never run late. Fires the planner would skip are
recorded SKIPPED with the planner's reason, as if maintd had been up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from maintd.config.model import Calendar, Task
from maintd.config.timing import CatchUp
from maintd.plan import Fire, Planner

AFTER = timedelta(microseconds=1)


class Action(StrEnum):
    RUN = "run"
    MISSED = "missed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Overdue:
    """One fire that fell due while maintd was down, and what to do with it."""

    fire: Fire
    action: Action
    reason: str = ""


def overdue_fires(
    calendar: Calendar,
    planner: Planner,
    last_fires: dict[tuple[str, str], datetime],
    now: datetime,
) -> list[Overdue]:
    """Every fire after each pair's last recorded one and before ``now``, with its action."""
    found: list[Overdue] = []
    for task in calendar.tasks:
        for host in planner.hosts[task.name]:
            last = last_fires.get((task.name, host))
            if last is not None:
                policy = task.catch_up or calendar.defaults.catch_up
                fires = _fires_between(planner, task, host, last + AFTER, now)
                found.extend(_decide(fires, policy, now))
    found.sort(key=lambda item: item.fire.at)
    return found


def _fires_between(
    planner: Planner, task: Task, host: str, start: datetime, end: datetime
) -> list[Fire]:
    fires = []
    for instant in planner.host_fires(task, host, start):
        if instant >= end:
            break
        fires.append(planner.decide(task, host, instant))
    return fires


def _decide(fires: list[Fire], policy: CatchUp, now: datetime) -> list[Overdue]:
    oldest_runnable = now - policy.max_age
    decided: list[Overdue] = []
    for fire in fires:
        if not fire.runs:
            decided.append(Overdue(fire, Action.SKIPPED, fire.reason or ""))
        elif policy.policy == "none":
            decided.append(Overdue(fire, Action.MISSED, "maintd was not running (catch_up: none)"))
        elif fire.at < oldest_runnable:
            decided.append(Overdue(fire, Action.MISSED, "older than catch_up.max_age"))
        else:
            decided.append(Overdue(fire, Action.RUN))
    if policy.policy == "once":
        runnable = [index for index, item in enumerate(decided) if item.action == Action.RUN]
        for index in runnable[:-1]:
            decided[index] = Overdue(
                decided[index].fire, Action.MISSED, "caught up once by a later fire"
            )
    return decided
