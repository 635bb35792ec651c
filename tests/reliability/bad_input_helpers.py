"""Plain helpers shared by the bad-input tests (tests/reliability/test_bad_*.py): the fuzz
settings and the tally of what was tried, and the command line's contract (exit 0, or exit 2
with every problem located in a file, never a traceback).

``MAINTD_FUZZ_EXAMPLES`` scales the number of examples each fuzz target tries (100 by default);
with ``MAINTD_FIGURES`` set to a directory, ``write_figures`` (called once at the end of the
session, see conftest.py) writes the tally to bad_input.json there, for RELIABILITY.md.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from click.testing import CliRunner, Result
from hypothesis import HealthCheck, settings

from maintd.cli import cli

EXAMPLES_PER_TARGET = int(os.environ.get("MAINTD_FUZZ_EXAMPLES", "100"))
FUZZ_COUNTS: Counter[str] = Counter()  # examples tried, per target and outcome
REFUSED_KINDS: list[str] = []  # the kinds of broken reload the daemon refused, in order


def fuzz_settings(examples: int = EXAMPLES_PER_TARGET) -> settings:
    """Fixed, derandomised examples: CI sees the same inputs on every run."""
    return settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


def write_figures() -> None:
    """With $MAINTD_FIGURES set (a directory), write what was tried to bad_input.json there."""
    directory = os.environ.get("MAINTD_FIGURES")
    if directory and FUZZ_COUNTS:
        figures = {"tried": dict(sorted(FUZZ_COUNTS.items())), "refused_reloads": REFUSED_KINDS}
        Path(directory).mkdir(parents=True, exist_ok=True)
        (Path(directory) / "bad_input.json").write_text(json.dumps(figures, indent=1) + "\n")


# --- the command line's contract ---------------------------------------------------------------

TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^\w+(Error|Exception): ", re.M)
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


def run_maintd(*arguments: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "maintd", *arguments],
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
