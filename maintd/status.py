"""The words maintd uses for how a fire ended, shared by every stage from execution to reports.

OK, WARNING, CRITICAL and UNKNOWN are the plugin's own answer (Nagios plugin protocol);
TIMEOUT, UNREACHABLE and ERROR are maintd's when the plugin could not answer; SKIPPED, MISSED,
INTERRUPTED and RUNNING are the run ledger's.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """How a fire ended (or that it has not yet)."""

    OK = "OK"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"
    UNKNOWN = "UNKNOWN"
    TIMEOUT = "TIMEOUT"
    UNREACHABLE = "UNREACHABLE"
    ERROR = "ERROR"
    SKIPPED = "SKIPPED"
    MISSED = "MISSED"
    INTERRUPTED = "INTERRUPTED"
    RUNNING = "RUNNING"


EXIT_CODE_TO_STATUS = {0: Status.OK, 1: Status.WARNING, 2: Status.CRITICAL, 3: Status.UNKNOWN}
# The plugin's own verdicts: a run that ended so reached its plugin and measured something.
PLUGIN_STATUSES = frozenset(EXIT_CODE_TO_STATUS.values())

# `maintd check` exits with the worst status: OK 0, WARNING 1, CRITICAL 2, anything else 3.
STATUS_TO_EXIT_CODE = {Status.OK: 0, Status.WARNING: 1, Status.CRITICAL: 2}

# Worst first, wherever several results meet (hosts answering one check, a heat-map cell, a
# status grid): a check that could not run is worse than a WARNING, because nobody knows what
# it would have said, and maintenance that never happened (MISSED, INTERRUPTED) is worse than
# a WARNING too. A skipped fire was planned that way.
WORST_FIRST = (
    Status.CRITICAL, Status.UNREACHABLE, Status.TIMEOUT, Status.ERROR, Status.UNKNOWN,
    Status.MISSED, Status.INTERRUPTED, Status.WARNING, Status.OK, Status.RUNNING, Status.SKIPPED,
)  # fmt: skip
STATUS_TO_RANK = {status.value: rank for rank, status in enumerate(WORST_FIRST)}


def worst(statuses: list[Status]) -> Status:
    """Return the worst of ``statuses`` (OK for none)."""
    ranked = [status for status in WORST_FIRST if status in statuses]
    return ranked[0] if ranked else Status.OK


def exit_code_for(status: Status) -> int:
    """The exit code `maintd check` uses for ``status``."""
    return STATUS_TO_EXIT_CODE.get(status, 3)
