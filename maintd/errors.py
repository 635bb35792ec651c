"""The exceptions maintd raises on purpose, each owning its message and its exit code.

    MaintdError                 exit 1: something went wrong that is not the user's input
    ├── UsageError              exit 2: a bad command-line argument
    ├── ConfigError             exit 2: a calendar that does not load; carries every Problem found
    └── EndpointError           exit 1: the HTTP endpoint cannot listen on its address

The CLI catches ``MaintdError`` once, prints ``show()`` to stderr and exits with ``exit_code``;
anything else escaping is a bug and keeps its traceback. Third-party exceptions are translated
into these at the boundary where they happen and re-raised ``from`` the original.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the choice closest to a mistyped ``name``, or ``""``."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


class MaintdError(Exception):
    """Base of maintd's own errors. ``exit_code`` is what the CLI exits with."""

    exit_code = EXIT_FAILURE

    def show(self) -> str:
        """Return the text the CLI prints for this error."""
        return f"maintd: {self}"


class UsageError(MaintdError):
    """A command-line argument that maintd cannot use (a bad --from time, a missing path)."""

    exit_code = EXIT_BAD_INPUT


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a calendar, located as precisely as the source allows.

    ``where`` is the dotted path inside the calendar (``tasks[2].schedule.cron``); ``file``,
    ``line`` and ``column`` point at the YAML node (1-based), or are None when there is no
    position (a directory with no calendar in it, say).
    """

    message: str
    where: str = ""
    file: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        position = ""
        if self.file is not None:
            position = self.file
            if self.line is not None:
                position += f":{self.line}:{self.column or 1}"
            position += ": "
        where = f"{self.where}: " if self.where else ""
        return f"{position}{where}{self.message}"

    def as_dict(self) -> dict[str, object]:
        """Return the problem as a JSON-ready object for ``--format json``."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.where,
            "message": self.message,
        }


class ConfigError(MaintdError):
    """A calendar that cannot be used. Holds every problem found, in file order."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=_problem_order)
        count = len(self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the calendar")

    def show(self) -> str:
        lines = [str(problem) for problem in self.problems]
        lines.append(f"maintd: {self}")
        return "\n".join(lines)


class EndpointError(MaintdError):
    """The daemon's HTTP endpoint cannot listen where the calendar says (the port is taken,
    the address is not this machine's). The daemon reports it and runs on without it."""


def _problem_order(problem: Problem) -> tuple[str, int, int, str]:
    return (problem.file or "", problem.line or 0, problem.column or 0, problem.where)
