"""A reload with a broken calendar never stops `maintd run`: whatever the breakage (YAML
syntax, an unknown plugin, a schema error, binary bytes, the calendar deleted or replaced by a
directory, a broken plugin header in plugin_dirs, one bad file in a calendar directory), the
daemon refuses the reload naming file (and line) in its log, the maintenance log and the
notify STATUS, and the old calendar keeps firing with no gap; a good reload afterwards is
taken.

The kinds refused are counted (with `MAINTD_FIGURES` set, in bad_input.json there).
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PLUGINS
from tests.daemon import Daemon, assert_no_gaps, rows, start
from tests.reliability.bad_input_helpers import FUZZ_COUNTS, REFUSED_KINDS

pytestmark = pytest.mark.usefixtures("bad_input_figures")

GOOD_CALENDAR = f"""\
timezone: UTC
plugin_dirs: [{PLUGINS}]
hosts:
  self: {{transport: local}}
tasks:
  - {{name: steady, check: test_status, hosts: [self], schedule: {{every: 1s}}}}
"""
ADDED_TASK = "  - {name: added, check: test_status, hosts: [self], schedule: {every: 1s}}\n"


def status_of(messages: list[str]) -> str:
    """The STATUS= of the last READY datagram (the reload's answer)."""
    ready = [message for message in messages if message.startswith("READY=1")]
    assert ready, messages
    return ready[-1].split("STATUS=", 1)[1]


def steady_rows(daemon: Daemon) -> int:
    return sum(1 for row in rows(daemon) if row["task"] == "steady" and row["status"] == "OK")


def assert_still_firing(daemon: Daemon) -> None:
    """The old calendar's job keeps recording OK rows (a new one within 4 s, for a 1 s job)."""
    before = steady_rows(daemon)
    deadline = time.monotonic() + 4
    while steady_rows(daemon) < before + 1:
        assert time.monotonic() < deadline, f"steady stopped at {before} rows: {daemon.output()}"
        time.sleep(0.2)


def reload_and_expect_refusal(daemon: Daemon, located: str) -> str:
    """SIGHUP; the daemon refuses, naming ``located`` (a file, or file:line) in its log and
    the maintenance log; return the notify STATUS."""
    daemon.signal(signal.SIGHUP)
    status = status_of(daemon.messages("READY=1"))
    assert status.startswith("reload refused"), status
    assert daemon.process is not None and daemon.process.poll() is None
    log_text = "\n".join(path.read_text() for path in sorted(daemon.logs.glob("*.log")))
    assert f"reload refused: {located}" in daemon.output(), daemon.output()[-3000:]
    assert "reload refused" in log_text
    return status


def broken_calendars(daemon: Daemon) -> list[tuple[str, Any, str]]:
    """(kind, how to break the calendar, what the refusal must name)."""
    path = daemon.calendar
    calendar = str(path)

    def write(text: str) -> Any:
        return lambda: path.write_text(text)

    def delete() -> None:
        path.unlink()

    def directory_in_place() -> None:
        path.unlink()
        path.mkdir()
        (path / "inside.txt").write_text("not a calendar\n")

    site_plugins = path.parent / "site-plugins"
    broken_plugin = site_plugins / "broken"

    def broken_plugin_header() -> None:
        site_plugins.mkdir(exist_ok=True)
        broken_plugin.write_text("#!/bin/sh\n# ---\n# name: site_check\n# summary: [\n# ---\n")
        path.write_text(GOOD_CALENDAR.replace(f"[{PLUGINS}]", f"[{site_plugins}, {PLUGINS}]"))

    syntax_error = GOOD_CALENDAR.replace("tasks:\n", "tasks: [\n")
    unknown_plugin = GOOD_CALENDAR.replace("test_status", "test_statsu")
    schema_error = GOOD_CALENDAR.replace("every: 1s", "every: -1s")
    return [
        ("YAML syntax error", write(syntax_error), f"{calendar}:"),
        ("unknown plugin", write(unknown_plugin), f"{calendar}:6:"),
        ("schema error", write(schema_error), f"{calendar}:6:"),
        ("binary calendar", write("\x00\x01garbage\n"), f"{calendar}:1:1:"),
        ("calendar deleted", delete, f"{calendar}: "),
        ("a directory in its place", directory_in_place, f"{calendar}: "),
        ("a broken plugin header in plugin_dirs", broken_plugin_header, f"{broken_plugin}:5:"),
    ]  # fmt: skip


def restore(path: Path) -> None:
    if path.is_dir():
        for child in path.iterdir():
            child.unlink()
        path.rmdir()
    path.write_text(GOOD_CALENDAR)


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    made = Daemon(tmp_path)
    made.calendar.write_text(GOOD_CALENDAR)
    yield made
    made.close()


def test_every_kind_of_broken_reload_is_refused_and_the_old_calendar_keeps_firing(
    daemon: Daemon,
) -> None:
    start(daemon)
    assert_still_firing(daemon)
    for kind, breakage, located in broken_calendars(daemon):
        breakage()
        status = reload_and_expect_refusal(daemon, located)
        REFUSED_KINDS.append(kind)
        FUZZ_COUNTS["broken reload refused"] += 1
        assert_still_firing(daemon)
        restore(daemon.calendar)
    assert status  # the last refusal's STATUS
    daemon.calendar.write_text(GOOD_CALENDAR + ADDED_TASK)
    daemon.signal(signal.SIGHUP)
    assert "reload refused" not in status_of(daemon.messages("READY=1"))
    deadline = time.monotonic() + 5
    while not any(row["task"] == "added" for row in rows(daemon)):
        assert time.monotonic() < deadline, daemon.output()[-3000:]
        time.sleep(0.2)
    assert daemon.stop() == 0
    assert_no_gaps(daemon, rows(daemon))
    assert "Traceback" not in daemon.output()


def test_a_refused_reload_names_file_and_line_in_the_status_and_the_maintenance_log(
    daemon: Daemon,
) -> None:
    start(daemon)
    daemon.calendar.write_text(GOOD_CALENDAR.replace("every: 1s", "every: -1s"))
    located = f"{daemon.calendar}:6:"
    status = reload_and_expect_refusal(daemon, located)
    assert daemon.stop() == 0
    log_text = "\n".join(path.read_text() for path in sorted(daemon.logs.glob("*.log")))
    assert located in status, status
    assert located in log_text, log_text


def test_a_calendar_directory_with_one_bad_file_is_refused_naming_that_file(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "calendar.d"
    directory.mkdir()
    site, tasks = GOOD_CALENDAR.split("tasks:\n")
    (directory / "site.yaml").write_text(site)
    (directory / "tasks.yaml").write_text("tasks:\n" + tasks)
    (directory / "more.yaml").write_text("tasks:\n" + ADDED_TASK.replace("added", "more"))
    daemon = Daemon(tmp_path)
    daemon.calendar = directory
    try:
        start(daemon)
        assert_still_firing(daemon)
        bad = directory / "more.yaml"
        bad.write_text("tasks:\n  - {name: more, check: test_status, hosts: [nowhere]}\n")
        reload_and_expect_refusal(daemon, f"{bad}:2:")
        FUZZ_COUNTS["broken reload refused"] += 1
        REFUSED_KINDS.append("one bad file in a calendar directory")
        assert_still_firing(daemon)
        assert daemon.stop() == 0
    finally:
        daemon.close()
