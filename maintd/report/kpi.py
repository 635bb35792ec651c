"""Maintenance KPIs of a period [since, until), computed from plain rows of the store.

Takes the rows ``maintd.store.kpi_queries`` reads (runs, incidents and their acknowledged /
resolved / re-opened steps, as dicts) and hands back a frozen ``Kpis``; no SQL, no clock (the
caller passes ``now``). Every percentage comes with the counts behind it and is None when
there is nothing to measure: 100 % of nothing would read as a perfect month.

- planned on time: fires scheduled in the period by the calendar (trigger other than manual)
  and not SKIPPED — a blackout or a closed window is planned, not missed — that ran at their
  time: trigger ``schedule`` and a status other than MISSED, INTERRUPTED or ERROR. A catch-up
  run ran, but late.
- MTTA / MTTR: over the incidents opened in the period, the mean time from opening to the
  first acknowledgement, and to the (current) resolution.
- on-time response / resolution: incidents with a deadline answered by it. A response is the
  first acknowledgement or resolution (a fix is a response); an unanswered incident counts as
  late once its deadline passed and is left out (``pending``) until then.
- first-time fix: resolved incidents not re-opened within 7 days of a resolution.
- backup verified: runs of backup tasks that ran (not SKIPPED, MISSED, or still RUNNING) and
  said OK, which maintd's backup plugins only say after verifying the copy.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from maintd.status import Status

Row = Mapping[str, Any]

REOPEN_HORIZON = timedelta(days=7)
NOT_AT_ITS_TIME = {Status.MISSED, Status.INTERRUPTED, Status.ERROR}
DID_NOT_RUN = {Status.SKIPPED, Status.MISSED, Status.RUNNING}
ON_SCHEDULE = "schedule"
MANUAL = "manual"


class Verdict(StrEnum):
    """How an incident did against one deadline."""

    MET = "met"
    BREACHED = "breached"
    RUNNING = "still running"
    NO_COMMITMENT = "no commitment"


@dataclass(frozen=True)
class Share:
    """``part`` of ``whole`` made it; ``pending`` were left out because it is too early to say."""

    part: int = 0
    whole: int = 0
    pending: int = 0

    @property
    def missed(self) -> int:
        """How many of ``whole`` did not make it."""
        return self.whole - self.part

    @property
    def pct(self) -> float | None:
        """The share in percent, or None when there was nothing to measure."""
        return None if self.whole == 0 else 100.0 * self.part / self.whole


@dataclass(frozen=True)
class Mean:
    """A mean duration in seconds over ``count`` cases (None for none)."""

    seconds: float | None = None
    count: int = 0

    @classmethod
    def of(cls, durations: Sequence[timedelta]) -> Mean:
        """The mean of ``durations``."""
        if not durations:
            return cls()
        total = sum(duration.total_seconds() for duration in durations)
        return cls(total / len(durations), len(durations))


@dataclass(frozen=True)
class SeverityTimes:
    """MTTA and MTTR of the incidents of one severity."""

    severity: str
    opened: int
    acknowledge: Mean
    resolve: Mean


@dataclass(frozen=True)
class Kpis:
    """The KPIs of [since, until); the ``*_pct`` and ``*_seconds`` properties are the headline
    numbers, the fields hold the counts behind them."""

    since: datetime
    until: datetime
    incidents_opened: int
    planned_on_time: Share
    acknowledge: Mean
    resolve: Mean
    response: Share
    resolution: Share
    first_time_fix: Share
    backup_verified: Share
    by_severity: tuple[SeverityTimes, ...] = ()

    @property
    def planned_on_time_pct(self) -> float | None:
        """Share of the planned fires that ran at their time."""
        return self.planned_on_time.pct

    @property
    def mtta_seconds(self) -> float | None:
        """Mean time to acknowledge."""
        return self.acknowledge.seconds

    @property
    def mttr_seconds(self) -> float | None:
        """Mean time to resolve."""
        return self.resolve.seconds

    @property
    def on_time_response_pct(self) -> float | None:
        """Share of the incidents answered by their respond deadline."""
        return self.response.pct

    @property
    def on_time_resolution_pct(self) -> float | None:
        """Share of the incidents resolved by their resolve deadline."""
        return self.resolution.pct

    @property
    def first_time_fix_pct(self) -> float | None:
        """Share of the resolved incidents that stayed resolved for a week."""
        return self.first_time_fix.pct

    @property
    def backup_verified_pct(self) -> float | None:
        """Share of the backup runs that produced a verified copy."""
        return self.backup_verified.pct


def compute_kpis(  # noqa: PLR0913 - the rows, what is a backup, and the three instants
    *,
    runs: Iterable[Row],
    incidents: Iterable[Row],
    steps: Iterable[Row],
    backup_tasks: Collection[str],
    since: datetime,
    until: datetime,
    now: datetime,
) -> Kpis:
    """Compute the KPIs of [since, until) as of ``now``.

    A run row stands for ``count`` runs (1 without it: tallies from the store and single runs
    both serve). Rows outside the period — those that say when they were scheduled — are
    ignored, so callers may pass more than they read for it.
    ``steps`` may hold steps of any kind; those of incidents not given are ignored.
    """
    period_runs = [run for run in runs if since <= run.get("scheduled_for", since) < until]
    opened = [row for row in incidents if since <= row["opened_at"] < until]
    steps_of = group_steps(steps)
    timelines = [(incident, steps_of.get(incident["id"], [])) for incident in opened]
    return Kpis(
        since=since,
        until=until,
        incidents_opened=len(opened),
        planned_on_time=planned_on_time(period_runs),
        acknowledge=Mean.of(_times_to_acknowledge(timelines)),
        resolve=Mean.of(_times_to_resolve(opened)),
        response=_deadlines(
            [(first_response(row, found), row["respond_due"]) for row, found in timelines], now
        ),
        resolution=_deadlines([(row["resolved_at"], row["resolve_due"]) for row in opened], now),
        first_time_fix=first_time_fix(timelines, incidents, now),
        backup_verified=backup_verified(period_runs, backup_tasks),
        by_severity=_by_severity(timelines),
    )


def planned_on_time(runs: Iterable[Row]) -> Share:
    """Of the planned fires that were due (not SKIPPED), how many ran at their time."""
    due = [run for run in runs if run["trigger"] != MANUAL and run["status"] != Status.SKIPPED]
    on_time = [
        run for run in due if run["trigger"] == ON_SCHEDULE and run["status"] not in NOT_AT_ITS_TIME
    ]
    return Share(_count(on_time), _count(due))


def backup_verified(runs: Iterable[Row], backup_tasks: Collection[str]) -> Share:
    """Of the backup runs that ran, how many said OK (a verified copy)."""
    ran = [run for run in runs if run["task"] in backup_tasks and run["status"] not in DID_NOT_RUN]
    return Share(_count(run for run in ran if run["status"] == Status.OK), _count(ran))


def _count(runs: Iterable[Row]) -> int:
    """How many runs the rows stand for (a tally's ``count``, else one each)."""
    return sum(run.get("count", 1) for run in runs)


def first_time_fix(
    timelines: Sequence[tuple[Row, Sequence[Row]]], incidents: Iterable[Row], now: datetime
) -> Share:
    """Of the incidents resolved, how many stayed fixed for ``REOPEN_HORIZON``: neither
    re-opened nor followed by a new incident of the same kind and (task, host) within it (a
    relapse after the tracker's re-open window opens a new incident, and is no less a relapse;
    a forecast warning about a disk just fixed is no relapse of its check). A
    resolution younger than the horizon is ``pending``: too early to say. ``incidents`` must
    reach ``REOPEN_HORIZON`` past the period, for relapses of its last days."""
    openings: dict[tuple[str, str, str], list[datetime]] = {}
    for row in incidents:
        if row["task"] is not None:
            openings.setdefault(_series(row), []).append(row["opened_at"])
    fixed = failed = pending = 0
    for incident, steps in timelines:
        resolutions = [step["at"] for step in steps if step["kind"] == "resolved"]
        if not resolutions:
            continue
        last = incident.get("resolved_at") or max(resolutions)
        later = openings.get(_series(incident), [])
        if reopened_soon(steps) or any(last < at <= last + REOPEN_HORIZON for at in later):
            failed += 1
        elif now - last < REOPEN_HORIZON:
            pending += 1
        else:
            fixed += 1
    return Share(fixed, fixed + failed, pending)


def _series(incident: Row) -> tuple[str, str, str]:
    return incident["kind"], incident["task"], incident["host"]


def reopened_soon(steps: Sequence[Row]) -> bool:
    """Whether a ``reopened`` step came within ``REOPEN_HORIZON`` of the resolution before it."""
    last_resolved: datetime | None = None
    for step in sorted(steps, key=lambda step: step["at"]):
        if step["kind"] == "resolved":
            last_resolved = step["at"]
            continue
        soon = last_resolved is not None and step["at"] - last_resolved <= REOPEN_HORIZON
        if step["kind"] == "reopened" and soon:
            return True
    return False


def first_acknowledgement(incident: Row, steps: Sequence[Row]) -> datetime | None:
    """When someone first took the incident on. The timeline, not the row: re-opening an
    incident clears its ``acknowledged_at``."""
    return _first(steps, "acknowledged") or incident.get("acknowledged_at")


def first_response(incident: Row, steps: Sequence[Row]) -> datetime | None:
    """The first acknowledgement or resolution, whichever came first (a fix is a response)."""
    answers = [
        first_acknowledgement(incident, steps),
        _first(steps, "resolved") or incident.get("resolved_at"),
    ]
    return min((moment for moment in answers if moment is not None), default=None)


def judge_deadline(answered: datetime | None, due: datetime | None, now: datetime) -> Verdict:
    """Whether something answered at ``answered`` (None: not yet) met ``due``, as of ``now``."""
    if due is None:
        return Verdict.NO_COMMITMENT
    if answered is not None:
        return Verdict.MET if answered <= due else Verdict.BREACHED
    return Verdict.BREACHED if due < now else Verdict.RUNNING


def group_steps(steps: Iterable[Row]) -> dict[int, list[Row]]:
    """Steps by incident id, each list oldest first."""
    grouped: dict[int, list[Row]] = defaultdict(list)
    for step in steps:
        grouped[step["incident_id"]].append(step)
    return {key: sorted(found, key=lambda step: step["at"]) for key, found in grouped.items()}


def _first(steps: Sequence[Row], kind: str) -> datetime | None:
    return min((step["at"] for step in steps if step["kind"] == kind), default=None)


def _times_to_acknowledge(timelines: Iterable[tuple[Row, Sequence[Row]]]) -> list[timedelta]:
    acknowledged = [(row, first_acknowledgement(row, steps)) for row, steps in timelines]
    return [moment - row["opened_at"] for row, moment in acknowledged if moment is not None]


def _times_to_resolve(incidents: Iterable[Row]) -> list[timedelta]:
    return [row["resolved_at"] - row["opened_at"] for row in incidents if row["resolved_at"]]


def _deadlines(answers: Iterable[tuple[datetime | None, datetime | None]], now: datetime) -> Share:
    verdicts = [judge_deadline(answered, due, now) for answered, due in answers]
    met = verdicts.count(Verdict.MET)
    return Share(met, met + verdicts.count(Verdict.BREACHED), verdicts.count(Verdict.RUNNING))


def _by_severity(timelines: Sequence[tuple[Row, Sequence[Row]]]) -> tuple[SeverityTimes, ...]:
    grouped: dict[str, list[tuple[Row, Sequence[Row]]]] = defaultdict(list)
    for row, steps in timelines:
        grouped[row["severity"]].append((row, steps))
    return tuple(
        SeverityTimes(
            severity=severity,
            opened=len(group),
            acknowledge=Mean.of(_times_to_acknowledge(group)),
            resolve=Mean.of(_times_to_resolve(row for row, _ in group)),
        )
        for severity, group in sorted(grouped.items())
    )
