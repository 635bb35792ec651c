"""Loading the calendar for the daemon in a short-lived child process.

Reading a calendar allocates hundreds of thousands of short-lived objects (YAML nodes with
their source marks, pydantic's intermediate values) between the few thousand that stay. In the
daemon's own heap the holes they leave are never handed back: a 10k-task calendar left ~35 MB
of resident memory behind, loaded at start and again on every reload. The child reads and
checks the calendar and hands back the result pickled, so the daemon allocates only what it
keeps; and a pathological calendar (an alias bomb, a million lines) can exhaust only the child.

The child is a fresh interpreter, not a fork: the daemon has threads, and a fork can copy a
lock another thread held.

    parent ── python -m maintd.plugins.isolated PATH ──▶ child
    parent ◀── pickle: ("ok", calendar, catalog) | ("problems", [Problem, …]) ── child
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import maintd
from maintd.config.model import Calendar
from maintd.errors import ConfigError, Problem
from maintd.plugins.catalog import Catalog
from maintd.plugins.loading import load_checked

LOAD_TIMEOUT_SECONDS = 300.0
PACKAGE_ROOT = str(Path(maintd.__file__).resolve().parent.parent)


def load_checked_isolated(
    path: Path, timeout: float = LOAD_TIMEOUT_SECONDS
) -> tuple[Calendar, Catalog]:
    """``load_checked`` run in a child process: the calendar and its plugin catalog, or
    ConfigError with every problem (including a child that failed or took too long)."""
    environment = dict(os.environ)
    # The child imports the same maintd as this process, installed or not.
    environment["PYTHONPATH"] = os.pathsep.join(
        part for part in (PACKAGE_ROOT, environment.get("PYTHONPATH")) if part
    )
    command = [sys.executable, "-m", "maintd.plugins.isolated", str(path)]
    try:
        child = subprocess.run(  # noqa: S603 - our own interpreter and module
            command, capture_output=True, timeout=timeout, env=environment, check=False
        )
    except subprocess.TimeoutExpired:
        raise _failure(path, f"reading the calendar took longer than {timeout:.0f}s") from None
    if child.returncode != 0 or not child.stdout:
        complaint = child.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = complaint[-1] if complaint else f"exit status {child.returncode}"
        raise _failure(path, f"the calendar reader failed: {reason}")
    answer = pickle.loads(child.stdout)  # noqa: S301 - written by our own child just now
    if answer[0] == "problems":
        raise ConfigError(answer[1])
    _, calendar, catalog = answer
    return calendar, catalog


def _failure(path: Path, message: str) -> ConfigError:
    return ConfigError([Problem(message, file=str(path))])


def main() -> None:
    """The child: load and check the calendar named on the command line, answer on stdout."""
    try:
        loaded, catalog = load_checked(Path(sys.argv[1]))
        answer: tuple[object, ...] = ("ok", loaded.calendar, catalog)
    except ConfigError as error:
        answer = ("problems", error.problems)
    sys.stdout.buffer.write(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))


if __name__ == "__main__":
    main()
