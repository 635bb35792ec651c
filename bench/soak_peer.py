"""The soak's peer: the same load as the daemon, driven by a bare APScheduler + paramiko loop.

    .venv/bin/python -m bench.soak_peer SSHD_DIR CALENDAR --hosts 200 --port PORT --every 10 \
        --offset 5 --seconds 660 --out peer.json

One open paramiko Transport per host (bench.ssh_executor.bare_transports) and one interval job
per host in an in-memory BackgroundScheduler with 32 workers (maintd's default), every job
sending its host the same remote work as maintd (the request maintd's Runner builds for the
first task of CALENDAR: its /bin/sh line under `timeout`, the plugin on stdin) and reading the
output. No ledger, no parsing, no incidents: the floor for a scheduler-driven check loop. Its
fires are anchored OFFSET seconds after maintd's, so the two never burst at the same instant.
Writes each fire's scheduled time (epoch) and lag (seconds from the scheduled time to the
moment the job began), and the failures, as JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import paramiko
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from bench.ssh_executor import bare_transports
from maintd.config import load_calendar
from maintd.execute import ExecRequest, Runner
from maintd.plugins import load_catalog
from tests.sshd import SshdCluster

WORKERS = 32  # maintd's default concurrency.total


class PeerLoop:
    """Interval jobs over open transports, noting when each fire began."""

    def __init__(
        self,
        transports: list[paramiko.Transport],
        requests: list[ExecRequest],
        every: float,
        anchor: float,
    ) -> None:
        self.transports = transports
        self.requests = requests
        self.every = every
        self.anchor = anchor
        self.fires: list[tuple[int, float, float]] = []  # host index, scheduled epoch, lag
        self.failures: list[str] = []
        self._lock = threading.Lock()

    def check(self, index: int) -> None:
        began = time.time()
        # Interval fires fall at anchor + k × every; the latest one at or before `began` is
        # this fire's while the lag stays under one interval (the report shows it does).
        scheduled = self.anchor + math.floor((began - self.anchor) / self.every) * self.every
        with self._lock:
            self.fires.append((index, scheduled, began - scheduled))
        try:
            request = self.requests[index]
            channel = self.transports[index].open_session(timeout=10)
            channel.exec_command(request.command)
            channel.sendall(request.stdin)  # no EOF, as maintd: the script needs none
            output = channel.makefile("rb").read()
            channel.recv_exit_status()
            channel.close()
            if not output:
                raise RuntimeError("no output")
        except Exception as error:  # a peer fire that fails is counted, not fatal
            with self._lock:
                self.failures.append(f"h{index + 1}: {error}")

    def run(self, seconds: float) -> None:
        scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max_workers=WORKERS)},
            job_defaults={"coalesce": False, "max_instances": 1, "misfire_grace_time": None},
        )
        start = datetime.fromtimestamp(self.anchor, UTC)
        for index in range(len(self.transports)):
            scheduler.add_job(
                self.check, "interval", seconds=self.every, start_date=start, args=(index,)
            )
        scheduler.start()
        time.sleep(seconds)
        scheduler.shutdown(wait=True)


def next_anchor(every: float, offset: float) -> float:
    """The next instant ``offset`` seconds past a multiple of ``every`` (epoch seconds)."""
    now = time.time()
    return (math.floor(now / every) + 1) * every + offset


def build_requests(calendar: Path, hosts: int) -> list[ExecRequest]:
    """maintd's request for the first task of ``calendar`` on h1 … hN (built, never run)."""
    loaded = load_calendar(calendar).calendar
    runner = Runner(loaded, load_catalog(loaded.plugin_dirs))
    task = loaded.tasks[0]
    return [runner.build_request(task, f"h{index + 1}") for index in range(hosts)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sshd_dir", type=Path)
    parser.add_argument("calendar", type=Path)
    parser.add_argument("--hosts", type=int, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--every", type=float, default=10.0)
    parser.add_argument("--offset", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--out", type=Path, required=True)
    arguments = parser.parse_args()
    # Describes the running cluster (keys and addresses); starts nothing.
    cluster = SshdCluster(arguments.sshd_dir, hosts=arguments.hosts, port=arguments.port)
    requests = build_requests(arguments.calendar, arguments.hosts)
    transports = bare_transports(cluster)
    loop = PeerLoop(
        transports, requests, arguments.every, next_anchor(arguments.every, arguments.offset)
    )
    loop.run(arguments.seconds)
    for transport in transports:
        transport.close()
    result = {"every": loop.every, "fires": loop.fires, "failures": loop.failures}
    arguments.out.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
