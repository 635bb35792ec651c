"""Cross-checks of a calendar whose parts are each valid: do the names it uses exist?

Given a Calendar and its source map, returns every broken reference as a located Problem:
unknown hosts, groups (in tasks and window pauses), windows, severities, notify lists, jump
hosts and holiday countries; task and blackout names used twice; disruptive tasks without a
window.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from maintd.config.hosts import ALL_HOSTS
from maintd.config.model import Calendar, Task
from maintd.config.source import Path, SourceMap
from maintd.errors import Problem, did_you_mean


def check_references(calendar: Calendar, source_map: SourceMap) -> list[Problem]:
    """Return the problems of ``calendar``'s cross-references, each located in its file."""
    found: list[tuple[Path, str]] = [
        *_duplicate_names(calendar, source_map),
        *_task_references(calendar),
        *_host_references(calendar),
        *_blackout_references(calendar),
        *_notify_references(calendar),
        *_window_references(calendar),
        *_holiday_countries(calendar),
    ]
    return [source_map.problem(path, message) for path, message in found]


def _duplicate_names(calendar: Calendar, source_map: SourceMap) -> Iterator[tuple[Path, str]]:
    for section, names in (
        ("tasks", [task.name for task in calendar.tasks]),
        ("blackouts", [blackout.name for blackout in calendar.blackouts]),
    ):
        first_index: dict[str, int] = {}
        for index, name in enumerate(names):
            if name in first_index:
                first = source_map.locate((section, first_index[name], "name"))
                where = f"{first.file}:{first.line}" if first else f"{section}[{first_index[name]}]"
                yield (section, index, "name"), f"{name!r} is used twice; first at {where}"
            else:
                first_index[name] = index
    groups = {group for host in calendar.hosts.values() for group in host.groups}
    for name in sorted(groups & set(calendar.hosts)):
        yield (
            ("hosts", name),
            f"{name!r} is both a host and a group name; tasks could not tell them apart",
        )


def _selectable(calendar: Calendar) -> set[str]:
    """What a host list may name: `all`, a host, or a group."""
    return {
        ALL_HOSTS, *calendar.hosts,
        *(group for host in calendar.hosts.values() for group in host.groups),
    }  # fmt: skip


def _task_references(calendar: Calendar) -> Iterator[tuple[Path, str]]:
    selectable = _selectable(calendar)
    if calendar.defaults.severity is not None:
        where: Path = ("defaults", "severity")
        yield from _severity_references(calendar, where, calendar.defaults.severity)
    for index, task in enumerate(calendar.tasks):
        for position, target in enumerate(task.hosts):
            if target not in selectable:
                yield (
                    ("tasks", index, "hosts", position),
                    _unknown("host or group", target, selectable),
                )
        if not calendar.hosts and ALL_HOSTS in task.hosts:
            yield ("tasks", index, "hosts"), "selects all hosts, but the calendar defines none"
        window = task.schedule.window
        if window is not None and window not in calendar.windows:
            yield (
                ("tasks", index, "schedule", "window"),
                _unknown("window", window, calendar.windows),
            )
        if task.disruptive and window is None:
            yield (
                ("tasks", index, "disruptive"),
                ("a disruptive task needs a window (schedule.window) so it only runs inside it"),
            )
        yield from _task_severity_references(calendar, index, task)


def _task_severity_references(
    calendar: Calendar, index: int, task: Task
) -> Iterator[tuple[Path, str]]:
    """The severities a task names: its own, and its forecast's and anomaly watch's."""
    if task.severity is not None:
        yield from _severity_references(calendar, ("tasks", index, "severity"), task.severity)
    for key, watch in (("predict", task.predict), ("anomaly", task.anomaly)):
        if watch is not None and watch.severity is not None:
            yield from _severity_references(
                calendar, ("tasks", index, key, "severity"), watch.severity
            )


def _severity_references(
    calendar: Calendar, where: Path, choice: str | dict[str, str]
) -> Iterator[tuple[Path, str]]:
    for key, name in [(None, choice)] if isinstance(choice, str) else choice.items():
        if name not in calendar.severities:
            path = where if key is None else (*where, key)
            yield path, _unknown("severity", name, calendar.severities)


def _blackout_references(calendar: Calendar) -> Iterator[tuple[Path, str]]:
    task_names = [task.name for task in calendar.tasks]
    for index, blackout in enumerate(calendar.blackouts):
        for position, name in enumerate(blackout.tasks or []):
            if name not in task_names:
                yield ("blackouts", index, "tasks", position), _unknown("task", name, task_names)


def _host_references(calendar: Calendar) -> Iterator[tuple[Path, str]]:
    for name, host in calendar.hosts.items():
        if host.jump is None:
            continue
        jump = calendar.hosts.get(host.jump)
        if jump is None:
            yield ("hosts", name, "jump"), _unknown("jump host", host.jump, calendar.hosts)
        elif jump.transport != "ssh":
            yield ("hosts", name, "jump"), f"jump host {host.jump!r} must use the ssh transport"
        elif _jump_loops(calendar, name):
            yield ("hosts", name, "jump"), f"jump hosts form a loop starting at {name!r}"


def _jump_loops(calendar: Calendar, start: str) -> bool:
    seen = {start}
    current = calendar.hosts[start].jump
    while current is not None and current in calendar.hosts:
        if current in seen:
            return True
        seen.add(current)
        current = calendar.hosts[current].jump
    return False


def _window_references(calendar: Calendar) -> Iterator[tuple[Path, str]]:
    selectable = _selectable(calendar)
    for name, window in calendar.windows.items():
        for position, target in enumerate(window.pause):
            if target not in selectable:
                path = ("windows", name, "pause", position)
                yield path, _unknown("host or group", target, selectable)


def _notify_references(calendar: Calendar) -> Iterator[tuple[Path, str]]:
    for position, target in enumerate(calendar.defaults.notify):
        if target not in calendar.notify:
            yield ("defaults", "notify", position), _unknown("notify list", target, calendar.notify)
    for name, severity in calendar.severities.items():
        for step_index, step in enumerate(severity.escalate):
            for target_index, target in enumerate(step.notify):
                if target not in calendar.notify:
                    path = ("severities", name, "escalate", step_index, "notify", target_index)
                    yield path, _unknown("notify list", target, calendar.notify)


def _holiday_countries(calendar: Calendar) -> Iterator[tuple[Path, str]]:
    wanted: list[tuple[Path, str, str | None]] = [
        (("blackouts", index), blackout.holidays, blackout.subdiv)
        for index, blackout in enumerate(calendar.blackouts)
        if blackout.holidays
    ]
    if calendar.workdays.holidays:
        wanted.append((("workdays",), calendar.workdays.holidays, calendar.workdays.subdiv))
    if not wanted:
        return
    import holidays  # noqa: PLC0415 - a large import, only for calendars that use holidays

    supported: dict[str, list[str]] = holidays.list_supported_countries()
    for path, country, subdiv in wanted:
        if country not in supported:
            yield (*path, "holidays"), _unknown("holiday country code", country, supported)
        elif subdiv is not None and subdiv not in supported[country]:
            yield (
                (*path, "subdiv"),
                _unknown(f"subdivision of {country}", subdiv, supported[country]),
            )


def _unknown(what: str, name: str, known: Iterable[str]) -> str:
    choices = sorted(known)
    hint = did_you_mean(name, choices)
    if hint:
        return f"unknown {what} {name!r}{hint}"
    if not choices:
        return f"unknown {what} {name!r}; none is defined"
    shown = ", ".join(choices[:12]) + (", …" if len(choices) > 12 else "")
    return f"unknown {what} {name!r}; known: {shown}"
