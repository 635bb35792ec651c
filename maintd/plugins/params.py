"""Task parameters checked against the plugin's header, and resolved for one host.

``check_calendar_plugins`` finds, with their calendar positions, every task that names an
unknown plugin, passes an unknown parameter, a value of the wrong type, or leaves out a
required one. ``resolve_params`` gives the values a fire sends: defaults filled in and
``${vars.NAME}`` replaced by the host's variable.
"""

from __future__ import annotations

import re
from typing import Any

from maintd.config import LoadedCalendar
from maintd.config.hosts import Host
from maintd.config.model import Task
from maintd.config.response import Remediation
from maintd.errors import Problem, did_you_mean
from maintd.plan.targets import HostSelector
from maintd.plugins.catalog import Catalog
from maintd.plugins.header import PluginSpec, type_problem

HOST_VARIABLE = re.compile(r"\$\{vars\.([A-Za-z0-9_]+)\}")


def check_calendar_plugins(loaded: LoadedCalendar, catalog: Catalog) -> list[Problem]:
    """Every plugin problem of the calendar's tasks, located at the task's keys."""
    problems = list(catalog.problems)
    calendar = loaded.calendar
    selector = HostSelector(calendar)
    for index, task in enumerate(calendar.tasks):
        if task.remediate is not None:
            where: tuple[str | int, ...] = ("tasks", index, "remediate")
            problems.extend(_helper_problems(loaded, catalog, where, task.remediate))
        if task.predict is not None and task.predict.prevent is not None:
            where = ("tasks", index, "predict", "prevent")
            problems.extend(_helper_problems(loaded, catalog, where, task.predict.prevent))
        if task.check is None:
            continue
        plugin = catalog.get(task.check)
        if plugin is None:
            broken = catalog.builtin_problems.get(task.check)
            if broken:
                problems.extend(broken)
            else:
                message = catalog.unknown_message(task.check)
                problems.append(loaded.problem(("tasks", index, "check"), message))
            continue
        for key, message in param_problems(task.params, plugin.spec):
            problems.append(loaded.problem(("tasks", index, "params", *key), message))
        for key, message in _metric_problems(task, plugin.spec):
            problems.append(loaded.problem(("tasks", index, *key), message))
        chosen = selector.select(task)
        for key, message in _variable_problems(task, chosen, calendar.hosts, plugin.spec):
            problems.append(loaded.problem(("tasks", index, "params", *key), message))
    return problems


def _helper_problems(
    loaded: LoadedCalendar, catalog: Catalog, where: tuple[str | int, ...], helper: Remediation
) -> list[Problem]:
    """The problems of a plugin a task runs on an incident's behalf (remediate, prevent)."""
    plugin = catalog.get(helper.check)
    if plugin is None:
        return [loaded.problem((*where, "check"), catalog.unknown_message(helper.check))]
    return [
        loaded.problem((*where, "params", *key), message)
        for key, message in param_problems(helper.params, plugin.spec)
    ]


def _metric_problems(task: Task, spec: PluginSpec) -> list[tuple[tuple[str, ...], str]]:
    """`predict.metric` / `anomaly.metric` naming a label the plugin never reports (a plugin
    that declares no `perfdata:` list may report anything)."""
    found: list[tuple[tuple[str, ...], str]] = []
    for key, watch in (("predict", task.predict), ("anomaly", task.anomaly)):
        if watch is None or not spec.perfdata or watch.metric in spec.perfdata:
            continue
        hint = did_you_mean(watch.metric, spec.perfdata)
        message = (
            f"{spec.name} reports no metric {watch.metric!r}{hint} "
            f"(it reports: {', '.join(spec.perfdata)})"
        )
        found.append(((key, "metric"), message))
    return found


def param_problems(params: dict[str, Any], spec: PluginSpec) -> list[tuple[tuple[str, ...], str]]:
    """What is wrong with ``params`` for a plugin declaring ``spec``: (key path, message)."""
    found: list[tuple[tuple[str, ...], str]] = []
    for name, value in params.items():
        declared = spec.params.get(name)
        if declared is None:
            hint = did_you_mean(name, sorted(spec.params))
            known = ", ".join(sorted(spec.params)) or "none"
            found.append(
                ((name,), f"{spec.name} has no parameter {name!r}{hint} (it takes: {known})")
            )
            continue
        if isinstance(value, str) and HOST_VARIABLE.search(value):
            continue  # checked per host, once the variable is known
        problem = type_problem(declared, value)
        if problem:
            found.append(((name,), problem))
    for name, declared in spec.params.items():
        if declared.required and name not in params:
            found.append(((), f"{spec.name} needs the parameter {name!r}"))
    return found


def _variable_problems(
    task: Task, names: list[str], hosts: dict[str, Host], declared: PluginSpec
) -> list[tuple[tuple[str, ...], str]]:
    found: list[tuple[tuple[str, ...], str]] = []
    for param, value in task.params.items():
        if not isinstance(value, str) or param not in declared.params:
            continue
        for variable in HOST_VARIABLE.findall(value):
            missing = [name for name in names if variable not in hosts[name].vars]
            if missing:
                found.append(((param,), f"host {missing[0]} has no vars.{variable}"))
    return found


def resolve_params(task: Task, spec: PluginSpec, host: Host) -> dict[str, Any]:
    """The parameters a fire of ``task`` on ``host`` sends: the task's values with
    ``${vars.NAME}`` filled from the host, then the plugin's defaults for the rest."""
    resolved: dict[str, Any] = {}
    for name, declared in spec.params.items():
        if name in task.params:
            resolved[name] = _fill_variables(task.params[name], host)
        elif declared.default is not None:
            resolved[name] = declared.default
    return resolved


def _fill_variables(value: Any, host: Host) -> Any:
    if not isinstance(value, str):
        return value
    return HOST_VARIABLE.sub(lambda match: str(host.vars.get(match.group(1), "")), value)
