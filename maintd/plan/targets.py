"""Which hosts a task runs on: its `hosts` entries (names, groups or `all`) expanded."""

from __future__ import annotations

from maintd.config.model import Calendar, Task

ALL_HOSTS = "all"


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
        if ALL_HOSTS in task.hosts:
            return list(self.order)
        chosen: set[str] = set()
        for entry in task.hosts:
            if entry in self.order:
                chosen.add(entry)
            chosen.update(self.members.get(entry, ()))
        return sorted(chosen, key=self.order.__getitem__)
