"""The wall clock stepped forward and back under a running `maintd run`: no fire lost, no fire
doubled, and the scheduler is never declared dead.

Only the daemon's clock moves. libfaketime (Debian's `faketime` 0.9.10) cannot be used: with
FAKETIME_DONT_FAKE_MONOTONIC=1 every `time.sleep` and `Popen.wait(timeout=...)` of the interpreter
fails with EINVAL (its clock_nanosleep wrapper breaks TIMER_ABSTIME on CLOCK_MONOTONIC), and
without it the monotonic clock steps too, which no NTP step does. So the test builds a ten-line
LD_PRELOAD library that shifts CLOCK_REALTIME alone (clock_gettime, gettimeofday, time) by the
seconds written in a file, re-read every 10 ms, and first proves that the interpreter's
time.time() and datetime.now() follow it while time.monotonic() does not.

Steps: +10 min, −30 s, −10 min, then forward past every fire already made. Every fire the
planner puts between the first row and the daemon's clock at the stop has exactly one row
(fires jumped over are recorded — MISSED "maintd fell behind" — and the latest of them runs),
each fire that ran ran once (the check appends a line per run), and through the ten minutes of
wall-clock time the daemon must wait after the step back, the systemd watchdog keeps being
pinged (the heartbeat stays fresh).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.daemon import Daemon, coverage, read_rows

SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int (*real_clock_gettime)(clockid_t, struct timespec *);
static int64_t offset_ns, checked_ns = -1;

static int64_t offset(void) {  /* seconds from $FAKE_CLOCK_FILE, re-read every 10 ms */
    struct timespec now;
    real_clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t mono = now.tv_sec * 1000000000LL + now.tv_nsec;
    int64_t last = __atomic_load_n(&checked_ns, __ATOMIC_RELAXED);
    if (last < 0 || mono - last > 10000000LL) {
        const char *path = getenv("FAKE_CLOCK_FILE");
        char text[64] = {0};
        int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
        if (fd >= 0) {
            ssize_t got = read(fd, text, sizeof text - 1);
            close(fd);
            if (got > 0)
                __atomic_store_n(&offset_ns, (int64_t)(strtod(text, NULL) * 1e9), __ATOMIC_RELAXED);
        }
        __atomic_store_n(&checked_ns, mono, __ATOMIC_RELAXED);
    }
    return __atomic_load_n(&offset_ns, __ATOMIC_RELAXED);
}

int clock_gettime(clockid_t clock, struct timespec *ts) {
    if (!real_clock_gettime) real_clock_gettime = dlsym(RTLD_NEXT, "clock_gettime");
    int result = real_clock_gettime(clock, ts);
    if (result == 0 && (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE)) {
        int64_t total = ts->tv_sec * 1000000000LL + ts->tv_nsec + offset();
        ts->tv_sec = total / 1000000000LL;
        ts->tv_nsec = total % 1000000000LL;
    }
    return result;
}

int gettimeofday(struct timeval *tv, void *tz) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (tv) { tv->tv_sec = ts.tv_sec; tv->tv_usec = ts.tv_nsec / 1000; }
    return 0;
}

time_t time(time_t *out) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (out) *out = ts.tv_sec;
    return ts.tv_sec;
}
"""
PROBE = """
import datetime, json, os, sys, time
step = sys.argv[2]
before = (time.time(), datetime.datetime.now(datetime.UTC).timestamp(), time.monotonic())
with open(sys.argv[1], "w") as out:
    out.write(step)
time.sleep(0.1)
after = (time.time(), datetime.datetime.now(datetime.UTC).timestamp(), time.monotonic())
print(json.dumps([b - a for a, b in zip(before, after)]))
"""
WATCHDOG_SECONDS = 3.0
# (offset of the daemon's wall clock after the step, seconds to watch it run after the step)
STEPS = [
    (600.0, 2.5),  # forward 10 min
    (570.0, 2.0),  # back 30 s
    (-30.0, 12.0),  # back 10 min: longer than the heartbeat's 10 s staleness limit
    (615.0, 2.5),  # forward past every fire already made
]
CALENDAR = """
timezone: UTC
hosts:
  self: {{transport: local}}
tasks:
  - {{name: tick, command: ["/bin/sh", "-c", "echo ran >> {runs}/tick; echo OK"], hosts: [self],
     schedule: {{every: 1s}}}}
  - {{name: pair, command: ["/bin/sh", "-c", "echo ran >> {runs}/pair; echo OK"], hosts: [self],
     schedule: {{every: 2s}}, catch_up: none}}
  - {{name: minute, command: ["/bin/sh", "-c", "echo ran >> {runs}/minute; echo OK"],
     hosts: [self], schedule: {{cron: "* * * * *"}}}}
"""


@pytest.fixture(scope="module")
def shim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The LD_PRELOAD library that steps CLOCK_REALTIME only."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to build the wall-clock shim (apt-get install gcc)")
    directory = tmp_path_factory.mktemp("clock")
    library = directory / "wallclock.so"
    source = directory / "wallclock.c"
    source.write_text(SHIM)
    arguments = ["-Wall", "-Werror", "-shared", "-fPIC", "-O2", "-o", str(library), str(source)]
    subprocess.run([compiler, *arguments, "-ldl"], check=True, capture_output=True)  # noqa: S603
    return library


@pytest.fixture
def clock_file(tmp_path: Path) -> Path:
    path = tmp_path / "offset"
    path.write_text("0")
    return path


def test_the_interpreter_sees_the_wall_clock_step_and_the_monotonic_clock_does_not(
    shim: Path, clock_file: Path
) -> None:
    for step in (600.0, -600.0):
        clock_file.write_text("0")
        done = subprocess.run(  # noqa: S603 - fixed arguments
            [sys.executable, "-c", PROBE, str(clock_file), str(step)],
            env={"LD_PRELOAD": str(shim), "FAKE_CLOCK_FILE": str(clock_file)},
            capture_output=True, text=True, check=True, timeout=30,
        )  # fmt: skip
        wall, now, monotonic = json.loads(done.stdout)
        assert abs(wall - step) < 1 and abs(now - step) < 1, done.stdout
        assert 0.09 < monotonic < 1, done.stdout


@pytest.fixture
def daemon(
    tmp_path: Path, shim: Path, clock_file: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Daemon]:
    runs = tmp_path / "runs"
    runs.mkdir()
    made = Daemon(tmp_path)
    made.calendar.write_text(CALENDAR.format(runs=runs))
    # Daemon.start passes the test's environment on: only the daemon's wall clock moves.
    monkeypatch.setenv("LD_PRELOAD", str(shim))
    monkeypatch.setenv("FAKE_CLOCK_FILE", str(clock_file))
    monkeypatch.setenv("WATCHDOG_USEC", str(int(WATCHDOG_SECONDS * 1_000_000)))
    yield made
    made.close()


def test_steps_of_the_wall_clock_lose_no_fire_double_none_and_keep_the_heartbeat(
    daemon: Daemon, clock_file: Path
) -> None:
    daemon.start()
    daemon.messages("READY=1")
    time.sleep(2)
    longest_silence = 0.0
    for offset, seconds in STEPS:
        step_to(clock_file, offset)
        longest_silence = max(longest_silence, watchdog_silence(daemon, seconds))
    until = datetime.now(UTC) + timedelta(seconds=STEPS[-1][0] - 0.5)
    assert daemon.stop() == 0, daemon.output()

    rows = read_rows(daemon.database)
    found = coverage(daemon.calendar, rows, until)
    ran = Counter(row.task for row in rows if row.status == "OK")
    executed = {task: len((daemon.directory / "runs" / task).read_text().splitlines())
                for task in ("tick", "pair", "minute")}  # fmt: skip
    print(  # noqa: T201 - the figures for RELIABILITY.md (shown with pytest -s)
        f"clock steps {[offset for offset, _ in STEPS]}: {found.planned} fires planned, "
        f"{found.rows} rows ({found.rows / found.planned:.2f} per fire), {len(found.gaps)} gaps, "
        f"{len(found.duplicates)} duplicates; runs {dict(ran)} = executions {executed}; "
        f"statuses {dict(Counter(row.status for row in rows))}; longest watchdog silence "
        f"{longest_silence:.1f}s"
    )
    assert found.gaps == [], found.gaps[:10]
    assert found.duplicates == [] and found.unplanned == []
    assert found.planned == found.rows > 600  # the ten minutes jumped over are all there
    assert executed == {task: ran[task] for task in executed}  # each run ran once
    jumped = [row for row in rows if row.status == "MISSED"]
    assert {row.reason for row in jumped} == {"maintd fell behind"}
    assert longest_silence < WATCHDOG_SECONDS, "the watchdog was not pinged"
    assert "heartbeat" not in daemon.output()


def step_to(clock_file: Path, offset: float) -> None:
    """Step the daemon's wall clock to real time + ``offset`` seconds, atomically."""
    staged = clock_file.with_suffix(".new")
    staged.write_text(str(offset))
    staged.replace(clock_file)


def watchdog_silence(daemon: Daemon, seconds: float) -> float:
    """Watch the daemon's notify datagrams for ``seconds``; return the longest time without a
    WATCHDOG=1 ping."""
    assert daemon.process is not None
    started = last = time.monotonic()
    longest = 0.0
    while time.monotonic() - started < seconds:
        assert daemon.process.poll() is None, daemon.output()
        try:
            message = daemon.notify.recv(4096).decode()
        except TimeoutError:
            message = ""
        now = time.monotonic()
        if "WATCHDOG=1" in message:
            last = now
        longest = max(longest, now - last)
    return longest
