"""Which hosts a task runs on: its `hosts` entries (names, groups or `all`) expanded."""

from __future__ import annotations

from collections.abc import Iterable

from maintd.config.hosts import ALL_HOSTS
from maintd.config.model import Calendar, Task


class HostSelector:
    """Expands task host lists against one calendar; built once, asked once per task."""

    def __init__(self, calendar: Calendar) -> None:
        self.order = {name: index for index, name in enumerate(calendar.hosts)}
        self.members: dict[str, list[str]] = {}
        for name, host in calendar.hosts.items():
            for group in host.groups:
                self.members.setdefault(group, []).append(name)

    def select(self, task: Task) -> list[str]:
        """Return the names of the hosts ``task`` selects, in the calendar's host order."""
        return self.expand(task.hosts)

    def expand(self, entries: Iterable[str]) -> list[str]:
        """Host names, group names or `all` → the hosts they name, in the calendar's order."""
        entries = list(entries)
        if ALL_HOSTS in entries:
            return list(self.order)
        chosen: set[str] = set()
        for entry in entries:
            if entry in self.order:
                chosen.add(entry)
            chosen.update(self.members.get(entry, ()))
        return sorted(chosen, key=self.order.__getitem__)
