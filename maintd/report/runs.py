"""What the ledger says about a period: runs counted by status per task and per host, the worst
status of each task on each local day (the heat-map), and the failures people should read.

Takes the ledger's runs counted by task, host and status (``RunTally``, from
``maintd.store.report_queries``), and by task, local day and status, and its latest failing
rows (plain dicts); returns frozen values. Pure.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from maintd.status import STATUS_TO_RANK, WORST_FIRST, Status

if TYPE_CHECKING:  # the store's counts, read by attribute: no database needed here
    from maintd.store.report_queries import RunTally

Row = Mapping[str, Any]

FAILING = (
    Status.WARNING, Status.CRITICAL, Status.UNKNOWN, Status.TIMEOUT, Status.UNREACHABLE,
    Status.ERROR, Status.INTERRUPTED,
)  # fmt: skip
SUMMARY_LIMIT = 200
OUTPUT_LINES = 6
OUTPUT_LIMIT = 600
ELLIPSIS = "…"


@dataclass(frozen=True)
class StatusCounts:
    """How many runs of one task (or on one host) ended in each status, in ``Status`` order."""

    name: str
    counts: tuple[tuple[str, int], ...]

    @property
    def total(self) -> int:
        """All its runs."""
        return sum(count for _, count in self.counts)

    def count(self, status: str) -> int:
        """Its runs that ended in ``status``."""
        return dict(self.counts).get(status, 0)


def count_statuses(tallies: Iterable[RunTally], key: str) -> tuple[StatusCounts, ...]:
    """Runs counted by status for each value of ``key`` ("task" or "host"), sorted by name."""
    grouped: dict[str, Counter[str]] = defaultdict(Counter)
    name_of = attrgetter(key)
    for tally in tallies:
        grouped[name_of(tally)][tally.status] += tally.runs
    return tuple(StatusCounts(name, _in_status_order(grouped[name])) for name in sorted(grouped))


def count_failing(tallies: Iterable[RunTally]) -> int:
    """The runs of ``tallies`` that ended in a ``FAILING`` status."""
    return sum(tally.runs for tally in tallies if tally.status in FAILING)


def statuses_seen(tables: Iterable[StatusCounts]) -> list[str]:
    """The statuses that occur in ``tables``, in ``Status`` order: the columns worth showing."""
    seen = {status for table in tables for status, _ in table.counts}
    return [status.value for status in Status if status.value in seen]


@dataclass(frozen=True)
class HeatCell:
    """One task on one local day: its worst status (None: no runs) and the counts behind it."""

    task: str
    day: date
    worst: str | None
    counts: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class HeatMap:
    """The worst status of each task on each day; ``cells`` row by row (task), then by day."""

    tasks: tuple[str, ...]
    days: tuple[date, ...]
    cells: tuple[HeatCell, ...]

    def row(self, task: str) -> tuple[HeatCell, ...]:
        """The cells of ``task``, oldest day first."""
        index = self.tasks.index(task)
        width = len(self.days)
        return self.cells[index * width : (index + 1) * width]


def build_heatmap(
    counts: Mapping[tuple[str, date, str], int], tasks: Sequence[str], days: Sequence[date]
) -> HeatMap:
    """The heat-map of ``tasks`` (any task of ``counts`` not among them is added after them)
    over ``days``, from the runs counted by task, local day and status."""
    grouped: dict[tuple[str, date], Counter[str]] = defaultdict(Counter)
    names = list(dict.fromkeys(tasks))
    known = set(names)
    for (task, day, status), count in counts.items():
        if task not in known:
            names.append(task)
            known.add(task)
        grouped[(task, day)][status] += count
    cells = []
    for task in names:
        for day in days:
            found = grouped.get((task, day), Counter())
            cells.append(HeatCell(task, day, worst_status(found), _in_status_order(found)))
    return HeatMap(tuple(names), tuple(days), tuple(cells))


def worst_status(statuses: Iterable[str]) -> str | None:
    """The worst of ``statuses`` by ``WORST_FIRST`` (an unknown word ranks last), None for none."""
    return min(statuses, key=lambda status: STATUS_TO_RANK.get(status, len(WORST_FIRST)),
               default=None)  # fmt: skip


@dataclass(frozen=True)
class Failure:
    """A run that did not end OK, with what it said, cut to a readable length."""

    task: str
    host: str
    scheduled_for: datetime
    status: str
    summary: str
    output: str
    reason: str | None
    duration: float | None
    exit_code: int | None


def shape_failure(row: Row) -> Failure:
    """A failing run's row as a ``Failure``: its summary on one line (``SUMMARY_LIMIT``
    characters) and the first ``OUTPUT_LINES`` lines of the long output after it (at most
    ``OUTPUT_LIMIT`` characters), each cut marked with an ellipsis."""
    summary = " ".join((row["summary"] or "").split())
    output_lines = (row["output"] or "").strip().splitlines()
    output = "\n".join(line.rstrip() for line in output_lines[:OUTPUT_LINES])
    if len(output_lines) > OUTPUT_LINES:
        output += "\n" + ELLIPSIS
    return Failure(
        task=row["task"],
        host=row["host"],
        scheduled_for=row["scheduled_for"],
        status=row["status"],
        summary=truncate(summary, SUMMARY_LIMIT),
        output=truncate(output, OUTPUT_LIMIT),
        reason=row["reason"],
        duration=row["duration"],
        exit_code=row["exit_code"],
    )


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the cut marked with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def _in_status_order(counts: Mapping[str, int]) -> tuple[tuple[str, int], ...]:
    order = {status.value: index for index, status in enumerate(Status)}
    return tuple(sorted(counts.items(), key=lambda item: (order.get(item[0], len(order)), item[0])))
