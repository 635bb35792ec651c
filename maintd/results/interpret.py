"""A raw run (execute's ``RawOutput``) as a result: the plugin's own answer parsed, or maintd's
status (TIMEOUT, UNREACHABLE, ERROR) when the plugin could not give one."""

from __future__ import annotations

from dataclasses import replace

from maintd.execute.transport import RawOutput
from maintd.results.nagios import CheckResult, parse_output


def interpret(raw: RawOutput) -> CheckResult:
    """The result of a run: the plugin's own answer, or maintd's status when it gave none."""
    if raw.failure is not None:
        return CheckResult(status=raw.failure, summary=raw.reason, exit_code=raw.exit_code)
    result = parse_output(raw.exit_code if raw.exit_code is not None else 3, raw.stdout)
    notes = list(result.notes)
    if raw.stdout_dropped:
        notes.append(f"output cut at {len(raw.stdout)} bytes ({raw.stdout_dropped} more dropped)")
    if not raw.stdout.strip() and raw.stderr.strip():
        # A plugin that only complained on stderr: its complaint is the summary.
        first = raw.stderr.decode("utf-8", errors="replace").strip().splitlines()[0]
        return replace(result, summary=first[:500], long_output="", perfdata=(), notes=tuple(notes))
    if notes == list(result.notes):
        return result
    return replace(result, notes=tuple(notes))
