"""One fire's trip through the stages, in one place:

    calendar task + host --execute--> RawOutput --parse--> CheckResult

Later stages (store, respond) join here as they land.
"""

from __future__ import annotations

from maintd.execute import HostRun
from maintd.execute.transport import RawOutput
from maintd.results import CheckResult, parse_output


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
        return CheckResult(result.status, first[:500], result.exit_code, "", (), tuple(notes))
    if notes == list(result.notes):
        return result
    return CheckResult(
        result.status, result.summary, result.exit_code, result.long_output,
        result.perfdata, tuple(notes),
    )  # fmt: skip


def check_result(host_run: HostRun) -> CheckResult:
    """The CheckResult of one host's run."""
    return interpret(host_run.raw)
