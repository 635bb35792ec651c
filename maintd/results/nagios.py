"""Plugin output -> CheckResult, by the Nagios plugin protocol.

Exit code 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, anything else UNKNOWN. The first line is
``TEXT | perfdata``; further lines are long output, and from the first of them holding a ``|``
on, the rest is more perfdata. Garbage never raises: the result is UNKNOWN and says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from maintd.results.perfdata import Perfdatum, parse_perfdata
from maintd.status import EXIT_CODE_TO_STATUS, Status

SUMMARY_LIMIT = 1000  # characters of the first line kept as the summary
_CONTROL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # all but \t \n \r


@dataclass(frozen=True)
class CheckResult:
    """What a plugin said: its status, one-line summary, long output and measurements.
    ``notes`` are maintd's remarks on output it had to repair (bad perfdata, odd exit code)."""

    status: Status
    summary: str
    exit_code: int | None = None
    long_output: str = ""
    perfdata: tuple[Perfdatum, ...] = ()
    notes: tuple[str, ...] = field(default=())


def parse_output(exit_code: int, stdout: bytes | str) -> CheckResult:
    """Interpret a finished plugin run. ``exit_code`` is the process's (negative: a signal)."""
    text = stdout.decode("utf-8", errors="replace") if isinstance(stdout, bytes) else stdout
    notes: list[str] = []
    status = EXIT_CODE_TO_STATUS.get(exit_code)
    if status is None:
        status = Status.UNKNOWN
        notes.append(_odd_exit(exit_code))
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
        notes.append("output held NUL bytes (binary output?)")
    if _CONTROL.search(text):
        # Terminal escapes and other controls would reach the terminals of everyone who reads
        # the ledger or the log (`maintd history`, `maintd log`): shown as U+FFFD instead.
        text = _CONTROL.sub("\ufffd", text)
        notes.append("output held control characters (shown as \ufffd)")
    first_line, _, rest = text.partition("\n")
    summary, _, perf_text = first_line.partition("|")
    long_lines: list[str] = []
    more_perf: list[str] = []
    lines = rest.splitlines()
    for index, line in enumerate(lines):
        if "|" in line:
            head, _, tail = line.partition("|")
            long_lines.append(head)
            more_perf = [tail, *lines[index + 1 :]]
            break
        long_lines.append(line)
    # Each part on its own: a quote left open on the first line must not swallow the rest.
    perfdata, perf_notes = parse_perfdata(perf_text)
    more_perfdata, more_notes = parse_perfdata(" ".join(more_perf))
    perfdata += more_perfdata
    notes.extend([*perf_notes, *more_notes])
    summary = summary.strip()
    if not summary:
        summary = "(no output)"
        if status == Status.OK:
            notes.append("an OK without any output is suspicious")
    return CheckResult(
        status=status,
        summary=summary[:SUMMARY_LIMIT],
        exit_code=exit_code,
        long_output="\n".join(long_lines).strip("\n"),
        perfdata=tuple(perfdata),
        notes=tuple(notes),
    )


def _odd_exit(exit_code: int) -> str:
    if exit_code < 0:
        return f"killed by signal {-exit_code}"
    if exit_code == 126:
        return "exit code 126: the plugin is not executable"
    if exit_code == 127:
        return "exit code 127: command or interpreter not found"
    return f"exit code {exit_code} is not a plugin status (0-3)"
