"""Bad input never crashes maintd: fuzzed calendars and plugin headers get a clear, located
error and exit 2 from `maintd validate` / `maintd plan` (never a traceback); perfdata of any
shape parses without raising; a reload with a broken calendar of any kind keeps the old one
running; binary, endless and malformed plugin output ends as a ledger row that every reader of
the ledger can show.

tests/unit/test_fuzz_calendar.py fuzzes the loader in-process; here the contract is the
command line's: the exit code, the message naming file:line and the field, and stderr free of
Python tracebacks. The fuzz targets run a fixed number of derandomised examples
(`MAINTD_FUZZ_EXAMPLES` scales them) and count what they tried in `FUZZ_COUNTS` (printed at the
end of the session with `-s`, for RELIABILITY.md).
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maintd.cli import cli
from maintd.errors import ConfigError
from maintd.plugins.catalog import read_plugin
from maintd.results import parse_output, parse_perfdata
from maintd.store import open_store
from tests.conftest import PLUGINS, REPOSITORY
from tests.daemon import Daemon, assert_no_gaps, rows, start
from tests.fetch import fetch
from tests.sshd import free_port
from tests.unit.test_fuzz_calendar import SEED_DATA, SEED_TEXT, leaf_values, paths_of

EXAMPLES_PER_TARGET = int(os.environ.get("MAINTD_FUZZ_EXAMPLES", "100"))
FUZZ_COUNTS: Counter[str] = Counter()  # examples tried, per target and outcome
PLAN_FROM = "2026-03-28T00:00"  # spans Europe's spring-forward night


def fuzz_settings(examples: int = EXAMPLES_PER_TARGET) -> settings:
    """Fixed, derandomised examples: CI sees the same inputs on every run."""
    return settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@pytest.fixture(scope="module", autouse=True)
def report_counts() -> Iterator[None]:
    """With $MAINTD_FIGURES set (a directory), write what was tried to bad_input.json there."""
    yield
    directory = os.environ.get("MAINTD_FIGURES")
    if directory and FUZZ_COUNTS:
        figures = {"tried": dict(sorted(FUZZ_COUNTS.items())), "refused_reloads": REFUSED_KINDS}
        Path(directory).mkdir(parents=True, exist_ok=True)
        (Path(directory) / "bad_input.json").write_text(json.dumps(figures, indent=1) + "\n")


# --- the command line's contract ---------------------------------------------------------------

TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^\w+(Error|Exception): ", re.M)
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # NUL, ESC …: not \t \n \r
SUMMARY_LINE = re.compile(r"maintd: \d+ problems? in the calendar")


def invoke(*arguments: str) -> Result:
    return CliRunner().invoke(cli, list(arguments), catch_exceptions=True)


def assert_clear_outcome(result: Result, files: list[Path], target: str) -> None:
    """Exit 0, or exit 2 with every problem on its own line starting with one of ``files`` (a
    calendar or plugin file); no exception escaped, no traceback printed."""
    escaped = result.exception if not isinstance(result.exception, SystemExit) else None
    assert escaped is None, f"{type(escaped).__name__}: {escaped}\n{result.stderr}"
    assert result.exit_code in (0, 2), (result.exit_code, result.output, result.stderr)
    assert not TRACEBACK.search(result.stderr), result.stderr
    FUZZ_COUNTS[f"{target} exit {result.exit_code}"] += 1
    if result.exit_code == 0:
        return
    *problems, summary = result.stderr.strip().splitlines()
    assert SUMMARY_LINE.fullmatch(summary), result.stderr
    assert problems, result.stderr
    names = tuple(str(file) for file in files)
    for line in problems:
        assert line.startswith(names), f"problem not located in {names}: {line!r}"


def assert_located_json(result: Result, files: list[Path]) -> None:
    """`validate --format json`: every error names its file; one with a field path has a line."""
    assert result.exit_code in (0, 2), (result.exit_code, result.stderr)
    answer = json.loads(result.stdout)
    if result.exit_code == 0:
        assert answer["valid"] is True
        return
    assert answer["valid"] is False and answer["errors"]
    names = {str(file) for file in files}
    for error in answer["errors"]:
        assert error["message"]
        assert error["file"] is not None and error["file"].startswith(tuple(names)), error
        if error["path"] and error["file"] in names:
            assert error["line"] is not None, f"field without a line: {error}"


def check_calendar_commands(path: Path, files: list[Path] | None = None) -> None:
    files = files or [path]
    assert_clear_outcome(invoke("validate", str(path)), files, "calendar validate")
    assert_located_json(invoke("validate", str(path), "--format", "json"), files)
    plan = invoke("plan", str(path), "--days", "2", "--from", PLAN_FROM)
    assert_clear_outcome(plan, files, "calendar plan")


def mutate_data(data: st.DataObject) -> Any:
    """The example calendar with one to four values replaced, deleted or added."""
    mutated = copy.deepcopy(SEED_DATA)
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        paths = paths_of(mutated)[1:]
        target = data.draw(st.sampled_from(paths))
        parent = mutated
        for part in target[:-1]:
            parent = parent[part]
        action = data.draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[target[-1]] = data.draw(leaf_values)
        elif action == "delete":
            del parent[target[-1]]
        elif isinstance(parent, dict):
            parent[data.draw(st.text(max_size=8))] = data.draw(leaf_values)
        else:
            parent.append(data.draw(leaf_values))
    return mutated


@fuzz_settings()
@given(data=st.data())
def test_validate_and_plan_answer_mutated_calendars_with_exit_0_or_located_problems(
    data: st.DataObject, tmp_path: Path
) -> None:
    path = tmp_path / "calendar.yaml"
    path.write_text(yaml.safe_dump(mutate_data(data), allow_unicode=True), encoding="utf-8")
    check_calendar_commands(path)


byte_edits = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=len(SEED_TEXT.encode())),
        st.integers(0, 40),
        st.one_of(st.binary(max_size=6), st.sampled_from([b"\xff\xfe", b"\x00", b"\t", b": ["])),
    ),
    min_size=1,
    max_size=4,
)


@fuzz_settings()
@given(edits=byte_edits)
def test_validate_and_plan_answer_spliced_bytes_with_exit_0_or_located_problems(
    edits: list[tuple[int, int, bytes]], tmp_path: Path
) -> None:
    content = SEED_TEXT.encode()
    for position, length, insert in edits:
        content = content[:position] + insert + content[position + length :]
    path = tmp_path / "calendar.yaml"
    path.write_bytes(content)
    check_calendar_commands(path)


@fuzz_settings(EXAMPLES_PER_TARGET // 2)
@given(data=st.data())
def test_a_calendar_directory_with_one_mutated_file_names_that_file(
    data: st.DataObject, tmp_path: Path
) -> None:
    directory = Path(tempfile.mkdtemp(dir=tmp_path))  # tmp_path is shared by the examples
    for source in sorted((REPOSITORY / "schedules").glob("*.yaml")):
        (directory / source.name).write_bytes(source.read_bytes())
    victim = directory / data.draw(st.sampled_from(sorted(p.name for p in directory.iterdir())))
    content = victim.read_bytes()
    position = data.draw(st.integers(0, len(content)))
    insert = data.draw(st.binary(max_size=8) | st.sampled_from([b"\n  bogus: 1\n", b"- [", b":"]))
    victim.write_bytes(content[:position] + insert + content[position + 3 :])
    check_calendar_commands(directory, sorted(directory.iterdir()))


def test_odd_calendar_paths_exit_2_naming_the_path(tmp_path: Path) -> None:
    empty_directory = tmp_path / "empty"
    empty_directory.mkdir()
    directory_as_file = tmp_path / "dir.yaml"
    directory_as_file.mkdir()
    huge = tmp_path / "huge.yaml"
    huge.write_text("tasks:\n" + "  - {name: x, check: nope}\n" * 50_000)
    nul = tmp_path / "nul.yaml"
    nul.write_bytes(b"\x00" * 1000)
    deep = tmp_path / "deep.yaml"
    deep.write_text("[" * 5000 + "]" * 5000)
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(alias_bomb())
    for path in (tmp_path / "missing.yaml", empty_directory, huge, nul, deep, bomb):
        result = invoke("validate", str(path))
        assert result.exit_code == 2, (path, result.stderr, result.exception)
        assert_clear_outcome(result, [path], "odd calendar path")
    result = invoke("validate", str(directory_as_file))
    assert result.exit_code == 2
    assert_clear_outcome(result, [directory_as_file], "odd calendar path")


def alias_bomb() -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    return "\n".join(lines) + "\n"


def run_maintd(*arguments: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "maintd", *arguments],
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def test_the_real_command_exits_2_with_located_problems_and_no_traceback(tmp_path: Path) -> None:
    cases = {
        "syntax.yaml": SEED_TEXT.replace("tasks:\n", "tasks: [\n", 1),
        "schema.yaml": SEED_TEXT.replace("timezone: Asia/Shanghai", "timezone: Mars/Olympus"),
        "binary.yaml": None,
        "plugin.yaml": SEED_TEXT.replace("check: disk_usage", "check: disk_usgae", 1),
    }
    for name, text in cases.items():
        path = tmp_path / name
        if text is None:
            path.write_bytes(SEED_TEXT.encode()[:200] + b"\xff\xfe\x00" + SEED_TEXT.encode()[200:])
        else:
            assert text != SEED_TEXT, name
            path.write_text(text)
        for command in (["validate"], ["plan", "--days", "1"])[: 2 if name == "syntax.yaml" else 1]:
            done = run_maintd(*command, str(path))
            assert done.returncode == 2, (name, command, done.stderr)
            assert "Traceback" not in done.stderr, done.stderr
            assert re.search(rf"^{re.escape(str(path))}(:\d+:\d+)?: ", done.stderr, re.M), (
                done.stderr
            )
            FUZZ_COUNTS["calendar subprocess exit 2"] += 1


# --- plugin headers ----------------------------------------------------------------------------

PLUGIN_NAME = "fuzzed_plugin"
PARAM_TYPES = ["str", "int", "float", "bool", "list"]


def plugin_calendar(plugin_dir: Path) -> str:
    return textwrap.dedent(f"""\
        timezone: UTC
        plugin_dirs: [{plugin_dir}]
        hosts:
          self: {{transport: local}}
        tasks:
          - {{name: fuzzed, check: {PLUGIN_NAME}, hosts: [self], schedule: {{every: 1h}}}}
        """)


param_specs = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from([*PARAM_TYPES, "string", "", "INT"]) | leaf_values,
            "default": leaf_values,
            "required": st.booleans() | leaf_values,
            "description": st.text(max_size=20) | leaf_values,
            "choices": st.lists(leaf_values, max_size=3) | leaf_values,
            "bogus": leaf_values,
        },
    ),
    leaf_values,
)
param_names = st.sampled_from(["path", "warn", "task", "host", "Bad-Name", "", "9x"]) | st.text(
    max_size=8
)
header_data = st.fixed_dictionaries(
    {},
    optional={
        "name": st.just(PLUGIN_NAME) | st.sampled_from(["Bad Name", "", "a" * 300]) | leaf_values,
        "summary": st.text(max_size=40) | leaf_values,
        "description": st.text(max_size=40) | leaf_values,
        "params": st.dictionaries(param_names, param_specs, max_size=4) | leaf_values,
        "perfdata": st.lists(st.text(max_size=8), max_size=3) | leaf_values,
        "disruptive": st.booleans() | leaf_values,
        "unknown_key": leaf_values,
    },
)


VALID_HEADER = {
    "name": PLUGIN_NAME,
    "summary": "a plugin whose header is fuzzed",
    "params": {"path": {"type": "str", "default": "/"}, "warn": {"type": "float", "default": 80}},
    "perfdata": ["used"],
}


def rarely(draw: st.DrawFn, one_in: int) -> bool:
    """True once in ``one_in`` draws. Not on 0: hypothesis favours the smallest value."""
    return draw(st.integers(1, one_in)) == one_in // 2 + 1


def mutate_header(draw: st.DrawFn) -> Any:
    """A valid header with up to three values replaced, deleted or added (wrong types, unknown
    keys), or one built from scratch out of the header's keys with any values."""
    if rarely(draw, 4):
        return draw(header_data)
    header: Any = copy.deepcopy(VALID_HEADER)
    for _ in range(draw(st.integers(0, 3))):
        target = draw(st.sampled_from(paths_of(header)[1:]))
        parent = header
        for part in target[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[target[-1]] = draw(leaf_values | param_specs)
        elif action == "delete":
            del parent[target[-1]]
        elif isinstance(parent, dict):
            parent[draw(param_names)] = draw(leaf_values | param_specs)
        else:
            parent.append(draw(leaf_values))
    return header


def break_yaml(draw: st.DrawFn, header: str) -> str:
    position = draw(st.integers(0, len(header)))
    cut = draw(st.integers(0, 10))
    insert = draw(
        st.sampled_from(["[", ": ", "\t", "'", "&a *b", "- ", "\n", "{"]) | st.text(max_size=4)
    )
    return header[:position] + insert + header[position + cut :]


@st.composite
def plugin_files(draw: st.DrawFn) -> bytes:
    """A plugin file whose header is fuzzed in its structure and its values: wrong types,
    unknown keys, broken YAML, broken fences, no shebang, bytes that are not UTF-8."""
    header = yaml.safe_dump(mutate_header(draw), allow_unicode=True, default_flow_style=False)
    if rarely(draw, 4):
        header = break_yaml(draw, header)
    fence = "# ---"
    if rarely(draw, 10):
        fence = draw(st.sampled_from(["#---", "# --- ", "# ----", "#  ---", "// ---"]))
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    if rarely(draw, 10):
        lines.insert(draw(st.integers(0, len(lines))), "not a comment")
    shebang = "#!/bin/sh"
    if rarely(draw, 6):
        shebang = draw(st.sampled_from(["#!", "", "#!/usr/bin/env python3", "#! ", "#!/bin/sh\r"]))
    padding = [""] * (4 if rarely(draw, 10) else 0)  # the fence opens too late
    closing = [] if rarely(draw, 10) else [fence]
    text = "\n".join([shebang, *padding, fence, *lines, *closing, "echo OK", "exit 0", ""])
    content = text.encode("utf-8", errors="surrogatepass")
    if rarely(draw, 8):
        position = draw(st.integers(0, len(content)))
        bad = draw(st.sampled_from([b"\xff", b"\xc3(", b"\xed\xa0\x80", b"\x00"]))
        content = content[:position] + bad + content[position:]
    return content


@fuzz_settings()
@given(content=plugin_files())
def test_fuzzed_plugin_headers_give_exit_0_or_a_problem_naming_the_plugin_file(
    content: bytes, tmp_path: Path
) -> None:
    base = Path(tempfile.mkdtemp(dir=tmp_path))
    plugin_dir = base / "plugins"
    plugin_dir.mkdir()
    plugin = plugin_dir / "fuzzed"
    plugin.write_bytes(content)
    calendar = base / "calendar.yaml"
    calendar.write_text(plugin_calendar(plugin_dir))
    try:
        read_plugin(plugin)
        broken = False
    except ConfigError as error:
        assert all(problem.file == str(plugin) for problem in error.problems), error.show()
        broken = True
    FUZZ_COUNTS[f"plugin header {'broken' if broken else 'valid'}"] += 1
    result = invoke("validate", str(calendar))
    assert_clear_outcome(result, [calendar, plugin], "plugin validate")
    if broken:
        assert result.exit_code == 2
        assert f"\n{plugin}" in f"\n{result.stderr}", result.stderr
    assert_located_json(invoke("validate", str(calendar), "--format", "json"), [calendar, plugin])


def test_odd_plugin_files_are_refused_naming_the_file(tmp_path: Path) -> None:
    header = f"#!/bin/sh\n# ---\n# name: {PLUGIN_NAME}\n# summary: odd\n# ---\n"
    cases = {
        "huge": header.encode() + b"#" * (64 * 1024 * 1024) + b"\n",
        "huge_header": (
            f"#!/bin/sh\n# ---\n# name: {PLUGIN_NAME}\n# summary: odd\n# params:\n".encode()
            + b"".join(f"#   p{index}: {{type: int}}\n".encode() for index in range(20_000))
            + b"# ---\n"
        ),
        "binary": b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 100,
        "empty": b"",
        "no_shebang": header.split("\n", 1)[1].encode(),
        "nul_in_header": header.replace("odd", "o\0dd").encode(),
    }
    for name, content in cases.items():
        plugin_dir = tmp_path / name
        plugin_dir.mkdir()
        (plugin_dir / name).write_bytes(content)
        calendar = tmp_path / f"{name}.yaml"
        calendar.write_text(plugin_calendar(plugin_dir))
        result = invoke("validate", str(calendar))
        assert_clear_outcome(result, [calendar, plugin_dir / name], "odd plugin file")
        if name == "huge_header":  # large, yet a valid plugin under the size limit
            assert result.exit_code == 0, result.stderr
        else:
            assert result.exit_code == 2, (name, result.stdout)
            assert f"\n{plugin_dir / name}" in f"\n{result.stderr}", (name, result.stderr)
    # The real command, once: exit status 2 and the plugin file named on stderr.
    done = run_maintd("validate", str(tmp_path / "binary.yaml"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert str(tmp_path / "binary" / "binary") in done.stderr


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


# --- a reload with a broken calendar -----------------------------------------------------------

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


REFUSED_KINDS: list[str] = []


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
