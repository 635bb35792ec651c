"""maintd's SSH executor beside the clients peers use, in one run against the same sshd hosts.

    .venv/bin/python -m bench.ssh_executor [--hosts 50] [--rounds 10] [--threads 20]

Starts real sshd on loopback addresses 127.0.0.2 … (one sshd per 16 addresses), then runs
ROUNDS × HOSTS checks of `echo ok` with:

- maintd: its Runner (pooled paramiko, the real request path: fixed /bin/sh line, script and
  environment over stdin, output capture, deadline) with THREADS workers;
- bare paramiko: THREADS threads over HOSTS already-open Transports, one channel per check,
  read stdout, exit status — the floor for any paramiko-based tool; run twice, with `echo ok`
  and with maintd's own remote work (its /bin/sh line under `timeout`, script on stdin), which
  separates maintd's client overhead from the cost of the hard-timeout wrapper on the host;
- OpenSSH ControlMaster + `xargs -P THREADS`: connections shared through master sockets.

Reports checks/s, client CPU per check, peak RSS, and the latency of one check on an idle,
warm connection (median of 50). Needs root and Debian's openssh-server (scripts/test installs it).
"""

from __future__ import annotations

import argparse
import itertools
import resource
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paramiko

from maintd.config import load_calendar
from maintd.execute import ExecRequest, Runner
from maintd.pipeline import FireProcessor, Site
from maintd.plan import Planner
from maintd.plugins import load_catalog
from maintd.report.maintlog import MaintenanceLog
from maintd.respond import Responder
from maintd.store import IncidentBook, open_store
from tests.sshd import SshdCluster, sshd_available

SELF = resource.RUSAGE_SELF
TASK = (
    "tasks:\n  - {name: echo, command: [/bin/echo, ok], hosts: [cluster], schedule: {every: 1m}}\n"
)


def cpu_seconds(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def measure(name: str, checks: int, action: Callable[[], None], who: int) -> dict[str, float | str]:
    cpu_before, started = cpu_seconds(who), time.perf_counter()
    action()
    elapsed, cpu = time.perf_counter() - started, cpu_seconds(who) - cpu_before
    return {"name": name, "rate": checks / elapsed, "cpu_ms": cpu / checks * 1000}


def maintd_runner(cluster: SshdCluster, directory: Path, threads: int) -> Runner:
    path = directory / "bench.yaml"
    path.write_text(cluster.calendar_text(TASK))
    loaded = load_calendar(path)
    return Runner(loaded.calendar, load_catalog([]), max_workers=threads)


def run_maintd(runner: Runner, hosts: list[str], rounds: int) -> None:
    task = runner.calendar.tasks[0]
    for _ in range(rounds):
        for host_run in runner.run_task(task, hosts):
            if host_run.raw.stdout != b"ok\n":
                raise RuntimeError(f"{host_run.host}: {host_run.raw}")


def recording_processor(runner: Runner, directory: Path) -> FireProcessor:
    """maintd's fire pipeline writing to a SQLite ledger and the maintenance log, with the
    incident responder."""
    calendar = runner.calendar
    site = Site(calendar, Planner(calendar), runner)
    ledger = open_store(str(directory / "bench.db"))
    processor = FireProcessor(site, ledger, MaintenanceLog(directory / "logs", calendar.zone))
    # As in the daemon: every result also goes through the incident responder.
    book = IncidentBook(ledger.engine)
    processor.responder = Responder(book, processor.policy, processor.severity)
    return processor


def run_recorded(processor: FireProcessor, hosts: list[str], rounds: int, threads: int) -> None:
    """Each check as the daemon runs a fire: decide, claim the row, run, parse, record."""
    site = processor.site
    task = site.calendar.tasks[0]
    base = datetime.now(UTC) + timedelta(days=next(_ROUND))  # fresh, unclaimed fire times
    fires = [(host, base + timedelta(seconds=index)) for index in range(rounds) for host in hosts]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(
            pool.map(lambda fire: processor.run_fire(site, task, fire[0], fire[1], "manual"), fires)
        )


_ROUND = itertools.count(1)


def bare_transports(cluster: SshdCluster) -> list[paramiko.Transport]:
    key = paramiko.PKey.from_path(cluster.client_key)
    transports = []
    for address in cluster.addresses:
        sock = socket.create_connection((address, cluster.port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        transport = paramiko.Transport(sock)
        transport.start_client()
        transport.auth_publickey(cluster.user, key)
        transports.append(transport)
    return transports


def run_bare(
    transports: list[paramiko.Transport],
    rounds: int,
    threads: int,
    request: ExecRequest | None = None,
) -> None:
    def one(transport: paramiko.Transport) -> None:
        channel = transport.open_session()
        if request is None:
            channel.exec_command("echo ok")
        else:  # the same remote work as maintd: its shell line and stdin script
            channel.exec_command(request.command)
            channel.sendall(request.stdin)
            channel.shutdown_write()
        data = channel.makefile("rb").read()
        channel.recv_exit_status()
        channel.close()
        if data != b"ok\n":
            raise RuntimeError(data)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        for _ in range(rounds):
            list(pool.map(one, transports))


def ssh_options(cluster: SshdCluster, control: Path) -> list[str]:
    return [
        "-i", str(cluster.client_key), "-p", str(cluster.port),
        "-o", f"UserKnownHostsFile={cluster.known_hosts}", "-o", "StrictHostKeyChecking=yes",
        "-o", "BatchMode=yes", "-o", "ControlMaster=auto",
        "-o", f"ControlPath={control}/%h-%p", "-o", "ControlPersist=120",
    ]  # fmt: skip


def run_controlmaster(cluster: SshdCluster, control: Path, rounds: int, threads: int) -> None:
    targets = (
        "\n".join(f"{cluster.user}@{address}" for address in cluster.addresses * rounds) + "\n"
    )
    command = ["xargs", "-P", str(threads), "-I", "{}", "ssh", *ssh_options(cluster, control),
               "{}", "echo ok"]  # fmt: skip
    result = subprocess.run(command, input=targets, capture_output=True, text=True, check=True)  # noqa: S603
    if result.stdout.count("ok") != len(cluster.addresses) * rounds:
        raise RuntimeError(result.stderr)


def idle_latency_ms(action: Callable[[], None], samples: int = 50) -> float:
    timings = []
    for _ in range(samples):
        time.sleep(0.01)  # idle between checks, as in a schedule
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def main() -> None:  # noqa: PLR0915 - one benchmark, step by step
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--threads", type=int, default=20)
    arguments = parser.parse_args()
    reason = sshd_available()
    if reason:
        raise SystemExit(f"cannot run: {reason}")
    checks = arguments.hosts * arguments.rounds
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        cluster = SshdCluster(directory / "sshd", hosts=arguments.hosts).start()
        try:
            runner = maintd_runner(cluster, directory, arguments.threads)
            hosts = list(runner.calendar.hosts)
            run_maintd(runner, hosts, 1)  # connect every host once: warm pools on both sides
            transports = bare_transports(cluster)
            control = directory / "cm"
            control.mkdir()
            run_controlmaster(cluster, control, 1, arguments.threads)
            same_work = runner.build_request(runner.calendar.tasks[0], "h1")
            recorder = recording_processor(runner, directory)
            rounds, threads = arguments.rounds, arguments.threads
            contenders: list[tuple[str, Callable[[], None], int]] = [
                ("maintd executor", lambda: run_maintd(runner, hosts, rounds), SELF),
                (
                    "maintd + ledger (fire pipeline, SQLite)",
                    lambda: run_recorded(recorder, hosts, rounds, threads),
                    SELF,
                ),
                ("bare paramiko loop", lambda: run_bare(transports, rounds, threads), SELF),
                (
                    "bare paramiko, maintd's remote work",
                    lambda: run_bare(transports, rounds, threads, same_work),
                    SELF,
                ),
                (
                    "OpenSSH ControlMaster + xargs",
                    lambda: run_controlmaster(cluster, control, rounds, threads),
                    resource.RUSAGE_CHILDREN,
                ),
            ]
            results = [
                measure(name, checks, action, who)
                for _ in range(3)
                for name, action, who in contenders
            ]
            task = runner.calendar.tasks[0]
            maintd_idle = idle_latency_ms(lambda: run_maintd_one(runner, task))
            bare_idle = idle_latency_ms(lambda: run_bare([transports[0]], 1, 1))
            rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            runner.close()
            for transport in transports:
                transport.close()
            stop_master = ["ssh", *ssh_options(cluster, control), "-O", "exit"]
            for address in cluster.addresses:
                target = f"{cluster.user}@{address}"
                subprocess.run([*stop_master, target], capture_output=True, check=False)  # noqa: S603
        finally:
            cluster.stop()
            shutil.rmtree(directory / "cm", ignore_errors=True)
    print(f"{arguments.hosts} loopback sshd hosts x {arguments.rounds} rounds of `echo ok`, "
          f"{arguments.threads} threads, medians of 3")  # fmt: skip
    medians = {}
    for name in dict.fromkeys(str(result["name"]) for result in results):
        runs = [result for result in results if result["name"] == name]
        medians[name] = (
            statistics.median(float(run["rate"]) for run in runs),
            statistics.median(float(run["cpu_ms"]) for run in runs),
        )
    bare_rate = medians["bare paramiko loop"][0]
    for name, (rate, cpu_ms) in medians.items():
        print(f"  {name:<32} {rate:8.1f} checks/s  {rate / bare_rate:5.2f}x bare  "
              f"client CPU {cpu_ms:5.2f} ms/check")  # fmt: skip
    print(f"  idle single check on a warm connection: maintd {maintd_idle:.2f} ms, "
          f"bare paramiko {bare_idle:.2f} ms")  # fmt: skip
    print(
        f"  maintd process peak RSS (maintd + bare loop, {arguments.hosts} hosts): {rss_mb:.0f} MB"
    )


def run_maintd_one(runner: Runner, task: object) -> None:
    host_run = runner.run_one(task, "h1")  # type: ignore[arg-type]
    if host_run.raw.stdout != b"ok\n":
        raise RuntimeError(host_run.raw)


if __name__ == "__main__":
    main()
