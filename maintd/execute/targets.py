"""How to reach each host: the calendar's host entries with `defaults.ssh` filled in."""

from __future__ import annotations

from dataclasses import dataclass

from maintd.config.model import Calendar
from maintd.config.types import EnvSecret, FileSecret


@dataclass(frozen=True)
class HostTarget:
    """Everything a transport needs to reach one host (no secret values, only their names)."""

    name: str
    transport: str
    address: str
    port: int
    user: str
    identity: str | None
    passphrase: str | EnvSecret | FileSecret | None
    agent: bool
    known_hosts: str
    connect_timeout: float
    keepalive: float
    max_sessions: int
    become: bool
    jump: HostTarget | None = None


def build_targets(calendar: Calendar) -> dict[str, HostTarget]:
    """Return a HostTarget for every host of ``calendar``, jump hosts linked."""
    targets: dict[str, HostTarget] = {}
    for name in calendar.hosts:
        _build(calendar, name, targets)
    return targets


def _build(calendar: Calendar, name: str, targets: dict[str, HostTarget]) -> HostTarget:
    if name in targets:
        return targets[name]
    host = calendar.hosts[name]
    ssh = calendar.defaults.ssh
    jump = _build(calendar, host.jump, targets) if host.jump else None  # loops refused at load
    identity = host.identity or ssh.identity
    target = HostTarget(
        name=name,
        transport=host.transport,
        address=host.address or name,
        port=host.port or ssh.port,
        user=host.user or ssh.user,
        identity=identity,
        passphrase=host.passphrase if host.identity else (host.passphrase or ssh.passphrase),
        agent=ssh.agent,
        known_hosts=ssh.known_hosts,
        connect_timeout=ssh.connect_timeout.total_seconds(),
        keepalive=ssh.keepalive.total_seconds(),
        max_sessions=host.concurrency or calendar.defaults.concurrency.per_host,
        become=host.become,
        jump=jump,
    )
    targets[name] = target
    return target
