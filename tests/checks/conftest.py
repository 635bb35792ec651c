"""Running the built-in check plugins for real: over maintd's SSH executor to a loopback sshd
host (as the plain test account, or as root), or on the maintenance host itself.

    def test_x(run_check: RunCheck) -> None:
        checked = run_check("disk_usage", {"path": "/", "warn": 80})
        assert checked.status == Status.OK and "used_pct" in checked.perfdata

Every call loads a one-task calendar through the same checks as `maintd validate` (so the
parameters must fit the plugin's header), runs it through a real Runner and interprets the
output as the daemon does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from maintd.execute import Runner
from maintd.plugins import load_checked
from maintd.results import Perfdatum, interpret
from maintd.status import Status
from tests.sshd import SshdCluster


@dataclass
class Checked:
    """One plugin run, interpreted."""

    status: Status
    summary: str
    long_output: str
    perfdata: dict[str, Perfdatum]
    exit_code: int | None
    stdout: str
    stderr: str
    attempts: int = 1
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __str__(self) -> str:  # shown by pytest when an assertion about a run fails
        return (
            f"{self.status} (exit {self.exit_code}): {self.summary}\n"
            f"stdout: {self.stdout!r}\nstderr: {self.stderr!r}"
        )


# run_check(check, params=None, *, where="ssh", timeout="120s", become=False, command=None)
RunCheck = Callable[..., Checked]


@pytest.fixture
def run_check(cluster: SshdCluster, tmp_path: Path) -> Iterator[RunCheck]:
    """Run a built-in plugin: ``where`` is "ssh" (h1 as the test account), "ssh-root" (h1 as
    root) or "local" (the maintenance host, as the user running the tests). With ``command``,
    the task runs that program (a Monitoring Plugin by path) instead of ``check``."""
    runners: list[Runner] = []

    def run(
        check: str,
        params: dict[str, Any] | None = None,
        *,
        where: str = "ssh",
        timeout: str = "120s",
        become: bool = False,
        command: list[str] | None = None,
    ) -> Checked:
        task: dict[str, Any] = {
            "name": "t", "hosts": ["target"], "schedule": {"every": "1h"},
            "timeout": timeout, "become": become,
        }  # fmt: skip
        if command:
            task["command"] = command
        else:
            task.update(check=check, params=params or {})
        text = cluster.calendar_text("tasks: [" + json.dumps(task) + "]\n")
        if where == "local":
            target = "  target: {transport: local}\n"
        else:
            target = f"  target: {{address: {cluster.addresses[0]}, port: {cluster.port}"
            target += ", user: root}\n" if where == "ssh-root" else "}\n"
        text = text.replace("hosts:\n", "hosts:\n" + target, 1)
        path = tmp_path / f"calendar-{len(runners)}.yaml"
        path.write_text(text)
        loaded, catalog = load_checked(path)
        runner = Runner(loaded.calendar, catalog)
        runners.append(runner)
        host_run = runner.run_one(loaded.calendar.tasks[0], "target")
        raw = host_run.raw
        result = interpret(raw)
        return Checked(
            status=result.status,
            summary=result.summary,
            long_output=result.long_output,
            perfdata={item.label: item for item in result.perfdata},
            exit_code=raw.exit_code,
            stdout=raw.stdout.decode("utf-8", "replace"),
            stderr=raw.stderr.decode("utf-8", "replace"),
            attempts=host_run.attempts,
            notes=result.notes,
        )

    yield run
    for runner in runners:
        runner.close()
