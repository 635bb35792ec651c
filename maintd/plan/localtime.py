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

import itertools
import math
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache

ONE_DAY = timedelta(days=1)
ONE_HOUR = timedelta(hours=1)


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
    offsets = {
        datetime.combine(day, clock, tzinfo=zone).replace(fold=fold).utcoffset()
        for clock in (time(), time(12), time(23, 59, 59))
        for fold in (0, 1)
    }
    # Both folds at both ends catch a change at midnight (a gap or repeat at 00:00 or 24:00);
    # the noon catches a day with two changes that cancel out.
    return offsets.pop() if len(offsets) == 1 else None


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


def offset_changes(start: datetime, end: datetime, zone: tzinfo) -> list[datetime]:
    """Return the instants in (start, end) at which ``zone``'s UTC offset changes, oldest
    first. Looked for hour by hour (no zone changes twice within an hour), each found to the
    second (the zone database's changes fall on whole seconds)."""
    found = []
    low = start
    while low < end:
        high = min(low + ONE_HOUR, end)
        if low.astimezone(zone).utcoffset() != high.astimezone(zone).utcoffset():
            change = _first_with_offset_of(low, high, zone)
            if start < change < end:
                found.append(change)
        low = high
    return found


def date_changes(start: datetime, end: datetime, zone: tzinfo) -> list[datetime]:
    """Return the instants in (start, end) at which the local date in ``zone`` may change,
    oldest first: every local midnight, and every offset change (clocks set back across
    midnight return to the day before). Between two of them the local date is the same."""
    changes = offset_changes(start, end, zone)
    found = set(changes)
    for low, high in itertools.pairwise([start, *changes, end]):
        local = low.astimezone(zone)
        offset = local.utcoffset() or timedelta(0)
        midnight = datetime.combine(local.date() + ONE_DAY, time(), UTC) - offset
        while midnight < high:
            found.add(midnight)
            midnight += ONE_DAY
    return sorted(found)


def _first_with_offset_of(low: datetime, high: datetime, zone: tzinfo) -> datetime:
    """The first whole second in (low, high] that has ``high``'s offset (there is one
    change between them)."""
    after = high.astimezone(zone).utcoffset()
    earlier, later = math.floor(low.timestamp()), math.ceil(high.timestamp())
    while later - earlier > 1:
        middle = (earlier + later) // 2
        if datetime.fromtimestamp(middle, UTC).astimezone(zone).utcoffset() == after:
            later = middle
        else:
            earlier = middle
    return datetime.fromtimestamp(later, UTC)
