"""The planner's decisions: windows, blackouts, holidays, jitter, host selection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from maintd.config.model import Calendar
from maintd.plan import Fire, Planner
from maintd.plan.jitter import jitter_offset
from maintd.plan.localtime import to_instant

SHANGHAI = ZoneInfo("Asia/Shanghai")


def calendar(tasks: list[dict[str, Any]], **sections: Any) -> Calendar:
    data: dict[str, Any] = {
        "timezone": "Asia/Shanghai",
        "hosts": {"db1": {"groups": ["db"]}, "db2": {"groups": ["db"]}, "web1": {}},
        "tasks": tasks,
    }
    data.update(sections)
    return Calendar.model_validate(data)


def task(schedule: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"name": "t", "check": "x", "hosts": ["db1"], "schedule": schedule, **fields}


def local(text: str) -> datetime:
    return to_instant(datetime.fromisoformat(text), SHANGHAI)


def plan(cal: Calendar, start: str, end: str) -> list[Fire]:
    return Planner(cal).plan(local(start), local(end))


def shown(fires: list[Fire]) -> list[tuple[str, str, bool, str | None]]:
    return [
        (fire.host, fire.at.astimezone(SHANGHAI).strftime("%m-%d %H:%M"), fire.runs, fire.reason)
        for fire in fires
    ]


def test_hosts_are_selected_by_name_group_or_all() -> None:
    cal = calendar(
        [
            task({"every": "1d"}, name="a", hosts=["db"]),
            task({"every": "1d"}, name="b", hosts=["web1", "db2"]),
            task({"every": "1d"}, name="c", hosts=["all"]),
        ]
    )
    planner = Planner(cal)
    assert planner.hosts == {"a": ["db1", "db2"], "b": ["db2", "web1"], "c": ["db1", "db2", "web1"]}


def test_a_fire_outside_its_cron_window_is_skipped_with_the_window_named() -> None:
    cal = calendar(
        [task({"cron": "0 0,2,6 * * *", "window": "nightly"})],
        windows={"nightly": {"cron": "0 1 * * *", "duration": "4h"}},
    )
    assert shown(plan(cal, "2026-12-01T00:00", "2026-12-02T00:00")) == [
        ("db1", "12-01 00:00", False, "window nightly closed"),
        ("db1", "12-01 02:00", True, None),
        ("db1", "12-01 06:00", False, "window nightly closed"),
    ]


def test_a_window_is_open_from_its_start_until_just_before_its_end() -> None:
    cal = calendar(
        [task({"at": ["01:00", "04:59", "05:00"], "window": "nightly"})],
        windows={"nightly": {"cron": "0 1 * * *", "duration": "4h"}},
    )
    assert [fire.runs for fire in plan(cal, "2026-12-01T00:00", "2026-12-02T00:00")] == [
        True,
        True,
        False,
    ]


def test_a_days_window_past_midnight_belongs_to_the_day_it_opened() -> None:
    cal = calendar(
        [task({"cron": "0 23,1 * * *", "window": "weekend"})],
        windows={"weekend": {"days": ["sat"], "start": "22:00", "end": "02:00"}},
    )
    # 2026-12-05 is a Saturday: open 22:00 Sat to 02:00 Sun.
    runs = [
        (when, ok) for _, when, ok, _ in shown(plan(cal, "2026-12-04T00:00", "2026-12-07T00:00"))
    ]
    assert runs == [
        ("12-04 01:00", False),
        ("12-04 23:00", False),
        ("12-05 01:00", False),
        ("12-05 23:00", True),
        ("12-06 01:00", True),
        ("12-06 23:00", False),
    ]


def test_date_blackouts_block_whole_local_days_inclusive() -> None:
    cal = calendar(
        [task({"at": ["00:00", "23:59"]})],
        blackouts=[{"name": "freeze", "from": "2027-02-05", "to": "2027-02-06"}],
    )
    assert [
        (when, reason) for _, when, _, reason in shown(plan(cal, "2027-02-04", "2027-02-08"))
    ] == [
        ("02-04 00:00", None),
        ("02-04 23:59", None),
        ("02-05 00:00", "blackout freeze"),
        ("02-05 23:59", "blackout freeze"),
        ("02-06 00:00", "blackout freeze"),
        ("02-06 23:59", "blackout freeze"),
        ("02-07 00:00", None),
        ("02-07 23:59", None),
    ]


def test_date_time_blackouts_end_at_their_to_time() -> None:
    cal = calendar(
        [task({"every": "1h"})],
        blackouts=[{"name": "upgrade", "from": "2027-02-05 18:00", "to": "2027-02-05 20:00"}],
    )
    blocked = [
        when for _, when, runs, _ in shown(plan(cal, "2027-02-05", "2027-02-06")) if not runs
    ]
    assert blocked == ["02-05 18:00", "02-05 19:00"]


def test_holiday_blackouts_name_the_holiday_and_can_spare_health_checks() -> None:
    cal = calendar(
        [
            task({"at": ["03:00"], "window": "w"}, name="vacuum", disruptive=True),
            task({"at": ["03:00"]}, name="disk"),
        ],
        windows={"w": {"cron": "0 1 * * *", "duration": "4h"}},
        blackouts=[{"name": "cn", "holidays": "CN", "applies_to": "disruptive"}],
    )
    fires = {fire.task: fire for fire in plan(cal, "2027-01-01", "2027-01-02")}
    assert fires["vacuum"].reason == "blackout cn: New Year's Day"
    assert fires["disk"].runs


def test_a_blackout_can_name_its_tasks() -> None:
    cal = calendar(
        [task({"at": ["03:00"]}, name="a"), task({"at": ["03:00"]}, name="b")],
        blackouts=[{"name": "x", "from": "2027-01-01", "to": "2027-01-01", "tasks": ["b"]}],
    )
    assert {fire.task: fire.runs for fire in plan(cal, "2027-01-01", "2027-01-02")} == {
        "a": True,
        "b": False,
    }


def test_make_up_working_days_count_as_workdays_in_windows() -> None:
    cal = calendar(
        [task({"at": ["12:00"], "window": "office"})],
        workdays={"holidays": "CN"},
        windows={"office": {"days": ["workdays"], "start": "09:00", "end": "18:00"}},
    )
    # 2025-01-26 (Sunday) and 2025-02-08 (Saturday) were worked for the Spring Festival;
    # 2025-01-28 .. 2025-02-04 were days off.
    fires = {
        fire.at.astimezone(SHANGHAI).date().isoformat(): fire.runs
        for fire in plan(cal, "2025-01-25", "2025-02-10")
    }
    assert fires["2025-01-25"] is False  # an ordinary Saturday
    assert fires["2025-01-26"] is True  # a make-up working Sunday
    assert fires["2025-01-29"] is False  # Spring Festival, a Wednesday
    assert fires["2025-02-05"] is True  # back to work
    assert fires["2025-02-08"] is True  # a make-up working Saturday


def test_disabled_tasks_are_planned_but_never_run() -> None:
    cal = calendar([task({"at": ["03:00"]}, enabled=False)])
    (fire,) = plan(cal, "2027-01-04", "2027-01-05")
    assert (fire.runs, fire.reason) == (False, "task disabled")


def test_jitter_is_fixed_per_task_and_host_and_within_its_span() -> None:
    span = timedelta(minutes=10)
    offsets = {host: jitter_offset("pg-backup", host, span) for host in ("db1", "db2", "db3")}
    assert offsets == {host: jitter_offset("pg-backup", host, span) for host in offsets}
    assert all(timedelta(0) <= offset < span for offset in offsets.values())
    assert len(set(offsets.values())) > 1
    assert jitter_offset("pg-backup", "db1", timedelta(0)) == timedelta(0)


def test_plan_shows_the_jittered_minute_and_keeps_the_period_bounds() -> None:
    cal = calendar([task({"cron": "0 * * * *", "jitter": "30m"}, hosts=["db"])])
    fires = plan(cal, "2027-01-04T00:00", "2027-01-04T03:00")
    for fire in fires:
        offset = jitter_offset("t", fire.host, timedelta(minutes=30))
        assert fire.at.minute * 60 + fire.at.second == offset.total_seconds()
        assert local("2027-01-04T00:00") <= fire.at < local("2027-01-04T03:00")
    assert len(fires) == 6


def test_plans_are_ordered_by_time_then_task_then_host() -> None:
    cal = calendar(
        [task({"every": "30m"}, name="b", hosts=["all"]), task({"every": "1h"}, name="a")]
    )
    fires = plan(cal, "2027-01-04T00:00", "2027-01-04T02:00")
    assert fires == sorted(fires, key=lambda fire: (fire.at, fire.task, fire.host))
    assert [(fire.task, fire.host) for fire in fires[:4]] == [
        ("a", "db1"),
        ("b", "db1"),
        ("b", "db2"),
        ("b", "web1"),
    ]


def test_plan_filters_by_task_and_host() -> None:
    cal = calendar(
        [task({"every": "1h"}, name="a", hosts=["all"]), task({"every": "1h"}, name="b")]
    )
    fires = Planner(cal).plan(local("2027-01-04"), local("2027-01-05"), tasks=["a"], hosts=["web1"])
    assert {(fire.task, fire.host) for fire in fires} == {("a", "web1")}
    assert len(fires) == 24


def test_every_counts_from_its_start() -> None:
    cal = calendar([task({"every": "90m", "start": "2027-01-04T00:10:00"})])
    fires = shown(plan(cal, "2027-01-04T00:00", "2027-01-04T04:00"))
    assert [when for _, when, _, _ in fires] == ["01-04 00:10", "01-04 01:40", "01-04 03:10"]


def test_one_off_at_times_fire_once() -> None:
    cal = calendar([task({"at": ["2027-03-01 02:00"]})])
    assert len(plan(cal, "2027-01-01", "2028-01-01")) == 1
    assert plan(cal, "2027-03-02", "2028-01-01") == []


def test_next_fire_skips_fires_that_will_not_run() -> None:
    cal = calendar(
        [task({"cron": "0 3 * * *"})],
        blackouts=[{"name": "b", "from": "2027-01-04", "to": "2027-01-05"}],
    )
    fire = Planner(cal).next_fire(local("2027-01-04T00:00"))
    assert fire is not None
    assert fire.at == local("2027-01-06T03:00")


def test_next_fire_is_none_when_nothing_will_ever_run() -> None:
    cal = calendar([task({"every": "1h"}, enabled=False)])
    assert Planner(cal).next_fire(datetime(2027, 1, 1, tzinfo=UTC)) is None


def test_the_planner_answers_single_instants_the_same_as_whole_periods() -> None:
    cal = calendar(
        [task({"every": "20m", "window": "w"})],
        windows={"w": {"days": ["mon", "wed"], "start": "08:00", "end": "11:00"}},
    )
    planned = plan(cal, "2027-01-01", "2027-02-01")
    fresh = Planner(cal)
    tasks = {t.name: t for t in cal.tasks}
    for fire in planned[::7]:
        assert fresh.decide(tasks[fire.task], fire.host, fire.at) == fire


def test_next_fire_agrees_with_the_plan_on_a_generated_site() -> None:
    from bench.generate_calendar import build_calendar  # noqa: PLC0415

    site, tasks = build_calendar(tasks=300, hosts=60, seed=3)
    cal = Calendar.model_validate({**site, "tasks": tasks})
    planner = Planner(cal)
    for after in (local("2026-12-24T13:07"), local("2027-01-01T00:00"), local("2027-03-28T01:59")):
        first = next(fire for fire in planner.plan(after, after + timedelta(days=2)) if fire.runs)
        found = planner.next_fire(after)
        assert found is not None and found.at == first.at
