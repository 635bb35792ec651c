"""Bad plugin output never crashes maintd: perfdata of any shape parses without raising,
keeping only finite, labelled numbers; any bytes and exit code parse to a status and a
one-line summary free of control characters; and binary, endless, flooding, over-long and
malformed output from real plugins under `maintd run` ends as a ledger row (capped, timed out
or parsed) that every reader of the ledger (history, report, log, the dashboard) can show,
with the daemon's memory bounded.

The fuzz targets run a fixed number of derandomised examples (`MAINTD_FUZZ_EXAMPLES` scales
them) and count what they tried (with `MAINTD_FIGURES` set, in bad_input.json there).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from maintd.results import parse_output, parse_perfdata
from maintd.store import open_store
from tests.conftest import PLUGINS
from tests.daemon import Daemon, rows, start
from tests.fetch import fetch
from tests.reliability.bad_input_helpers import (
    EXAMPLES_PER_TARGET,
    FUZZ_COUNTS,
    fuzz_settings,
    invoke,
)
from tests.sshd import free_port

pytestmark = pytest.mark.usefixtures("bad_input_figures")

CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # NUL, ESC …: not \t \n \r


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    """A daemon in its own directory, not started: the test writes its calendar."""
    made = Daemon(tmp_path)
    yield made
    made.close()


# --- perfdata ----------------------------------------------------------------------------------

perfdata_pieces = st.sampled_from([
    "=", ";", "'", "''", " ", "U", "~", ":", "@", "%", "s", "B", "1", "-1", "1e308", "1e309",
    "-1e999", "nan", "NaN", "inf", "-inf", "0x10", ".", "1.", ".5", "+3", "1e", "a", "é", "\t",
    "\n", "|", "\x00", "\ufffd", "9" * 400, "label", "'free space'", "10:20", "@10:20", "~:10",
    "10:", "20:10",
])  # fmt: skip
perfdata_texts = st.one_of(
    st.lists(perfdata_pieces, max_size=30).map("".join),
    st.text(max_size=200),
    st.lists(
        st.tuples(st.text(max_size=6), st.floats(), st.text(max_size=4), st.text(max_size=6)),
        max_size=5,
    ).map(lambda items: " ".join(f"{a}={b}{c};{d}" for a, b, c, d in items)),
)


@fuzz_settings(EXAMPLES_PER_TARGET * 5)
@given(text=perfdata_texts)
def test_perfdata_of_any_shape_never_raises_and_keeps_only_finite_labelled_numbers(
    text: str,
) -> None:
    items, notes = parse_perfdata(text)
    FUZZ_COUNTS[f"perfdata {'kept some' if items else 'kept none'}"] += 1
    for item in items:
        assert item.label.strip() and item.label.isprintable(), item
        assert item.value is None or math.isfinite(item.value), item
        for bound in (item.minimum, item.maximum):
            assert bound is None or math.isfinite(bound), item
    assert all(isinstance(note, str) and note for note in notes)


@fuzz_settings(EXAMPLES_PER_TARGET * 2)
@given(output=st.binary(max_size=300), exit_code=st.integers(-20, 300))
def test_any_plugin_output_parses_to_a_status_and_a_one_line_summary(
    output: bytes, exit_code: int
) -> None:
    result = parse_output(exit_code, output)
    FUZZ_COUNTS[f"plugin output {result.status.value}"] += 1
    assert result.summary and "\n" not in result.summary
    assert not CONTROL_CHARACTERS.search(result.summary + result.long_output), result
    for item in result.perfdata:
        assert item.label and (item.value is None or math.isfinite(item.value))


# --- binary, endless and malformed plugin output -----------------------------------------------

OUTPUT_KINDS = {
    # task: (plugin, params, timeout, statuses the run may end with)
    "garbage": ("test_garbage", "{}", "10s", {"UNKNOWN"}),
    "binary": ("test_binary", "{}", "10s", {"CRITICAL"}),
    "flood": ("test_flood", "{megabytes: 20}", "20s", {"OK"}),
    "endless": ("test_endless", "{}", "2s", {"TIMEOUT"}),
    "long_line": ("test_long_line", "{}", "20s", {"WARNING"}),
    "bad_perfdata": ("test_bad_perfdata", "{}", "10s", {"OK"}),
}
MAX_RSS_KIB = 400 * 1024  # a daemon holding 50 MB or an endless stream would cross this


def output_calendar(port: int) -> str:
    tasks = "".join(
        f"  - {{name: {task}, check: {plugin}, hosts: [self], schedule: {{every: 3s}}, "
        f"params: {params}, timeout: {timeout}}}\n"
        for task, (plugin, params, timeout, _) in OUTPUT_KINDS.items()
    )
    return (
        f"timezone: UTC\nplugin_dirs: [{PLUGINS}]\nhttp: {{listen: '127.0.0.1:{port}'}}\n"
        f"hosts:\n  self: {{transport: local}}\ntasks:\n{tasks}"
    )


def finished_rows(daemon: Daemon) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {task: [] for task in OUTPUT_KINDS}
    for row in rows(daemon):
        if row["status"] not in ("RUNNING", "SKIPPED", "MISSED", "INTERRUPTED"):
            found[str(row["task"])].append(row)
    return found


def peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def read_ledger_back(daemon: Daemon, port: int, run_ids: list[int]) -> None:
    """Every reader of the ledger shows what was stored: the CLI's history, report (three
    formats) and log, and the dashboard's overview and run pages."""
    where = ("--db", str(daemon.database), "--config", str(daemon.calendar))
    for arguments in (
        ("history", "--format", "json", *where),
        ("history", *where),
        ("report", "--period", "day", "--format", "md", *where),
        ("report", "--period", "day", "--format", "html", *where),
        ("report", "--period", "day", "--format", "json", *where),
        ("log", "--log-dir", str(daemon.logs)),
        ("log", "--log-dir", str(daemon.logs), "--format", "json"),
    ):
        result = invoke(*arguments)
        assert result.exit_code == 0, (arguments, result.stderr, result.exception)
        assert result.stdout.strip() and "\x00" not in result.stdout, arguments
    for path in ["/", *(f"/runs/{run_id}" for run_id in run_ids)]:
        status, _, body = fetch(port, path, timeout=10)
        assert status == 200, (path, body[:300])
        assert b"\x00" not in body and len(body) < 2_000_000, path


def test_binary_endless_and_malformed_output_ends_as_rows_every_reader_can_show(
    daemon: Daemon,
) -> None:
    port = free_port()
    daemon.calendar.write_text(output_calendar(port))
    start(daemon)
    assert daemon.process is not None
    deadline = time.monotonic() + 40
    while not all(finished_rows(daemon).values()):
        assert time.monotonic() < deadline, (finished_rows(daemon), daemon.output()[-3000:])
        assert daemon.process.poll() is None, daemon.output()[-3000:]
        time.sleep(0.5)
    peak = peak_rss_kib(daemon.process.pid)
    found = finished_rows(daemon)
    read_ledger_back(daemon, port, [int(found[task][0]["id"]) for task in OUTPUT_KINDS])
    assert daemon.stop() == 0
    for task, (_, _, _, statuses) in OUTPUT_KINDS.items():
        row = found[task][0]
        FUZZ_COUNTS[f"output {task} -> {row['status']}"] += 1
        assert row["status"] in statuses, (task, row)
        assert row["summary"] and len(str(row["summary"])) <= 1000, task
        shown = str(row["summary"]) + str(row["output"] or "")
        assert not CONTROL_CHARACTERS.search(shown), (task, shown[:300])
    assert found["endless"][0]["status"] == "TIMEOUT"
    assert "no answer within 2s" in str(found["endless"][0]["reason"])
    assert "dropped" in str(found["flood"][0]["output"])  # capped, and it says so
    assert peak < MAX_RSS_KIB, f"peak RSS {peak} KiB"
    measured = {item["name"] for item in open_store(str(daemon.database)).metrics_of(
        int(found["bad_perfdata"][0]["id"]))}  # fmt: skip
    expected = {"good", "unit", "q'uote", "x", "sp ace", "neg", "more", "also", "ctl\ufffdlabel"}
    assert measured == expected, measured
    assert "Traceback" not in daemon.output(), daemon.output()[-3000:]
