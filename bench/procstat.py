"""A process seen from outside, through /proc: CPU ticks, resident memory, threads, open file
descriptors, and its established TCP connections to one port. Nothing here asks the process
itself, so the figures hold even when its own endpoints lie or hang."""

from __future__ import annotations

import contextlib
import os
import re
import resource
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
TCP_ESTABLISHED = "01"
# glibc gives a thread a stack of RLIMIT_STACK (8 MiB here); its guard page is mapped apart.
THREAD_STACK_KB = resource.getrlimit(resource.RLIMIT_STACK)[0] // 1024
# The daemon's own view, read beside the outside one.
DAEMON_GAUGES = (
    "maintd_scheduler_lag_seconds",
    "maintd_running_checks",
    "maintd_ssh_connections",
    "maintd_fire_workers",
)
METRIC_LINE = re.compile(r"^(?P<name>[a-z_]+)(?:\{[^}]*\})? (?P<value>\S+)$", re.MULTILINE)


@dataclass(frozen=True)
class Sample:
    """One look at a process: when (epoch seconds), and what it held then."""

    at: float
    rss_mb: float
    threads: int
    fds: int
    connections: int  # established TCP connections to the watched port
    cpu_seconds: float  # user + system since the process started
    gauges: dict[str, float] = field(default_factory=dict)  # from its /metrics, if any
    fd_kinds: dict[str, int] = field(default_factory=dict)  # what its fds point at


def sample(pid: int, port: int, metrics_url: str | None = None) -> Sample:
    """Read ``pid`` from /proc now (and its /metrics gauges when ``metrics_url`` is given)."""
    return Sample(
        at=time.time(),
        rss_mb=rss_kb(pid) / 1024,
        threads=threads(pid),
        fds=open_fds(pid),
        connections=established_to(pid, port),
        cpu_seconds=cpu_ticks(pid) / CLOCK_TICKS,
        gauges=scrape_gauges(metrics_url) if metrics_url else {},
        fd_kinds=fd_kinds(pid),
    )


def scrape_gauges(url: str, names: tuple[str, ...] = DAEMON_GAUGES) -> dict[str, float]:
    """The values of ``names`` on a Prometheus text page (summed over labels); a page that
    does not answer gives an empty dict (a missed scrape is a gap, not a crash)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback URL
            text = response.read().decode()
    except OSError:
        return {}
    values: dict[str, float] = {}
    for match in METRIC_LINE.finditer(text):
        if match["name"] in names and match["value"] != "NaN":
            values[match["name"]] = values.get(match["name"], 0.0) + float(match["value"])
    return values


def cpu_ticks(pid: int) -> int:
    """User + system CPU time of ``pid`` so far, in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def status_field(pid: int, name: str) -> int:
    """An integer field of /proc/PID/status (``VmRSS`` in kB, ``Threads``); 0 when absent."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return int(line.split()[1])
    return 0


def rss_kb(pid: int) -> int:
    """Resident memory of ``pid`` in kB."""
    return status_field(pid, "VmRSS")


def threads(pid: int) -> int:
    """Threads of ``pid`` (one per /proc/PID/task entry)."""
    return len(os.listdir(f"/proc/{pid}/task"))


def open_fds(pid: int) -> int:
    """Open file descriptors of ``pid``."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def fd_kinds(pid: int) -> dict[str, int]:
    """How many of ``pid``'s descriptors point at each kind of thing: ``socket``, ``pipe``,
    ``anon_inode:[eventpoll]``…, or a file by its name (a leaked file shows up by name)."""
    kinds: dict[str, int] = {}
    for entry in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(entry)
            kind = target.split(":[", 1)[0] if ":[" in target else Path(target).name
            kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def socket_inodes(pid: int) -> set[str]:
    """Inodes of the sockets ``pid`` holds open (``socket:[INODE]`` links in /proc/PID/fd)."""
    inodes = set()
    for entry in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):  # closed between listing and reading
            target = os.readlink(entry)
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    return inodes


def established_to(pid: int, port: int) -> int:
    """TCP connections of ``pid`` in state ESTABLISHED whose remote port is ``port`` (IPv4:
    the loopback hosts of the benchmarks)."""
    inodes = socket_inodes(pid)
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        remote_port = int(fields[2].rsplit(":", 1)[1], 16)
        if fields[3] == TCP_ESTABLISHED and remote_port == port and fields[9] in inodes:
            count += 1
    return count


def smaps_by_mapping(pid: int) -> dict[str, int]:
    """Resident kB of ``pid`` by what is mapped: a file by its name (shared libraries, the
    SQLite -shm index), ``[heap]``, ``[stack]``, ``[thread stacks]`` (anonymous mappings of
    exactly the default thread stack size), or ``[anon]`` for other anonymous memory (glibc's
    per-thread arenas, large allocations, Python's arenas)."""
    resident: dict[str, int] = {}
    name = "[anon]"
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        fields = line.split()
        if "-" in fields[0] and len(fields) >= 5:  # a mapping's header line
            path = fields[5] if len(fields) > 5 else "[anon]"
            name = path if path.startswith("[") else Path(path).name
            if name == "[anon]" and _size_kb(fields[0]) == THREAD_STACK_KB:
                name = "[thread stacks]"
        elif fields[0] == "Rss:":
            resident[name] = resident.get(name, 0) + int(fields[1])
    return resident


def _size_kb(span: str) -> int:
    start, end = (int(address, 16) for address in span.split("-"))
    return (end - start) // 1024
