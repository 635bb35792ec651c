"""How each incident opened in a period did against its severity's commitments.

Takes the incident rows and their timeline steps (acknowledged, resolved, reopened — the rows
``maintd.store.kpi_queries`` reads for the KPIs); returns one ``IncidentOutcome`` per incident.
The judging is the KPIs' own (``maintd.report.kpi``): a response is the first acknowledgement
or resolution, a deadline not yet passed and not yet met is pending. Pure: the caller passes
now.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from maintd.report import kpi

Row = Mapping[str, Any]


class Outcome(StrEnum):
    """One deadline's outcome, as the report words it."""

    MET = "met"
    BREACHED = "breached"
    PENDING = "pending"
    NONE = "none"  # the severity commits to nothing


VERDICT_TO_OUTCOME = {
    kpi.Verdict.MET: Outcome.MET,
    kpi.Verdict.BREACHED: Outcome.BREACHED,
    kpi.Verdict.RUNNING: Outcome.PENDING,
    kpi.Verdict.NO_COMMITMENT: Outcome.NONE,
}


@dataclass(frozen=True)
class Clock:
    """One deadline: when it was due, when it was answered (None: not yet), the outcome."""

    due: datetime | None
    answered: datetime | None
    outcome: Outcome


@dataclass(frozen=True)
class IncidentOutcome:
    """An incident and how its respond and resolve clocks ended (or stand)."""

    id: int
    kind: str
    task: str | None
    host: str | None
    title: str
    severity: str
    state: str
    opened_at: datetime
    reopened: int
    respond: Clock
    resolve: Clock


def judge_incidents(
    incidents: Iterable[Row], steps: Iterable[Row], now: datetime
) -> tuple[IncidentOutcome, ...]:
    """Each incident of ``incidents`` with its clocks judged as of ``now``, in the given order;
    ``steps`` may hold steps of other incidents too."""
    steps_of = kpi.group_steps(steps)
    outcomes = []
    for row in incidents:
        found = steps_of.get(row["id"], [])
        responded = kpi.first_response(row, found)
        outcomes.append(
            IncidentOutcome(
                id=row["id"], kind=row["kind"], task=row["task"], host=row["host"],
                title=row["title"], severity=row["severity"], state=row["state"],
                opened_at=row["opened_at"], reopened=row["reopened"],
                respond=_clock(row["respond_due"], responded, now),
                resolve=_clock(row["resolve_due"], row["resolved_at"], now),
            )
        )  # fmt: skip
    return tuple(outcomes)


def count_outcomes(incidents: Iterable[IncidentOutcome]) -> dict[str, dict[Outcome, int]]:
    """How many respond and resolve clocks ended in each outcome: {"respond": {MET: 3, ...}}."""
    counts: dict[str, dict[Outcome, int]] = {
        "respond": dict.fromkeys(Outcome, 0), "resolve": dict.fromkeys(Outcome, 0),
    }  # fmt: skip
    for incident in incidents:
        counts["respond"][incident.respond.outcome] += 1
        counts["resolve"][incident.resolve.outcome] += 1
    return counts


def _clock(due: datetime | None, answered: datetime | None, now: datetime) -> Clock:
    return Clock(due, answered, VERDICT_TO_OUTCOME[kpi.judge_deadline(answered, due, now)])
