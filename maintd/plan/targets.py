"""Which hosts a task runs on: its `hosts` entries (names, groups or `all`) expanded."""

from __future__ import annotations

from maintd.config.model import Calendar, Task

ALL_HOSTS = "all"


def select_hosts(calendar: Calendar, task: Task) -> list[str]:
    """Return the names of the hosts ``task`` selects, in the calendar's host order."""
    wanted = set(task.hosts)
    if ALL_HOSTS in wanted:
        return list(calendar.hosts)
    return [
        name
        for name, host in calendar.hosts.items()
        if name in wanted or not wanted.isdisjoint(host.groups)
    ]
