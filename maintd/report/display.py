"""How values read in a report's tables and captions, in either language: local times to the
minute (the zone is named once, in the period line), percentages, durations, counts by
status. Plain text; the writers escape it for their format."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo

from maintd.config.types import format_duration
from maintd.predict.trend import format_range
from maintd.report.texts import Texts

TIME_FORMAT = "%Y-%m-%d %H:%M"
SECONDS_FORMAT = "%Y-%m-%d %H:%M:%S"


def local_time(
    moment: datetime | None, zone: tzinfo, texts: Texts, *, seconds: bool = False
) -> str:
    """``moment`` on the local clock, to the minute (or the second: runs a few seconds apart
    must not read as one); the no-data mark for None."""
    if moment is None:
        return texts("no_data")
    return moment.astimezone(zone).strftime(SECONDS_FORMAT if seconds else TIME_FORMAT)


def percent(value: float | None, texts: Texts) -> str:
    """A percentage with one decimal; the no-data mark for None (nothing was measured)."""
    return texts("no_data") if value is None else texts("pct", value=value)


def duration(seconds: float | None, texts: Texts) -> str:
    """A duration in the calendar's notation (``1h30m``); the no-data mark for None."""
    if seconds is None:
        return texts("no_data")
    return format_duration(timedelta(seconds=round(seconds)))


def status_counts(counts: Sequence[tuple[str, int]]) -> str:
    """``3 OK, 1 CRITICAL``."""
    return ", ".join(f"{count} {status}" for status, count in counts)


def eta_interval(
    made: datetime, low: datetime | None, high: datetime | None, coverage: float | None,
    texts: Texts,
) -> str:  # fmt: skip
    """The interval as spans from when the forecast was made (``80 %: 5-7 d``, ``4 d-never``);
    the no-data mark without one."""
    if low is None:
        return texts("no_data")
    spans = format_range(low - made, high - made if high is not None else None)
    if coverage is None:
        return spans
    return texts("interval_cell", coverage=coverage_text(coverage, texts), range=spans)


def pairs_cell(pairs: Sequence[str], more: int, texts: Texts) -> str:
    """``disk@db1, disk@db2 and 3 more``."""
    listed = ", ".join(pairs)
    return f"{listed} {texts('more', count=more)}" if more else listed


def coverage_text(coverage: float | None, texts: Texts) -> str:
    """An interval's coverage as a whole percentage (``80 %``)."""
    return texts("no_data") if coverage is None else texts("pct_whole", value=coverage * 100)
