"""The soak's figures, read back after the run (the ledger, the peer's fires, the samples) and
written as a Markdown block for RELIABILITY.md."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.procstat import DAEMON_GAUGES, Sample
from bench.soak_diagnostics import heap_growth, mapping_line
from bench.soak_figures import (
    FireKey,
    Fires,
    Row,
    Trend,
    fire_key,
    fit_trend,
    judge_fires,
    percentile,
)
from maintd.config import load_calendar
from maintd.plan import Planner
from maintd.store import open_store
from tests.daemon import Daemon
from tests.sshd import SshdCluster

# How much a quantity may rise over ten minutes and still count as steady, beside twice the
# noise of its samples: a page of the allocator, one pool thread, a log file rotated.
TOLERANCES = {"rss_mb": 2.0, "threads": 1.0, "fds": 2.0, "connections": 2.0}
QUANTITIES = (
    ("rss_mb", "RSS MB"),
    ("threads", "threads"),
    ("fds", "open fds"),
    ("connections", "SSH connections"),
)
LAG_QUANTILES = (("p50", 0.50), ("p95", 0.95), ("p99", 0.99), ("max", 1.0))


@dataclass
class Subject:
    """A watched process: its samples, and its resident kB by mapping at the first and the
    last sample."""

    name: str
    pid: int
    metrics_url: str | None = None
    samples: list[Sample] = field(default_factory=list)
    mappings: list[dict[str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Soak:
    """What one soak run left to read."""

    arguments: dict[str, Any]
    window: tuple[float, float]  # measured span, epoch seconds
    cluster: SshdCluster
    daemon: Daemon
    subjects: list[Subject]
    peer_out: Path | None
    exit_code: int | None  # None: it did not stop and was aborted
    stop_seconds: float
    trace: Path | None = None  # the daemon's tracemalloc snapshots, when traced


def maintd_fires(soak: Soak, backlog_at: Sequence[float]) -> Fires:
    """The daemon's ledger against its planner, over the measured window."""
    calendar = load_calendar(soak.daemon.calendar).calendar
    start, end = (datetime.fromtimestamp(at, UTC) for at in soak.window)
    planned = [
        fire_key(fire.host, fire.at.timestamp()) for fire in Planner(calendar).plan(start, end)
    ]
    ledger = open_store(str(soak.daemon.database))
    try:
        history = ledger.history(since=start, limit=10_000_000)
    finally:
        ledger.close()
    rows = [
        Row(
            host=row["host"],
            scheduled=row["scheduled_for"].timestamp(),
            started=row["started_at"].timestamp() if row["started_at"] else None,
            status=row["status"],
        )
        for row in history
        if row["scheduled_for"] < end
    ]
    return judge_fires(planned, rows, backlog_at)


def peer_fires(soak: Soak, backlog_at: Sequence[float]) -> tuple[Fires, list[str]]:
    """The peer's fires against its interval grid over the window; and its failures."""
    assert soak.peer_out is not None  # noqa: S101 - only asked for when the peer ran
    result = json.loads(soak.peer_out.read_text())
    fires, every = result["fires"], result["every"]
    start, end = soak.window
    rows = [
        Row(f"h{index + 1}", at, at + lag, "ran") for index, at, lag in fires if start <= at < end
    ]
    planned: list[FireKey] = []
    if rows:
        first = rows[0].scheduled + every * math.ceil((soak.window[0] - rows[0].scheduled) / every)
        instants = int((soak.window[1] - first) // every) + 1
        instants -= first + (instants - 1) * every >= soak.window[1]
        planned = [
            fire_key(f"h{index + 1}", first + step * every)
            for step in range(instants)
            for index in range(soak.cluster.hosts)
        ]
    return judge_fires(planned, rows, backlog_at), result["failures"]


def render_report(soak: Soak, command: str, began: datetime, tree: str) -> str:
    """The Markdown block: what ran, then the figures side by side."""
    arguments = soak.arguments
    daemon_samples = soak.subjects[0].samples
    instants = [sample.at for sample in daemon_samples]
    mine = maintd_fires(soak, instants)
    peer, failures = peer_fires(soak, instants) if soak.peer_out else (None, [])
    start, end = (datetime.fromtimestamp(at, UTC) for at in soak.window)
    lines = [
        f"### Load soak: {arguments['hosts']} hosts, `load` check every {arguments['every']:g}s, "
        f"{arguments['minutes']:g} min",
        "",
        f"`{command}`, run {began:%Y-%m-%d %H:%M} UTC at {tree} on the shared 2-core machine; "
        f"{arguments['warmup']:g}s of warm-up after READY=1 not measured; window "
        f"{start:%H:%M:%S}–{end:%H:%M:%S} UTC, sampled every {arguments['sample']:g}s from "
        f"/proc ({len(daemon_samples)} samples). Peer: the same {arguments['hosts']} hosts × "
        f"every {arguments['every']:g}s driven by a bare APScheduler + paramiko loop "
        "(bench/soak_peer.py: 32 workers, one open Transport per host, maintd's own request "
        "for the check sent as-is, no ledger), its fires half an interval after maintd's.",
        "",
        "| figure | maintd | bare peer | maintd / peer |",
        "| --- | ---: | ---: | ---: |",
        *fire_rows(mine, peer, failures),
        *process_rows(soak.subjects, mine, peer),
        "",
        *gauge_lines(daemon_samples),
        *verdict_lines(soak, mine),
        *heap_growth(soak),
    ]
    return "\n".join(lines)


def fire_rows(mine: Fires, peer: Fires | None, failures: list[str]) -> list[str]:
    """Rows of the table about fires: counts, lag, bursts, backlog."""
    rows = [
        both("fires planned in the window", mine, peer, lambda f: f"{f.planned:,}"),
        both("rows recorded for them", mine, peer, lambda f: f"{f.rows:,}"),
        both("lost / doubled / unplanned", mine, peer,
             lambda f: f"{f.lost} / {f.doubled} / {f.unplanned}"),
        table_row("statuses", statuses(mine),
                  f"ran {peer.rows:,}, failed {len(failures)}" if peer else "–"),
    ]  # fmt: skip
    for label, fraction in LAG_QUANTILES:
        rows.append(
            timed(f"lag {label} (scheduled → check began)",
                  percentile(mine.lags, fraction),
                  percentile(peer.lags, fraction) if peer else math.nan)
        )  # fmt: skip
    drains_mine = sorted(lag for _, lag in mine.drains)
    drains_peer = sorted(lag for _, lag in peer.drains) if peer else []
    for label, fraction in (("p50", 0.5), ("max", 1.0)):
        rows.append(
            timed(f"burst: last fire of an instant began, {label}",
                  percentile(drains_mine, fraction), percentile(drains_peer, fraction))
        )  # fmt: skip
    rows.append(both("backlog at the samples: mean / max", mine, peer, backlog))
    rows.append(both("backlog: first → last minute (mean)", mine, peer, backlog_ends))
    return rows


def process_rows(subjects: list[Subject], mine: Fires, peer: Fires | None) -> list[str]:
    """Rows of the table about the processes: CPU, and each sampled quantity's trend."""
    by_name = {subject.name: subject.samples for subject in subjects}
    ours, theirs = by_name["maintd"], by_name.get("peer", [])
    share_ours, share_theirs = cpu_share(ours), cpu_share(theirs)
    rows = [
        table_row("CPU, % of one core", f"{share_ours:.1f} %", f"{share_theirs:.1f} %",
                  ratio(share_ours, share_theirs)),
        timed("CPU per check begun", cpu_per_check(ours, mine),
              cpu_per_check(theirs, peer) if peer else math.nan),
    ]  # fmt: skip
    for name, unit in QUANTITIES:
        trend_ours, trend_theirs = trend_of(ours, name), trend_of(theirs, name)
        end_ours = trend_ours.end if trend_ours else math.nan
        end_theirs = trend_theirs.end if trend_theirs else math.nan
        rows.append(
            table_row(f"{unit}: start / middle / end", levels(trend_ours), levels(trend_theirs),
                      ratio(end_ours, end_theirs))
        )  # fmt: skip
        if name == "rss_mb":  # settling bends; a leak climbs by the same step each fifth
            rows.append(
                table_row("RSS MB by fifth of the window (means)", fifths(ours, name),
                          fifths(theirs, name))
            )  # fmt: skip
        rows.append(
            table_row(f"{unit}: slope per 10 min, whole / 2nd half (noise)",
                      slope(trend_ours, name),
                      slope(trend_theirs, name))
        )  # fmt: skip
    return rows


def table_row(label: str, ours: str, theirs: str, ratio_text: str = "") -> str:
    return f"| {label} | {ours} | {theirs} | {ratio_text} |"


def both(label: str, mine: Fires, peer: Fires | None, show: Callable[[Fires], str]) -> str:
    return table_row(label, show(mine), show(peer) if peer else "–")


def timed(label: str, ours: float, theirs: float) -> str:
    """A row of two durations in seconds, shown in ms, with their ratio."""
    return table_row(label, ms(ours), ms(theirs), ratio(ours, theirs))


def gauge_lines(samples: list[Sample]) -> list[str]:
    """The daemon's own /metrics over the samples, beside the outside view."""
    lines = []
    for name in DAEMON_GAUGES:
        values = sorted(sample.gauges[name] for sample in samples if name in sample.gauges)
        if values:
            lines.append(
                f"- `{name}` over {len(values)} scrapes: min {values[0]:g}, "
                f"median {percentile(values, 0.5):g}, max {values[-1]:g}"
            )
    missed = sum(1 for sample in samples if not sample.gauges)
    if missed:
        lines.append(f"- /metrics did not answer {missed} of {len(samples)} scrapes")
    return lines


def verdict_lines(soak: Soak, mine: Fires) -> list[str]:
    samples = soak.subjects[0].samples
    steady = {name: trend_of(samples, name) for name in TOLERANCES}
    unsteady = [
        name for name, trend in steady.items() if trend and not trend.steady(TOLERANCES[name])
    ]
    errors = [
        line for line in soak.daemon.output().splitlines() if "ERROR" in line or "Traceback" in line
    ]
    verdict = "steady" if not unsteady else f"NOT steady: {', '.join(unsteady)} rising"
    lines = [
        f"- maintd: lost {mine.lost}, doubled {mine.doubled}; RSS, threads, fds, connections "
        f"{verdict} (second half: slope per 10 min ≤ tolerance, or its rise ≤ 2 × noise; "
        f"tolerances per 10 min {TOLERANCES})",
        f"- stop after the soak (SIGTERM): {stopped(soak)}; "
        f"{len(errors)} ERROR/Traceback lines in the daemon's output",
    ]
    lines += [f"  - `{line[:160]}`" for line in errors[:5]]
    first, last = samples[0].fd_kinds, samples[-1].fd_kinds
    changed = {
        kind: (first.get(kind, 0), last.get(kind, 0))
        for kind in sorted(first.keys() | last.keys())
        if first.get(kind, 0) != last.get(kind, 0)
    }
    if changed:
        shown = ", ".join(f"{kind} {before} → {after}" for kind, (before, after) in changed.items())
        lines.append(f"- maintd's descriptors that changed, first → last sample: {shown}")
    return lines + [
        mapping_line(subject) for subject in soak.subjects if len(subject.mappings) == 2
    ]


def stopped(soak: Soak) -> str:
    if soak.exit_code is None:
        return (
            f"DID NOT STOP within {soak.stop_seconds:.0f}s, aborted (thread stacks in the "
            "daemon's output, kept beside this report)"
        )
    return f"exit {soak.exit_code} in {soak.stop_seconds:.1f}s"


def statuses(fires: Fires) -> str:
    return ", ".join(f"{status} {count:,}" for status, count in fires.statuses.most_common())


def backlog(fires: Fires) -> str:
    counts = [count for _, count in fires.backlog]
    if not counts:
        return "–"
    return f"{sum(counts) / len(counts):.1f} / {max(counts)}"


def backlog_ends(fires: Fires) -> str:
    if not fires.backlog:
        return "–"
    first_at, last_at = fires.backlog[0][0], fires.backlog[-1][0]
    first = [count for at, count in fires.backlog if at < first_at + 60]
    last = [count for at, count in fires.backlog if at > last_at - 60]
    return f"{sum(first) / len(first):.1f} → {sum(last) / len(last):.1f}"


def cpu_share(samples: list[Sample]) -> float:
    if len(samples) < 2:
        return math.nan
    used = samples[-1].cpu_seconds - samples[0].cpu_seconds
    return used / (samples[-1].at - samples[0].at) * 100


def cpu_per_check(samples: list[Sample], fires: Fires) -> float:
    """Seconds of CPU per check begun in the window."""
    if len(samples) < 2 or not fires.lags:
        return math.nan
    return (samples[-1].cpu_seconds - samples[0].cpu_seconds) / len(fires.lags)


def trend_of(samples: list[Sample], name: str) -> Trend | None:
    if len(samples) < 6:
        return None
    return fit_trend([(sample.at, float(getattr(sample, name))) for sample in samples])


def fifths(samples: list[Sample], name: str) -> str:
    """The mean of a sampled quantity in each fifth of the samples."""
    if len(samples) < 5:
        return "–"
    size = len(samples) / 5
    parts = [samples[round(index * size) : round((index + 1) * size)] for index in range(5)]
    means = [sum(getattr(sample, name) for sample in part) / len(part) for part in parts]
    return " / ".join(f"{mean:.1f}" for mean in means)


def levels(trend: Trend | None) -> str:
    if trend is None:
        return "–"
    return f"{trend.start:.0f} / {trend.middle:.0f} / {trend.end:.0f}"


def slope(trend: Trend | None, name: str) -> str:
    if trend is None:
        return "–"
    mark = "✓" if trend.steady(TOLERANCES[name]) else "✗ rising"
    return f"{trend.slope:+.1f} / {trend.late_slope:+.1f} ({trend.noise:.2f}) {mark}"


def ms(seconds: float) -> str:
    return "–" if math.isnan(seconds) else f"{seconds * 1000:.1f} ms"


def ratio(ours: float, theirs: float) -> str:
    if math.isnan(ours) or math.isnan(theirs) or theirs == 0:
        return ""
    return f"{ours / theirs:.2f}×"
