"""Fan-out: run one task on many hosts at once, each host on its own.

Given a task and its hosts, the runner builds each request, picks the host's transport (ssh or
local), limits how many hosts of the task run at once, retries hosts that could not be reached
(with backoff), and reports every host as it finishes. One dead host never delays the others
beyond its own timeout.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from maintd.config.model import Calendar, Task
from maintd.execute import request as requests
from maintd.execute.ssh import SshPool
from maintd.execute.targets import HostTarget, build_targets
from maintd.execute.transport import LocalTransport, RawOutput, Transport
from maintd.plugins import Catalog, resolve_params
from maintd.status import Status

MAX_WORKERS = 32


@dataclass(frozen=True)
class HostRun:
    """One host's answer to one task: the raw output of its last attempt."""

    task: str
    host: str
    started_at: datetime
    raw: RawOutput
    attempts: int


class Runner:
    """Runs tasks of one calendar. Build once; ``close()`` releases the SSH connections."""

    def __init__(
        self,
        calendar: Calendar,
        catalog: Catalog,
        transports: dict[str, Transport] | None = None,
        max_workers: int | None = None,
        ssh_pool: SshPool | None = None,
    ) -> None:
        self.calendar = calendar
        self.catalog = catalog
        self.targets = build_targets(calendar)
        ssh_targets = {name: t for name, t in self.targets.items() if t.transport == "ssh"}
        # A reloaded calendar keeps the connections of hosts whose settings did not change.
        self.ssh = ssh_pool or SshPool(ssh_targets)
        if ssh_pool is not None:
            ssh_pool.retarget(ssh_targets)
        self.local = LocalTransport(
            {name: t.max_sessions for name, t in self.targets.items() if t.transport == "local"}
        )
        self.overrides = transports or {}
        self.max_workers = max_workers or min(MAX_WORKERS, calendar.defaults.concurrency.total)
        self.sleep: Callable[[float], None] = time.sleep

    def transport_for(self, host: str) -> Transport:
        """The transport that reaches ``host``."""
        if host in self.overrides:
            return self.overrides[host]
        return self.local if self.targets[host].transport == "local" else self.ssh

    def build_request(self, task: Task, host: str) -> requests.ExecRequest:
        """The request for ``task`` on ``host`` (plugin with its parameters, or a program)."""
        target: HostTarget = self.targets[host]
        timeout = (task.timeout or self.calendar.defaults.timeout).total_seconds()
        become = task.become or target.become
        if task.command is not None:
            return requests.build_program_request(
                host=host, task=task.name, argv=task.command, timeout=timeout, become=become
            )
        plugin = self.catalog.get(task.check or "")
        if plugin is None:
            raise KeyError(f"no check plugin named {task.check!r}")
        params = resolve_params(task, plugin.spec, self.calendar.hosts[host])
        return requests.build_plugin_request(
            host=host,
            task=task.name,
            interpreter=plugin.interpreter,
            content=plugin.content,
            params=params,
            timeout=timeout,
            become=become,
        )

    def run_one(self, task: Task, host: str) -> HostRun:
        """Run ``task`` on ``host``, retrying while the host is unreachable. A disruptive task
        whose connection broke after the host accepted it is not retried: it may have done its
        work (or still be doing it until its own timeout), and must never run twice at once."""
        retries = task.retries or self.calendar.defaults.retries
        started_at = datetime.now(UTC)
        request = self.build_request(task, host)
        transport = self.transport_for(host)
        backoff = retries.backoff.total_seconds()
        attempt = 1
        raw = transport.run(request)
        while _retryable(task, raw) and attempt <= retries.attempts:
            self.sleep(backoff)
            backoff *= 2
            attempt += 1
            raw = transport.run(request)
        return HostRun(task.name, host, started_at, raw, attempt)

    def run_task(
        self,
        task: Task,
        hosts: Iterable[str],
        on_result: Callable[[HostRun], None] | None = None,
    ) -> list[HostRun]:
        """Run ``task`` on every host of ``hosts`` concurrently; results in host order."""
        names = list(hosts)
        limit = threading.BoundedSemaphore(task.concurrency or len(names) or 1)

        def run(host: str) -> HostRun:
            with limit:
                host_run = self.run_one(task, host)
            if on_result is not None:
                on_result(host_run)
            return host_run

        workers = max(1, min(self.max_workers, len(names)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="maintd-run") as pool:
            return list(pool.map(run, names))

    def close(self) -> None:
        """Close every connection the runner opened."""
        self.ssh.close()
        for transport in self.overrides.values():
            transport.close()


def _retryable(task: Task, raw: RawOutput) -> bool:
    return raw.failure == Status.UNREACHABLE and not (raw.started and task.disruptive)
