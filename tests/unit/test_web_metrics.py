"""/metrics as Prometheus reads it: every text maintd writes is parsed by prometheus_client's own
parser and checked for names, types, labels and values; label values with backslashes, quotes
and newlines survive the trip; histogram buckets are cumulative and end at +Inf."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from maintd.status import Status
from maintd.web import MetricsPage, Readings, RunMetrics
from maintd.web.exposition import (
    Family,
    Sample,
    escape_label_value,
    format_value,
    histogram_samples,
    render,
)
from maintd.web.health import judge_liveness, judge_readiness
from maintd.web.scrape import Cached

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NASTY = 'disk "/" on C:\\data\nsecond line'


def parse(text: str) -> dict[str, Any]:
    """Family name (as the parser names it) -> family."""
    return {family.name: family for family in text_string_to_metric_families(text)}


def samples_of(family: Any, name: str | None = None) -> list[tuple[dict[str, str], float]]:
    return [(s.labels, s.value) for s in family.samples if name in (None, s.name)]


def buckets(family: Any, task: str) -> dict[str, float]:
    """A histogram's buckets of one task: le -> cumulative count."""
    return {
        labels["le"]: value
        for labels, value in samples_of(family, f"{family.name}_bucket")
        if labels["task"] == task
    }


def readings(incidents: Mapping[str, int] | None = None, **overrides: Any) -> Readings:
    values: dict[str, Any] = {
        "open_incidents": lambda: dict(incidents or {}),
        "running_checks": lambda: 2,
        "ssh_connections": lambda: 5,
        "fire_workers": lambda: 32,
    }
    return Readings(**{**values, **overrides})


def test_label_values_with_backslashes_quotes_and_newlines_read_back_unchanged() -> None:
    assert escape_label_value(NASTY) == 'disk \\"/\\" on C:\\\\data\\nsecond line'
    family = Family("maintd_x", "gauge", 'help with \\ and\nnewline and "quotes"',
                    [Sample("maintd_x", (("task", NASTY), ("host", "")), 1.5)])  # fmt: skip
    parsed = parse(render([family]))["maintd_x"]
    assert parsed.type == "gauge"
    assert parsed.documentation == 'help with \\ and\nnewline and "quotes"'
    assert samples_of(parsed) == [({"task": NASTY, "host": ""}, 1.5)]


def test_values_are_written_as_go_reads_them() -> None:
    assert format_value(3) == "3"
    assert format_value(0.25) == "0.25"
    assert format_value(1795610499.006408) == "1795610499.006408"
    assert format_value(math.inf) == "+Inf"
    assert format_value(-math.inf) == "-Inf"
    assert format_value(math.nan) == "NaN"
    family = Family("maintd_v", "gauge", "v", [
        Sample("maintd_v", (("k", str(index)),), value)
        for index, value in enumerate((3, 0.25, math.inf, -math.inf))
    ])  # fmt: skip
    parsed = samples_of(parse(render([family]))["maintd_v"])
    assert [value for _, value in parsed] == [3, 0.25, math.inf, -math.inf]


def test_histogram_buckets_are_cumulative_and_end_at_inf_equal_to_count() -> None:
    bounds = (0.1, 1.0, 10.0)
    samples = histogram_samples("maintd_h", (("task", "t"),), bounds, [2, 0, 3, 1], 17.5)
    parsed = parse(render([Family("maintd_h", "histogram", "h", samples)]))["maintd_h"]
    assert parsed.type == "histogram"
    buckets = samples_of(parsed, "maintd_h_bucket")
    assert [(labels["le"], value) for labels, value in buckets] == [
        ("0.1", 2), ("1.0", 2), ("10.0", 5), ("+Inf", 6),
    ]  # fmt: skip
    assert samples_of(parsed, "maintd_h_count") == [({"task": "t"}, 6)]
    assert samples_of(parsed, "maintd_h_sum") == [({"task": "t"}, 17.5)]


def test_run_metrics_count_runs_time_checks_and_keep_the_latest_success() -> None:
    metrics = RunMetrics(bounds=(0.1, 1.0, 600.0))
    metrics.observe_run("disk", "db1", Status.OK, 0.05, AT)
    metrics.observe_run("disk", "db1", Status.OK, 0.1, AT - timedelta(hours=1))  # late report
    metrics.observe_run("disk", "db2", Status.CRITICAL, 0.7, AT)
    metrics.observe_run("disk", "db2", Status.SKIPPED, None, AT)  # did not run: not timed
    metrics.observe_run("backup", "db1", Status.TIMEOUT, 900.0, AT)
    families = parse(render(metrics.families()))

    runs = families["maintd_runs"]
    assert runs.type == "counter"
    assert samples_of(runs, "maintd_runs_total") == [
        ({"task": "backup", "status": "TIMEOUT"}, 1),
        ({"task": "disk", "status": "CRITICAL"}, 1),
        ({"task": "disk", "status": "OK"}, 2),
        ({"task": "disk", "status": "SKIPPED"}, 1),
    ]

    durations = families["maintd_run_duration_seconds"]
    assert buckets(durations, "disk") == {"0.1": 2, "1.0": 3, "600.0": 3, "+Inf": 3}
    assert buckets(durations, "backup") == {"0.1": 0, "1.0": 0, "600.0": 0, "+Inf": 1}
    assert samples_of(durations, "maintd_run_duration_seconds_count") == [
        ({"task": "backup"}, 1), ({"task": "disk"}, 3),
    ]  # fmt: skip
    assert samples_of(durations, "maintd_run_duration_seconds_sum") == [
        ({"task": "backup"}, 900.0), ({"task": "disk"}, pytest.approx(0.85)),
    ]  # fmt: skip

    successes = families["maintd_last_success_timestamp_seconds"]
    assert successes.type == "gauge"
    assert samples_of(successes) == [({"task": "disk", "host": "db1"}, AT.timestamp())]
    assert "maintd_scheduler_lag_seconds" not in families  # nothing scheduled yet


def test_successes_from_the_ledger_fill_in_and_removed_pairs_are_forgotten() -> None:
    metrics = RunMetrics()
    metrics.observe_run("disk", "db1", Status.OK, 0.2, AT)
    metrics.remember_successes({
        ("disk", "db1"): AT - timedelta(days=1),  # older than what this process saw
        ("disk", "db2"): AT - timedelta(hours=2),
        ("gone", "db1"): AT - timedelta(hours=3),
    })  # fmt: skip
    metrics.retain_pairs({("disk", "db1"), ("disk", "db2")})
    metrics.observe_lag(0.25)
    families = parse(render(metrics.families()))
    assert samples_of(families["maintd_last_success_timestamp_seconds"]) == [
        ({"task": "disk", "host": "db1"}, AT.timestamp()),
        ({"task": "disk", "host": "db2"}, (AT - timedelta(hours=2)).timestamp()),
    ]
    assert samples_of(families["maintd_scheduler_lag_seconds"]) == [({}, 0.25)]


def test_a_scrape_has_build_start_pools_and_incidents_by_severity() -> None:
    metrics = RunMetrics()
    metrics.observe_run("t", 'h"1', Status.OK, 1.0, AT)
    page = MetricsPage(metrics, readings({"critical": 1, "warning": 0}), version="1.2.3",
                       started_at=1_700_000_000.5)  # fmt: skip
    families = parse(page.render())
    assert samples_of(families["maintd_build_info"]) == [({"version": "1.2.3"}, 1)]
    assert samples_of(families["maintd_start_time_seconds"]) == [({}, 1_700_000_000.5)]
    incidents = families["maintd_open_incidents"]
    assert incidents.type == "gauge"
    assert samples_of(incidents) == [({"severity": "critical"}, 1), ({"severity": "warning"}, 0)]
    assert samples_of(families["maintd_running_checks"]) == [({}, 2)]
    assert samples_of(families["maintd_ssh_connections"]) == [({}, 5)]
    assert samples_of(families["maintd_fire_workers"]) == [({}, 32)]
    assert samples_of(families["maintd_last_success_timestamp_seconds"]) == [
        ({"task": "t", "host": 'h"1'}, AT.timestamp())
    ]
    for family in families.values():
        assert family.name.startswith("maintd_") and family.documentation
        assert family.type in ("counter", "gauge", "histogram")


def test_a_reading_that_fails_is_left_out_and_the_rest_still_parses(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken() -> Mapping[str, int]:
        raise RuntimeError("database is locked")

    page = MetricsPage(RunMetrics(), readings(open_incidents=broken), version="1",
                       started_at=0.0)  # fmt: skip
    families = parse(page.render())
    assert "maintd_open_incidents" not in families
    assert "maintd_running_checks" in families
    assert samples_of(families["maintd_runs"]) == []  # HELP and TYPE, no sample yet
    assert "could not read open incidents: database is locked" in caplog.text


def test_the_incident_count_is_read_once_per_period_whatever_the_scrape_rate() -> None:
    now = [100.0]
    fetched: list[float] = []

    def fetch() -> int:
        fetched.append(now[0])
        if len(fetched) == 2:
            raise RuntimeError("down")
        return len(fetched)

    cached = Cached(fetch, 5.0, clock=lambda: now[0])
    assert [cached.get() for _ in range(10)] == [1] * 10
    now[0] += 5.0
    with pytest.raises(RuntimeError):
        cached.get()  # a failure is not cached: the next scrape tries again
    assert cached.get() == 3
    assert fetched == [100.0, 105.0, 105.0]


def test_liveness_follows_the_heartbeat_and_readiness_names_the_failing_parts() -> None:
    assert judge_liveness(0.5) == judge_liveness(9.9)
    assert judge_liveness(0.5).ok and judge_liveness(0.5).text == "ok\n"
    stale = judge_liveness(12.4)
    assert not stale.ok and stale.text == "scheduler heartbeat is 12s old (stale after 10s)\n"

    def broken() -> str | None:
        raise OSError("disk gone")

    assert judge_readiness({"store": lambda: None, "calendar": lambda: None}).ok
    verdict = judge_readiness(
        {"store": broken, "calendar": lambda: None, "scheduler": lambda: "not started yet"}
    )
    assert not verdict.ok
    assert verdict.text == (
        "not ready\nstore: check failed: disk gone\nscheduler: not started yet\n"
    )
