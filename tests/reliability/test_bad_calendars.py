"""Fuzzed calendars never crash the command line: `maintd validate` and `maintd plan` answer
every mutated calendar, spliced byte stream, calendar directory with one damaged file and odd
path (missing, empty directory, huge, NUL bytes, deep nesting, an alias bomb) with exit 0, or
with exit 2 and each problem on its own line naming file:line and the field; never with a
Python traceback.

tests/unit/test_fuzz_calendar.py fuzzes the loader in-process; here the contract is the
command line's. The fuzz targets run a fixed number of derandomised examples
(`MAINTD_FUZZ_EXAMPLES` scales them) and count what they tried (with `MAINTD_FIGURES` set, in
bad_input.json there, for RELIABILITY.md).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from tests.calendar_fuzz import SEED_TEXT, mutate_data
from tests.conftest import REPOSITORY
from tests.reliability.bad_input_helpers import (
    EXAMPLES_PER_TARGET,
    FUZZ_COUNTS,
    assert_clear_outcome,
    assert_located_json,
    fuzz_settings,
    invoke,
    run_maintd,
)

pytestmark = pytest.mark.usefixtures("bad_input_figures")

PLAN_FROM = "2026-03-28T00:00"  # spans Europe's spring-forward night


def check_calendar_commands(path: Path, files: list[Path] | None = None) -> None:
    files = files or [path]
    assert_clear_outcome(invoke("validate", str(path)), files, "calendar validate")
    assert_located_json(invoke("validate", str(path), "--format", "json"), files)
    plan = invoke("plan", str(path), "--days", "2", "--from", PLAN_FROM)
    assert_clear_outcome(plan, files, "calendar plan")


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
