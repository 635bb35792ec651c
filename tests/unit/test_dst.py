"""The daylight-saving policy, for every schedule kind, in two zones and both transitions.

A wall-clock fire in a skipped hour runs once, at the end of the gap; a fire in a repeated
hour runs once, at its first occurrence; `every` keeps its elapsed spacing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from maintd.config.model import Calendar
from maintd.plan import Planner
from maintd.plan.localtime import to_instant

# (zone, spring-forward day, fall-back day, the local hour skipped, the local hour repeated)
ZONES = [
    ("Europe/Berlin", datetime(2026, 3, 29), datetime(2026, 10, 25), 2, 2),  # noqa: DTZ001
    ("America/New_York", datetime(2026, 3, 8), datetime(2026, 11, 1), 2, 1),  # noqa: DTZ001
]


def plan_local(zone: str, schedule: dict[str, object], day: datetime) -> list[str]:
    """Fires of one task over the local day, as local ISO times with their offsets."""
    calendar = Calendar.model_validate(
        {
            "timezone": zone,
            "hosts": {"h": {}},
            "tasks": [{"name": "t", "check": "x", "hosts": ["h"], "schedule": schedule}],
        }
    )
    tz = ZoneInfo(zone)
    start = to_instant(day, tz)
    end = to_instant(day + timedelta(days=1), tz)
    fires = Planner(calendar).plan(start, end)
    return [fire.at.astimezone(tz).strftime("%H:%M%z") for fire in fires]


@pytest.mark.parametrize(("zone", "spring", "fall", "skipped", "repeated"), ZONES)
def test_a_daily_cron_fire_in_the_skipped_hour_runs_once_at_the_end_of_the_gap(
    zone: str, spring: datetime, fall: datetime, skipped: int, repeated: int
) -> None:
    fires = plan_local(zone, {"cron": f"30 {skipped} * * *"}, spring)
    summer = "+0200" if zone == "Europe/Berlin" else "-0400"
    assert fires == [f"{skipped + 1:02d}:00{summer}"]


@pytest.mark.parametrize(("zone", "spring", "fall", "skipped", "repeated"), ZONES)
def test_a_daily_cron_fire_in_the_repeated_hour_runs_once_at_the_first_occurrence(
    zone: str, spring: datetime, fall: datetime, skipped: int, repeated: int
) -> None:
    fires = plan_local(zone, {"cron": f"30 {repeated} * * *"}, fall)
    summer = "+0200" if zone == "Europe/Berlin" else "-0400"
    assert fires == [f"{repeated:02d}:30{summer}"]


@pytest.mark.parametrize(("zone", "spring", "fall", "skipped", "repeated"), ZONES)
def test_a_quarter_hourly_cron_loses_the_skipped_hour_to_one_fire_and_never_doubles(
    zone: str, spring: datetime, fall: datetime, skipped: int, repeated: int
) -> None:
    spring_fires = plan_local(zone, {"cron": "*/15 * * * *"}, spring)
    # The four fires of the skipped hour resolve to the end of the gap, which fires once.
    assert len(spring_fires) == 23 * 4
    assert not [fire for fire in spring_fires if fire.startswith(f"{skipped:02d}:")]
    assert (
        spring_fires.count(f"{skipped + 1:02d}:00{'+0200' if 'Berlin' in zone else '-0400'}") == 1
    )
    assert len(spring_fires) == len(set(spring_fires))
    fall_fires = plan_local(zone, {"cron": "*/15 * * * *"}, fall)
    assert len(fall_fires) == 24 * 4  # the repeated hour fires once, not twice
    assert len(fall_fires) == len(set(fall_fires))


@pytest.mark.parametrize(("zone", "spring", "fall", "skipped", "repeated"), ZONES)
def test_at_times_follow_the_same_policy(
    zone: str, spring: datetime, fall: datetime, skipped: int, repeated: int
) -> None:
    at = [f"{skipped:02d}:15", f"{skipped:02d}:45", f"{skipped + 2:02d}:00"]
    spring_fires = plan_local(zone, {"at": at}, spring)
    assert [fire[:5] for fire in spring_fires] == [f"{skipped + 1:02d}:00", f"{skipped + 2:02d}:00"]
    at = [f"{repeated:02d}:15", f"{repeated:02d}:45", f"{repeated + 2:02d}:00"]
    fall_fires = plan_local(zone, {"at": at}, fall)
    summer = "+0200" if zone == "Europe/Berlin" else "-0400"
    assert fall_fires[:2] == [f"{repeated:02d}:15{summer}", f"{repeated:02d}:45{summer}"]
    assert len(fall_fires) == 3


@pytest.mark.parametrize(("zone", "spring", "fall", "skipped", "repeated"), ZONES)
def test_every_keeps_elapsed_spacing_across_both_transitions(
    zone: str, spring: datetime, fall: datetime, skipped: int, repeated: int
) -> None:
    for day, hours_in_day in ((spring, 23), (fall, 25)):
        calendar = Calendar.model_validate(
            {
                "timezone": zone,
                "hosts": {"h": {}},
                "tasks": [{"name": "t", "check": "x", "hosts": ["h"], "schedule": {"every": "1h"}}],
            }
        )
        tz = ZoneInfo(zone)
        fires = Planner(calendar).plan(to_instant(day, tz), to_instant(day + timedelta(days=1), tz))
        assert len(fires) == hours_in_day
        gaps = {later.at - earlier.at for earlier, later in zip(fires, fires[1:], strict=False)}
        assert gaps == {timedelta(hours=1)}


def test_the_gap_end_is_found_for_a_half_hour_shift() -> None:
    # Lord Howe Island moves its clocks by 30 minutes, at 02:00 local.
    tz = ZoneInfo("Australia/Lord_Howe")
    instant = to_instant(datetime(2026, 10, 4, 2, 10), tz)  # noqa: DTZ001
    assert instant.astimezone(tz).strftime("%H:%M%z") == "02:30+1100"


def test_an_ordinary_day_converts_directly() -> None:
    tz = ZoneInfo("Asia/Shanghai")
    assert to_instant(datetime(2026, 11, 25, 9, 0), tz) == datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # noqa: DTZ001


@pytest.mark.parametrize(
    "zone",
    ["America/Nuuk", "Asia/Pyongyang", "America/Scoresbysund", "Europe/Berlin", "America/Havana"],
)
def test_the_fast_path_agrees_with_the_exact_rule_every_half_hour(zone: str) -> None:
    # Zones whose clocks change at midnight, or twice, were once read as a single offset.
    tz = ZoneInfo(zone)
    day = datetime(2015, 1, 1)  # noqa: DTZ001
    while day.year < 2028:
        for minutes in range(0, 24 * 60, 30):
            local = day + timedelta(minutes=minutes)
            aware = local.replace(tzinfo=tz).astimezone(UTC)
            exact = aware if aware.astimezone(tz).replace(tzinfo=None) == local else None
            fast = to_instant(local, tz)
            if exact is not None:
                assert fast == exact, local
            else:  # in a gap: the first instant the wall clock shows a later time
                assert fast.astimezone(tz).replace(tzinfo=None) > local, local
                before = (fast - timedelta(seconds=1)).astimezone(tz).replace(tzinfo=None)
                assert before < local, local
        day += timedelta(days=1)
