"""Local wall-clock times -> instants, under maintd's daylight-saving policy.

The policy, the same for schedules, windows and blackouts:

- a local time that does not exist (the hour skipped when clocks go forward) resolves to the
  first valid instant after it: the end of the gap (02:30 on a Berlin spring-forward night is
  03:00 CEST);
- a local time that exists twice (the hour repeated when clocks go back) resolves to its first
  occurrence (02:30 CEST, not 02:30 CET).

Several local times may therefore resolve to one instant; callers that list fires drop the
repeats, so a fire in a skipped hour runs once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache


def to_instant(local: datetime, zone: tzinfo) -> datetime:
    """Return the UTC instant of the naive local time ``local`` in ``zone`` (policy above)."""
    offset = _day_offset(local.date(), zone)
    if offset is not None:
        return (local - offset).replace(tzinfo=UTC)
    aware = local.replace(tzinfo=zone, fold=0)  # fold=0: the first of a repeated hour
    instant = aware.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == local:
        return instant
    return _gap_end(local, zone)


def local_date_start(day: date, zone: tzinfo) -> datetime:
    """Return the UTC instant at which ``day`` begins in ``zone``."""
    return to_instant(datetime.combine(day, time()), zone)


@lru_cache(maxsize=65536)
def _day_offset(day: date, zone: tzinfo) -> timedelta | None:
    """The UTC offset in force all day long, or None on a day the offset changes. Most days
    have one offset, which makes converting a whole plan's local times cheap."""
    start = datetime.combine(day, time(), tzinfo=zone)
    end = datetime.combine(day, time(23, 59, 59), tzinfo=zone)
    start_offset = start.utcoffset()
    if start_offset is None or start_offset != end.utcoffset():
        return None
    # The offset at both ends can match across a day with two changes; check the noon too.
    if datetime.combine(day, time(12), tzinfo=zone).utcoffset() != start_offset:
        return None
    return start_offset


def _gap_end(local: datetime, zone: tzinfo) -> datetime:
    """The instant clocks jump past the non-existent ``local``: the earliest instant whose
    offset is the one after the change."""
    late = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    early = local.replace(tzinfo=zone, fold=1).astimezone(UTC)
    low, high = min(early, late), max(early, late)
    after_offset = high.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == after_offset:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)
