"""Forecasts in the fire path, on both databases: a run of a task with `predict:` is followed by
a forecast from the recorded readings; a predicted breach opens a `predicted` incident that says
when, how sure and why, runs the `prevent:` plugin, and resolves once forecasts no longer warn;
an `anomaly:` rule opens and resolves an `anomaly` incident. Real store, real plugin runs on
the local transport; the history before the runs is seeded into the metrics table."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert

from maintd.execute import Runner
from maintd.forecasting import Forecaster
from maintd.pipeline import FireProcessor, Site
from maintd.plan import Planner
from maintd.plugins import load_checked
from maintd.predict.signal import Signal
from maintd.report.maintlog import MaintenanceLog
from maintd.respond.foresight import Change, ForesightDesk, Judgement
from maintd.status import Status
from maintd.store import FireKey, IncidentBook, Ledger
from maintd.store.forecasts import ForecastBook
from maintd.store.schema import metrics
from tests.conftest import PLUGINS
from tests.integration.conftest import Opener

CALENDAR = f"""
timezone: UTC
plugin_dirs: [{PLUGINS}]
severities:
  minor: {{respond: 1d, resolve: 7d}}
  major: {{respond: 1h, resolve: 1d}}
defaults: {{retries: {{attempts: 0}}}}
hosts:
  self: {{transport: local}}
  gone: {{address: 127.0.0.1, port: 1}}
TASKS
  - name: disk
    check: test_file_value
    hosts: [self]
    schedule: {{every: 5m}}
    params: {{path: VALUE}}
    severity: major
    predict:
      metric: used_pct
      reaches: 95
      within: 14d
      every: 1s
      severity: minor
      prevent: {{check: test_fix_file, params: {{path: VALUE}}, before: 30d}}
  - name: latency
    check: test_file_value
    hosts: [self]
    schedule: {{every: 5m}}
    params: {{path: LATENCY}}
    severity: major
    anomaly: {{metric: used_pct, direction: up, at_least: 3, of_last: 5}}
  - name: far-disk
    check: test_file_value
    hosts: [gone]
    schedule: {{every: 5m}}
    params: {{path: VALUE}}
    predict: {{metric: used_pct, reaches: 95, within: 14d, every: 1s,
              prevent: {{check: test_fix_file, params: {{path: VALUE}}, before: 30d}}}}
"""


class Fires:
    """A FireProcessor with a Forecaster, on a calendar whose plugins read numbers from files."""

    def __init__(self, tmp_path: Path, ledger: Ledger, extra: str = "") -> None:
        self.value = tmp_path / "value"
        self.latency = tmp_path / "latency"
        path = tmp_path / "calendar.yaml"
        path.write_text(
            CALENDAR.replace("TASKS", extra + "tasks:")
            .replace("VALUE", str(self.value))
            .replace("LATENCY", str(self.latency))
        )
        loaded, catalog = load_checked(path)
        calendar = loaded.calendar
        self.site = Site(calendar, Planner(calendar), Runner(calendar, catalog))
        self.ledger = ledger
        maintenance_log = MaintenanceLog(tmp_path / "logs", calendar.zone)
        self.processor = FireProcessor(self.site, ledger, maintenance_log)
        self.woken = 0
        self.forecaster = Forecaster(IncidentBook(ledger.engine), self.processor.log, self._wake)
        self.processor.after_measuring = self.forecaster.after_run
        self.book = IncidentBook(ledger.engine)
        self.forecasts = ForecastBook(ledger.engine)

    def _wake(self) -> None:
        self.woken += 1

    def fire(self, task: str, value: float, host: str = "self") -> None:
        (self.latency if task == "latency" else self.value).write_text(f"{value}\n")
        at = datetime.now(UTC)
        self.processor.run_fire(self.site, self.site.planner.tasks[task], host, at, "schedule")

    def seed(self, task: str, readings: list[tuple[datetime, float]], host: str = "self") -> None:
        """Readings recorded before the test's runs (one run row holds them all)."""
        claim = self.ledger.claim(FireKey(task, host, readings[0][0] - timedelta(hours=1)), "x")
        assert claim is not None
        rows = [
            {"run_id": claim.id, "task": task, "host": host, "name": "used_pct",
             "value": value, "unit": "%", "at": at}
            for at, value in readings
        ]  # fmt: skip
        with self.ledger.engine.begin() as connection:
            connection.execute(insert(metrics), rows)

    def close(self) -> None:
        self.site.runner.close()
        self.processor.log.close()


@pytest.fixture
def fires(tmp_path: Path, store_url: str, open_ledger: Opener) -> Iterator[Fires]:
    made = Fires(tmp_path, open_ledger(store_url))
    yield made
    made.close()


def filling(
    now: datetime, start: float, per_day: float, days: float
) -> list[tuple[datetime, float]]:
    """A disk filling steadily up to now, a reading every 5 minutes (with a little jitter)."""
    count = int(days * 288)
    return [
        (now - timedelta(minutes=5 * (count - i)),
         start + per_day * i / 288 + (0.05 if i % 2 else -0.05))
        for i in range(count)
    ]  # fmt: skip


def test_a_predicted_breach_opens_an_incident_runs_prevention_and_resolves_after_reset(
    fires: Fires,
) -> None:
    now = datetime.now(UTC)
    fires.seed("disk", filling(now, start=60, per_day=4, days=3))  # 72 % now: 95 in ~5.7 d
    fires.fire("disk", 72.1)

    (forecast,) = fires.forecasts.latest()
    assert (forecast["kind"], forecast["verdict"], forecast["signal"]) == (
        "threshold",
        "reaches",
        "warn",
    )
    assert forecast["eta_low"] <= forecast["eta"] <= forecast["eta_high"]
    assert timedelta(days=4) < forecast["eta"] - forecast["at"] < timedelta(days=8)
    assert forecast["points_used"] > 800 and forecast["method"] == "theil-sen"
    assert forecast["slope_per_day"] == pytest.approx(4, rel=0.1)
    assert forecast["within"] == 14 * 86400 and forecast["reaches"] == 95

    (incident,) = fires.book.listing()
    assert incident["id"] == forecast["incident_id"]
    assert (incident["kind"], incident["status"], incident["severity"]) == (
        "predicted",
        "PREDICTED",
        "minor",
    )
    assert incident["title"] == "disk on self: used_pct forecast to reach 95"
    assert (
        "used_pct reaches 95 in" in incident["summary"] and "80 % interval" in incident["summary"]
    )
    assert fires.woken >= 1
    # The eta is within `before` (30 d): the prevention ran once, and said what it did.
    steps = [step["kind"] for step in fires.book.timeline(incident["id"])]
    assert steps == ["opened", "prevention-started", "prevention"]
    assert fires.value.read_text().strip() == "0"
    # The check incident of the task is a different story: none was opened.
    assert fires.book.current("disk", "self") is None
    # Still filling at the next forecast: it warns again, but the one attempt is spent.
    time.sleep(1.05)
    fires.fire("disk", 72.3)
    assert fires.forecasts.latest()[0]["signal"] == "warn"
    assert fires.value.read_text().strip() == "72.3"
    steps = [step["kind"] for step in fires.book.timeline(incident["id"])]
    assert steps == ["opened", "prevention-started", "prevention"]

    # After the cleanup the readings stay low: three hours later, the forecast sees a reset and
    # too little history since to say anything but "fixed". Two such forecasts in a row
    # resolve the incident.
    later = now + timedelta(hours=3)
    fires.seed("disk", [(now + timedelta(minutes=5 * i), 0.1) for i in range(1, 37)])
    disk = fires.site.planner.tasks["disk"]
    time.sleep(1.05)
    fires.forecaster.after_run(fires.site, disk, "self", now=later)
    cleared = fires.forecasts.latest()[0]
    assert (cleared["verdict"], cleared["signal"]) == ("insufficient", "clear")
    assert cleared["segment_started"] is not None
    assert fires.book.get(incident["id"])["state"] == "open"
    time.sleep(1.05)
    fires.forecaster.after_run(fires.site, disk, "self", now=later + timedelta(minutes=5))
    resolved = fires.book.get(incident["id"])
    assert resolved["state"] == "resolved"
    # The prevention was not run again for the same incident.
    assert [s["kind"] for s in fires.book.timeline(incident["id"])].count("prevention") == 1
    assert len(fires.forecasts.of_series("threshold", "disk", "self", "used_pct")) == 4


def test_forecasts_are_made_at_most_every_predict_every(fires: Fires) -> None:
    now = datetime.now(UTC)
    fires.seed("disk", filling(now, start=10, per_day=0.1, days=2))
    fires.fire("disk", 10.2)
    fires.fire("disk", 10.2)  # within `every` (1 s): no second forecast
    (only,) = fires.forecasts.of_series("threshold", "disk", "self", "used_pct")
    assert (only["verdict"], only["signal"]) == ("beyond", "clear")
    assert fires.book.listing() == []  # slow growth: nothing to warn of


def test_too_little_history_holds_and_opens_nothing(fires: Fires) -> None:
    fires.fire("disk", 94)
    (forecast,) = fires.forecasts.latest()
    assert (forecast["verdict"], forecast["signal"]) == ("insufficient", "hold")
    assert forecast["eta"] is None and forecast["incident_id"] is None
    assert fires.book.listing() == []
    # The run itself is recorded as usual.
    (run,) = fires.ledger.history(limit=5)
    assert run["status"] == Status.OK.value


def test_an_anomaly_opens_after_its_persistence_rule_and_resolves_when_readings_settle(
    fires: Fires,
) -> None:
    now = datetime.now(UTC)
    usual = [(now - timedelta(minutes=5 * i), 50.0 + (i % 5) * 0.4) for i in range(1, 800)]
    fires.seed("latency", usual[::-1])
    fires.fire("latency", 50.5)
    assert fires.forecasts.latest(kinds=("anomaly",))[0]["verdict"] == "normal"
    fires.fire("latency", 90)
    fires.fire("latency", 92)
    assert fires.book.listing() == []  # two odd readings of five: not yet
    fires.fire("latency", 91)
    (incident,) = fires.book.listing()
    assert (incident["kind"], incident["status"]) == ("anomaly", "ANOMALY")
    assert incident["severity"] == "major"  # the task's own severity, for WARNING
    assert "3 of the last 5 readings above" in incident["summary"]
    judged = fires.forecasts.latest(kinds=("anomaly",))[0]
    assert judged["verdict"] == "anomaly" and judged["score"] > 3.5
    assert judged["band_low"] < judged["expected"] < judged["band_high"] < 90
    # Settling: three usual readings leave fewer than 3 odd ones among the last 5; the second
    # clear judgement in a row resolves it.
    for value in (50.2, 50.4, 50.1):
        fires.fire("latency", value)
    assert fires.book.get(incident["id"])["state"] == "open"
    fires.fire("latency", 50.3)
    assert fires.book.get(incident["id"])["state"] == "resolved"


def test_a_warning_soon_after_resolution_reopens_the_same_incident(fires: Fires) -> None:
    desk = ForesightDesk(fires.book)
    start = datetime.now(UTC)

    def judge(minutes: int, signal: Signal, previous: Signal | None) -> tuple[Change, int | None]:
        return desk.apply(Judgement(
            kind="predicted", task="disk", host="self", at=start + timedelta(minutes=minutes),
            signal=signal, previous=previous, title="disk on self: used_pct forecast",
            summary=f"at {minutes}", severity="minor", reopen_within=timedelta(hours=1),
        ))  # fmt: skip

    change, first = judge(0, Signal.WARN, None)
    assert change is Change.OPENED
    assert judge(5, Signal.WARN, Signal.WARN) == (Change.UPDATED, first)
    assert fires.book.get(first)["summary"] == "at 5"  # kept current, no timeline entry
    assert judge(10, Signal.HOLD, Signal.WARN) == (Change.NONE, first)
    assert judge(15, Signal.CLEAR, Signal.HOLD) == (Change.NONE, first)
    assert judge(20, Signal.CLEAR, Signal.CLEAR) == (Change.RESOLVED, first)
    assert judge(30, Signal.WARN, Signal.CLEAR) == (Change.REOPENED, first)
    steps = [step["kind"] for step in fires.book.timeline(first)]
    assert steps == ["opened", "resolved", "reopened"]
    assert judge(40, Signal.CLEAR, Signal.WARN)[0] is Change.NONE
    assert judge(45, Signal.CLEAR, Signal.CLEAR)[0] is Change.RESOLVED
    # Much later, a new warning is a new incident.
    change, second = judge(200, Signal.WARN, Signal.CLEAR)
    assert change is Change.OPENED and second != first
    # The check incidents of the pair are not these.
    assert fires.book.current("disk", "self") is None
    assert fires.book.current("disk", "self", "predicted")["id"] == second


def test_a_prevention_waits_out_a_freeze_on_disruptive_work_without_spending_its_try(
    tmp_path: Path, store_url: str, open_ledger: Opener
) -> None:
    today = datetime.now(UTC).date()
    freeze = (f"blackouts: [{{name: freeze, from: {today}, to: {today + timedelta(days=1)}, "
              "applies_to: disruptive}]\n")  # fmt: skip
    fires = Fires(tmp_path, open_ledger(store_url), extra=freeze)
    try:
        now = datetime.now(UTC)
        fires.seed("disk", filling(now, start=60, per_day=4, days=3))
        fires.fire("disk", 72.1)  # the check itself is no disruptive work: it runs
        (incident,) = fires.book.listing()
        assert fires.book.get(incident["id"])["remediations"] == 0
        assert [step["kind"] for step in fires.book.timeline(incident["id"])] == ["opened"]
        assert fires.value.read_text().strip() == "72.1"  # nothing deleted in the freeze
        # After the freeze (a forecast two days on), the prevention runs.
        disk = fires.site.planner.tasks["disk"]
        time.sleep(1.05)
        fires.forecaster.after_run(fires.site, disk, "self", now=now + timedelta(days=2))
        assert fires.book.get(incident["id"])["remediations"] == 1
        assert fires.value.read_text().strip() == "0"
    finally:
        fires.close()


def test_a_run_that_never_reached_its_plugin_is_not_judged(fires: Fires) -> None:
    now = datetime.now(UTC)
    fires.seed("far-disk", filling(now, start=60, per_day=4, days=3), host="gone")
    fires.fire("far-disk", 72.1, host="gone")  # nothing listens on port 1
    run = fires.ledger.history(limit=1)[0]  # the newest: the fire, not the seeded readings' row
    assert (run["host"], run["status"]) == ("gone", "UNREACHABLE")
    # No forecast from a run that measured nothing, so no predicted incident and no prevention
    # tried on a dead host (the failure itself is the responder's, absent from this harness).
    assert fires.forecasts.latest() == []
    assert fires.book.listing() == []
    assert fires.value.read_text().strip() == "72.1"


def test_incidents_of_series_the_calendar_stops_watching_are_resolved(fires: Fires) -> None:
    now = datetime.now(UTC)
    fires.seed("disk", filling(now, start=60, per_day=4, days=3))
    fires.fire("disk", 72.1)
    (incident,) = fires.book.listing()
    calendar = fires.site.calendar

    def site_where_disk(**changes: object) -> Site:
        tasks = [task.model_copy(update=changes) if task.name == "disk" else task
                 for task in calendar.tasks]  # fmt: skip
        changed = calendar.model_copy(update={"tasks": tasks})
        return Site(changed, Planner(changed), fires.site.runner)

    assert fires.forecaster.reconcile(fires.site) == 0  # still watched: left alone
    predict = calendar.tasks[0].predict
    assert predict is not None
    renamed = site_where_disk(predict=predict.model_copy(update={"metric": "inodes_used_pct"}))
    assert fires.forecaster.reconcile(renamed) == 1
    resolved = fires.book.get(incident["id"])
    assert resolved["state"] == "resolved"
    (last,) = fires.book.timeline(incident["id"])[-1:]
    assert last["text"] == "no longer forecast: disk now watches inodes_used_pct, not used_pct"
    # A predict: removed from the task resolves it the same way.
    time.sleep(1.05)
    fires.fire("disk", 72.2)
    (again,) = fires.book.listing()
    assert fires.forecaster.reconcile(site_where_disk(predict=None)) == 1
    assert "no task disk with `predict:`" in fires.book.timeline(again["id"])[-1]["text"]


def test_an_anomaly_judgement_without_a_new_reading_holds(fires: Fires) -> None:
    now = datetime.now(UTC)
    usual = [(now - timedelta(minutes=5 * i), 50.0 + (i % 5) * 0.4) for i in range(1, 800)]
    fires.seed("latency", usual[::-1])
    fires.fire("latency", 50.5)
    latency = fires.site.planner.tasks["latency"]
    fires.forecaster.after_run(fires.site, latency, "self")  # the same readings again
    first, second = fires.forecasts.of_series("anomaly", "latency", "self", "used_pct")
    assert (first["signal"], second["signal"]) == ("clear", "hold")
    assert first["fitted_to"] == second["fitted_to"]  # the latest reading judged
