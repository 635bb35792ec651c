"""The soak's diagnostic lines: where the daemon's memory and descriptors went (by mapping,
by kind of descriptor, SQLite's own memory, and the traced Python heap when traced)."""

from __future__ import annotations

import tracemalloc
from pathlib import Path
from typing import TYPE_CHECKING

from bench.procstat import Sample

if TYPE_CHECKING:
    from bench.soak_report import Soak, Subject

MAPPINGS_SHOWN = 4
HEAP_LINES = 12


def heap_growth(soak: Soak) -> list[str]:
    """Where the daemon's traced Python heap grew, from the first snapshot of the window to
    the last one (bench/memtrace writes one every 30 s)."""
    if soak.trace is None:
        return []
    pid = soak.subjects[0].pid
    snapshots = sorted(soak.trace.glob(f"{pid}-*.snap"))
    inside = [path for path in snapshots if path.stat().st_mtime >= soak.window[0]]
    if len(inside) < 2:
        return [f"- tracemalloc: {len(inside)} snapshots in the window, too few to compare"]
    first, last = (tracemalloc.Snapshot.load(str(path)) for path in (inside[0], inside[-1]))
    span = inside[-1].stat().st_mtime - inside[0].stat().st_mtime
    lines = [*sqlite_memory(soak.trace / f"{pid}-sqlite.txt", soak.window[0])]
    lines.append(f"- Python heap growth over {span:.0f}s (tracemalloc, largest first):")
    for difference in last.compare_to(first, "lineno")[:HEAP_LINES]:
        frame = difference.traceback[0]
        lines.append(
            f"  - {frame.filename.split('site-packages/')[-1]}:{frame.lineno} "
            f"{difference.size_diff / 1024:+.0f} kB ({difference.count_diff:+d} blocks), "
            f"now {difference.size / 1024:.0f} kB"
        )
    return lines


def sqlite_memory(path: Path, since: float) -> list[str]:
    """SQLite's own memory (page caches, statements) at the first and last snapshot."""
    readings = [
        (float(at), int(used))
        for at, used in (line.split() for line in path.read_text().splitlines())
        if float(at) >= since
    ]
    if len(readings) < 2:
        return []
    (first_at, first), (last_at, last) = readings[0], readings[-1]
    return [
        f"- SQLite's memory (sqlite3_status64): {first / 2**20:.1f} MB → {last / 2**20:.1f} MB "
        f"over {last_at - first_at:.0f}s"
    ]


def fd_line(samples: list[Sample]) -> str:
    """What the daemon's descriptors point at, at the last sample, most first."""
    kinds = sorted(samples[-1].fd_kinds.items(), key=lambda item: -item[1])
    return "- maintd's descriptors at the last sample: " + ", ".join(
        f"{kind} {count}" for kind, count in kinds
    )


def mapping_line(subject: Subject) -> str:
    """Where a process's resident memory grew or shrank between the first and last sample."""
    first, last = subject.mappings
    deltas = {name: last.get(name, 0) - first.get(name, 0) for name in first.keys() | last.keys()}
    moved = sorted(deltas.items(), key=lambda item: -abs(item[1]))[:MAPPINGS_SHOWN]
    shown = ", ".join(f"{name} {delta / 1024:+.1f}" for name, delta in moved if delta)
    return f"- {subject.name}'s resident MB by mapping, first → last sample: {shown or 'no change'}"
