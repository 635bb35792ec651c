"""The load soak (issue 9): a real `maintd run` against many loopback SSH hosts, each checked
every few seconds, watched from outside for a backlog or a leak.

    .venv/bin/python -m bench.soak [--hosts 200] [--every 10] [--minutes 10] [--no-peer]

Starts one sshd per 16 loopback addresses (tests.sshd.SshdCluster), then `maintd run` (as
tests.daemon.Daemon starts it, with its HTTP endpoint on) on a calendar of one task, the `load`
check every EVERY seconds on every host (thresholds set high so the status stays OK), and
beside it the same load driven by a bare APScheduler + paramiko loop (bench.soak_peer) whose
fires fall half an interval after maintd's. After WARMUP seconds it samples both processes
every SAMPLE seconds for MINUTES minutes from /proc (RSS, threads, fds, established SSH
connections, CPU) and the daemon's /metrics; at the end it matches the ledger's rows against
the planned fires of the window: lost and doubled fires, statuses, lag (scheduled_for →
started_at), how long each burst took to start, and the backlog at each sample.

Prints a block for RELIABILITY.md and writes it to bench/out/soak-<UTC time>.md. Needs root and
Debian's openssh-server (scripts/test installs it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from bench import procstat
from bench.soak_report import Soak, Subject, render_report
from tests.daemon import Daemon
from tests.sshd import SshdCluster, free_port, sshd_available

OUT = Path(__file__).parent / "out"
MEMTRACE = Path(__file__).parent / "memtrace"
STOP_WAIT = 30.0  # stop grace 5 s (tests.daemon.Daemon) + closing 200 connections, generously
TASK = "soak"


def soak_calendar(cluster: SshdCluster, every: float, http_port: int) -> str:
    """Every host of ``cluster`` runs the `load` check every ``every`` seconds; the status
    stays OK whatever the machine's load (the soak measures the daemon, not the host)."""
    task = (
        f"tasks:\n  - {{name: {TASK}, check: load, hosts: [cluster], "
        f"schedule: {{every: {every:g}s}}, params: {{warn: '1000', crit: '2000'}}}}\n"
    )
    return cluster.calendar_text(task) + f"http: {{listen: '127.0.0.1:{http_port}'}}\n"


def start_daemon(
    cluster: SshdCluster, directory: Path, every: float, trace: Path | None, env: list[str]
) -> tuple[Daemon, str]:
    """`maintd run` on the soak calendar, READY; return it and its /metrics URL. With
    ``trace``, its Python heap is traced and snapshotted there (bench/memtrace); ``env``:
    NAME=VALUE settings added to its environment (MALLOC_ARENA_MAX=2, say)."""
    directory.mkdir()
    daemon = Daemon(directory)
    http_port = free_port()
    daemon.calendar.write_text(soak_calendar(cluster, every, http_port))
    saved = dict(os.environ)
    os.environ["PYTHONFAULTHANDLER"] = "1"  # a stack of every thread if it must be aborted
    if trace is not None:  # Daemon.start passes this process's environment on
        trace.mkdir()
        os.environ["PYTHONPATH"] = os.pathsep.join([str(MEMTRACE), *sys.path[:1]])
        os.environ["MAINTD_MEMTRACE_DIR"] = str(trace)
    for setting in env:
        name, _, value = setting.partition("=")
        os.environ[name] = value
    try:
        daemon.start()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    daemon.messages("READY=1", seconds=120)
    return daemon, f"http://127.0.0.1:{http_port}/metrics"


def start_peer(
    cluster: SshdCluster, calendar: Path, every: float, seconds: float, out: Path
) -> subprocess.Popen[bytes]:
    arguments = [
        sys.executable, "-m", "bench.soak_peer", str(cluster.directory), str(calendar),
        "--hosts", str(cluster.hosts), "--port", str(cluster.port), "--every", f"{every:g}",
        "--offset", f"{every / 2:g}", "--seconds", f"{seconds:g}", "--out", str(out),
    ]  # fmt: skip
    return subprocess.Popen(arguments)  # noqa: S603


def sample_until(watched: list[Subject], port: int, until: float, every: float) -> None:
    """Sample each process every ``every`` seconds until the epoch ``until``; read where its
    memory is (by mapping) at the first and the last sample."""
    for subject in watched:
        subject.mappings.append(procstat.smaps_by_mapping(subject.pid))
    while time.time() < until:
        began = time.monotonic()
        for subject in watched:
            subject.samples.append(procstat.sample(subject.pid, port, subject.metrics_url))
        time.sleep(max(0.0, every - (time.monotonic() - began)))
    for subject in watched:
        subject.mappings.append(procstat.smaps_by_mapping(subject.pid))


def stop_daemon(daemon: Daemon) -> int | None:
    """SIGTERM, as systemd stops it; return its exit code, or None when it did not end within
    STOP_WAIT seconds: then SIGABRT makes faulthandler write every thread's stack to its
    output (the report shows where it hung) before it is killed."""
    process = daemon.process
    assert process is not None  # noqa: S101 - started by start_daemon
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=STOP_WAIT)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
        return None


def run_soak(arguments: argparse.Namespace, directory: Path) -> Soak:
    """Start the hosts, the daemon and the peer, sample them, stop them; return what was seen."""
    every, measured = arguments.every, arguments.minutes * 60
    cluster = SshdCluster(directory / "sshd", hosts=arguments.hosts).start()
    daemon: Daemon | None = None
    peer: subprocess.Popen[bytes] | None = None
    try:
        trace = directory / "memtrace" if arguments.trace_memory else None
        daemon, metrics_url = start_daemon(
            cluster, directory / "daemon", every, trace, arguments.daemon_env
        )
        assert daemon.process is not None  # noqa: S101 - started just above
        ready = time.time()
        watched = [Subject("maintd", daemon.process.pid, metrics_url)]
        peer_out = directory / "peer.json"
        if arguments.peer:
            peer = start_peer(
                cluster, daemon.calendar, every, arguments.warmup + measured + every, peer_out
            )
            watched.append(Subject("peer", peer.pid))
        window = (ready + arguments.warmup, ready + arguments.warmup + measured)
        time.sleep(arguments.warmup)
        sample_until(watched, cluster.port, window[1], arguments.sample)
        time.sleep(every + 2)  # the window's last fires finish before the stop
        stopped = time.monotonic()
        exit_code = stop_daemon(daemon)
        stop_seconds = time.monotonic() - stopped
        if peer is not None:
            peer.wait(timeout=every * 3 + 60)
        return Soak(
            arguments=vars(arguments), window=window, cluster=cluster, daemon=daemon,
            subjects=watched, peer_out=peer_out if peer is not None else None,
            exit_code=exit_code, stop_seconds=stop_seconds, trace=trace,
        )  # fmt: skip
    finally:
        if peer is not None and peer.poll() is None:
            peer.kill()
        if daemon is not None:
            daemon.close()
        cluster.stop()


def tree_state() -> str:
    """The code that ran: the commit, and the files of maintd/ changed on top of it."""

    def git(*arguments: str) -> str:
        done = subprocess.run(["git", *arguments], capture_output=True, text=True, check=False)  # noqa: S603, S607
        return done.stdout.strip()

    changed = [line[3:] for line in git("status", "--porcelain", "maintd").splitlines()]
    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return f"{head} + {len(changed)} changed files in maintd/" if changed else head


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--every", type=parse_seconds, default=10.0, help="e.g. 10 or 10s")
    parser.add_argument("--minutes", type=float, default=10.0, help="measured, after warm-up")
    parser.add_argument("--warmup", type=parse_seconds, default=60.0)
    parser.add_argument("--sample", type=parse_seconds, default=5.0, help="sampling period")
    parser.add_argument("--no-peer", dest="peer", action="store_false")
    parser.add_argument(
        "--daemon-env", action="append", default=[], metavar="NAME=VALUE",
        help="add to the daemon's environment (for experiments; the report names it)",
    )  # fmt: skip
    parser.add_argument(
        "--trace-memory", action="store_true",
        help="trace the daemon's Python heap (slows it: for finding a leak, not for figures)",
    )  # fmt: skip
    return parser.parse_args()


def parse_seconds(text: str) -> float:
    """``10``, ``10s`` or ``2m`` as seconds."""
    if text.endswith("m"):
        return float(text[:-1]) * 60
    return float(text.removesuffix("s"))


def main() -> None:
    arguments = parse_arguments()
    reason = sshd_available()
    if reason:
        raise SystemExit(f"cannot run: {reason}")
    command = " ".join(["python -m bench.soak", *sys.argv[1:]])
    tree = tree_state()
    began = datetime.now(UTC)
    scratch = Path(tempfile.mkdtemp(prefix="maintd-soak-"))
    try:
        soak = run_soak(arguments, scratch)
        report = render_report(soak, command, began, tree)
    finally:
        OUT.mkdir(exist_ok=True)
        output = scratch / "daemon" / "daemon.log"
        if output.exists():  # kept: the daemon's own account, stacks if it was aborted
            shutil.copy(output, OUT / f"soak-{began:%Y%m%dT%H%M}Z-daemon.log")
        shutil.rmtree(scratch, ignore_errors=True)
    print(report)
    out = OUT / f"soak-{began:%Y%m%dT%H%M}Z.md"
    out.write_text(report + "\n", encoding="utf-8")
    samples = {
        subject.name: [asdict(sample) for sample in subject.samples] for subject in soak.subjects
    }
    out.with_suffix(".samples.json").write_text(json.dumps(samples), encoding="utf-8")
    print(f"written to {out} (the daemon's output beside it)")


if __name__ == "__main__":
    main()
