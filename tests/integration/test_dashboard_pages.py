"""The dashboard's pages through the real HTTP endpoint, from a store written through the
Ledger, IncidentBook and ForecastBook and the planner of a real calendar: the overview's counts,
grid, incidents with their SLA clocks and next fires; a run with its output and perfdata; an
incident with its timeline; a trend with its forecast band. Hostile text from the store is
shown escaped; unknown ids are 404, malformed parameters 400; and the grid's queries walk
indexes, never the whole ledger (SQLite's own query plans say so)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from maintd.config import load_calendar
from maintd.plan import Planner
from maintd.predict import Point, forecast_threshold
from maintd.predict.rows import threshold_row
from maintd.results import Perfdatum
from maintd.status import Status
from maintd.store import FireKey, IncidentBook, Ledger, Outcome, Step, open_store
from maintd.store.dashboard_queries import DashboardReader
from maintd.store.forecasts import ForecastBook
from maintd.web import Dashboard, HttpEndpoint, Sources, build_dashboard_route
from tests.conftest import PLUGINS
from tests.fetch import fetch
from tests.integration.conftest import Opener
from tests.pages import Elements
from tests.sshd import free_port

NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai
HOSTILE = "<script>alert('pwned')</script> & \"quoted\""
CALENDAR = f"""
timezone: Asia/Shanghai
plugin_dirs: [{PLUGINS}]
hosts:
  db1: {{transport: local, groups: [databases]}}
  db2: {{transport: local, groups: [databases]}}
  web1: {{transport: local}}
severities:
  critical: {{respond: 15m, resolve: 4h}}
tasks:
  - name: disk
    check: test_file_value
    hosts: [all]
    schedule: {{every: 5m}}
    params: {{path: /nonexistent}}
    predict: {{metric: used_pct, reaches: 95, within: 14d, window: 3d}}
  - name: backup
    check: test_file_status
    hosts: [databases]
    schedule: {{cron: "30 1 * * *", jitter: 10m}}
    params: {{path: /nonexistent}}
    severity: critical
"""


@dataclass
class Site:
    """The dashboard served on a loopback port over a store and a calendar."""

    ledger: Ledger
    endpoint: HttpEndpoint
    ids: dict[str, int]

    def get(self, path: str, method: str = "GET") -> tuple[int, str]:
        assert self.endpoint.address is not None
        status, headers, body = fetch(self.endpoint.address[1], path, method)
        kind = headers.get("Content-Type", "")
        assert kind.startswith(("text/html", "text/plain")), kind
        return status, body.decode()


def finish(ledger: Ledger, task: str, host: str, at: datetime, status: Status, **more: Any) -> int:
    """A fire of (task, host) scheduled at ``at`` that ran and ended in ``status``."""
    claim = ledger.claim(FireKey(task, host, at), "schedule")
    assert claim is not None
    measured = more.pop("measured", ())
    values = {"summary": f"{task} {status}", "exit_code": 0, **more}
    outcome = Outcome(status, started_at=at, finished_at=at + timedelta(seconds=2), duration=2.0,
                      **values)  # fmt: skip
    ledger.complete(claim, outcome, measured)
    return claim.id


def write_history(ledger: Ledger, planner: Planner) -> dict[str, int]:
    """Three days of a filling disk on db1 ending CRITICAL with a hostile summary, and one
    pair in each of the other shapes the grid meets; an incident per kind of clock."""
    ids = {}
    for index in range(72):
        at = NOW - timedelta(hours=72 - index)
        used = Perfdatum("used_pct", 60 + index / 6, "%", minimum=0.0, maximum=100.0)
        ids["disk-ok"] = finish(ledger, "disk", "db1", at, Status.OK, measured=[used])
    ids["disk-critical"] = finish(
        ledger, "disk", "db1", NOW - timedelta(minutes=5), Status.CRITICAL, summary=HOSTILE,
        output=f"line one\n{HOSTILE}\nlast line", exit_code=2,
        measured=[Perfdatum("used_pct", 72.5, "%"), Perfdatum("<b>odd label</b>", 1.0)],
    )  # fmt: skip
    ids["db2-ok"] = finish(ledger, "disk", "db2", NOW - timedelta(minutes=10), Status.OK)
    ledger.claim(FireKey("disk", "db2", NOW - timedelta(minutes=1)), "schedule")  # running now
    ids["web1-warning"] = finish(ledger, "disk", "web1", NOW - timedelta(hours=1), Status.WARNING)
    ledger.record(FireKey("disk", "web1", NOW - timedelta(minutes=30)), "schedule",
                  status=Status.SKIPPED, reason="blackout freeze")  # fmt: skip
    ledger.record(FireKey("backup", "db2", NOW - timedelta(hours=8)), "catch-up",
                  status=Status.MISSED, reason="maintd was down")  # fmt: skip
    book = IncidentBook(ledger.engine)
    ids["incident"] = book.open(
        kind="check", task="disk", host="db1", title="disk on db1: CRITICAL", severity="critical",
        step=Step(NOW - timedelta(minutes=30), "opened", HOSTILE, "CRITICAL"),
    )  # fmt: skip
    breach = Step(NOW - timedelta(minutes=5), "sla-breach", "respond late")
    book.mark(
        ids["incident"], breach, respond_due=NOW - timedelta(minutes=15),
        resolve_due=NOW + timedelta(hours=3, minutes=30), respond_clock="breached",
    )  # fmt: skip
    ids["acknowledged"] = book.open(
        kind="check", task="disk", host="web1", title="disk on web1: WARNING",
        severity="critical", step=Step(NOW - timedelta(hours=2), "opened", "filling", "WARNING"),
    )  # fmt: skip
    book.mark(ids["acknowledged"], respond_due=NOW - timedelta(hours=1, minutes=45),
              resolve_due=NOW + timedelta(hours=2))  # fmt: skip
    acknowledged = Step(NOW - timedelta(hours=1, minutes=50), "acknowledged", by="ana")
    book.acknowledge(ids["acknowledged"], acknowledged)
    record_forecast(ledger, planner)
    return ids


def record_forecast(ledger: Ledger, planner: Planner) -> None:
    """What the daemon's Forecaster writes after a run: the forecast of the disk's readings."""
    predict = planner.tasks["disk"].predict
    assert predict is not None
    readings = DashboardReader(ledger.engine).readings(
        "disk", "db1", "used_pct", since=NOW - timedelta(days=3, hours=1), limit=10_000
    )
    forecast = forecast_threshold(
        [Point(at, value) for at, value in readings], reaches=predict.reaches, now=NOW,
        window=predict.window, min_history=predict.min_history, coverage=predict.coverage,
    )  # fmt: skip
    ForecastBook(ledger.engine).record(
        {**threshold_row(forecast, predict), "task": "disk", "host": "db1", "at": NOW,
         "signal": "warn"}
    )  # fmt: skip


def serve(ledger: Ledger | None, planner: Planner | None) -> HttpEndpoint:
    sources = Sources(
        store=lambda: DashboardReader(ledger.engine) if ledger else None,
        planner=lambda: planner,
        now=lambda: NOW,
    )
    endpoint = HttpEndpoint({}, route=build_dashboard_route(Dashboard(sources)))
    endpoint.start(f"127.0.0.1:{free_port()}")
    return endpoint


def open_site(ledger: Ledger, tmp_path: Path) -> Iterator[Site]:
    path = tmp_path / "calendar.yaml"
    path.write_text(CALENDAR)
    planner = Planner(load_calendar(path).calendar)
    ids = write_history(ledger, planner)
    endpoint = serve(ledger, planner)
    try:
        yield Site(ledger, endpoint, ids)
    finally:
        endpoint.stop()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    ledger = open_store(str(tmp_path / "m.db"))
    try:
        yield from open_site(ledger, tmp_path)
    finally:
        ledger.close()


def test_the_overview_counts_each_pair_lists_incidents_and_plans_the_next_day(
    store_url: str, open_ledger: Opener, tmp_path: Path
) -> None:
    for site in open_site(open_ledger(store_url), tmp_path):
        status, page = site.get("/")
        assert status == 200
        found = Elements(page)
        cells = {attrs["title"]: attrs for attrs in found.having("a", "cell")}
        cells |= {attrs["title"]: attrs for attrs in found.having("span", "cell")}
        assert set(cells) == {
            "disk on db1: CRITICAL",
            "disk on db2: OK",  # the run in flight does not hide it
            "disk on web1: WARNING",  # nor does the skipped fire after it
            "backup on db1: no result yet",
            "backup on db2: MISSED",
        }
        assert cells["disk on db1: CRITICAL"]["href"] == f"runs/{site.ids['disk-critical']}"
        assert "s-CRITICAL" in cells["disk on db1: CRITICAL"]["class"]
        links = [attrs["href"] for name, attrs in found.tags if name == "a"]
        counts = [href for href in links if href.startswith("?status=")]
        assert counts == ["?status=CRITICAL", "?status=MISSED", "?status=WARNING", "?status=OK",
                          "?status=NONE"]  # fmt: skip
        rows = [href for href in links if href.startswith("?host=")][:3]
        assert rows == ["?host=db1", "?host=db2", "?host=web1"]  # worst first
        assert "Open incidents (2)" in found.text
        assert "breached (15m ago)" in found.text  # the respond clock of the open one
        assert "3h30m left" in found.text  # its resolve clock
        assert "met" in found.text.split()  # acknowledged within 15 minutes
        assert found.text.count("disk on db1") >= 1 and "#1" in found.text
        # Every 5 minutes on three hosts, and the nightly backup on two, for 24 hours.
        assert "the first 50 of 866 fires" in found.text
        assert "2027-01-04 17:00:00" in found.text  # the first fire, on Shanghai's clock
        assert "&lt;script&gt;" in page and "<script" not in page


def cell_titles(page: str) -> set[str]:
    found = Elements(page)
    return {attrs["title"] for attrs in found.having("span", "cell") + found.having("a", "cell")}


def test_filters_narrow_the_overview_and_malformed_ones_are_refused(site: Site) -> None:
    status, page = site.get("/?task=backup")
    assert status == 200
    assert cell_titles(page) == {"backup on db1: no result yet", "backup on db2: MISSED"}
    assert "Open incidents (0)" in Elements(page).text and "2 fires" in Elements(page).text
    status, page = site.get("/?host=WEB*&status=warning")  # a pattern, in any case
    assert (status, cell_titles(page)) == (200, {"disk on web1: WARNING"})
    assert "Open incidents (1)" in Elements(page).text
    assert cell_titles(site.get("/?host=db1")[1]) == {"disk on db1: CRITICAL",
                                                      "backup on db1: no result yet"}  # fmt: skip
    assert len(cell_titles(site.get("/?host=db%3F")[1])) == 4  # db1 and db2
    assert cell_titles(site.get("/?status=TIMEOUT")[1]) == set()
    for query, why in (
        ("?task=nope", "no such task"),
        ("?status=PURPLE", "expected one of"),
        ("?page=0", "whole number"),
        ("?page=%C2%B2", "whole number"),
        ("?host=" + "x" * 201, "at most 200"),
    ):
        status, page = site.get("/" + query)
        assert (status, why in page) == (400, True), query
    assert site.get("/?page=2")[0] == 404


def test_a_run_page_shows_its_times_output_escaped_and_perfdata(site: Site) -> None:
    status, page = site.get(f"/runs/{site.ids['disk-critical']}")
    assert status == 200
    found = Elements(page)
    assert f"Run {site.ids['disk-critical']}: disk on db1" in found.text
    assert "2027-01-04 16:55:00" in found.text and "2027-01-04 16:55:02" in found.text
    assert "2.00s" in found.text and "CRITICAL" in found.text
    assert "<script" not in page and page.count("&lt;script&gt;alert(&#x27;pwned&#x27;)") >= 2
    assert "line one\n&lt;script&gt;" in page  # the output as written, in a <pre>
    links = [attrs["href"] for name, attrs in found.tags if name == "a"]
    assert "../trend/disk/db1/used_pct" in links
    assert "../trend/disk/db1/%3Cb%3Eodd%20label%3C%2Fb%3E" in links
    assert f"../incidents/{site.ids['incident']}" in links  # the pair's open incident
    assert f"../runs/{site.ids['disk-ok']}" in links  # the run before it
    assert "72.5" in found.text and "&lt;b&gt;odd label&lt;/b&gt;" in page


def test_an_incident_page_shows_its_clocks_and_timeline(site: Site) -> None:
    status, page = site.get(f"/incidents/{site.ids['incident']}")
    assert status == 200
    found = Elements(page)
    assert f"Incident #{site.ids['incident']}: disk on db1" in found.text
    assert "respond by 2027-01-04 16:45:00 (15m ago)" in found.text
    assert "breached (15m ago)" in found.text and "3h30m left" in found.text
    assert [step for step in ("opened", "sla-breach") if step in found.text.split()] == [
        "opened", "sla-breach"]  # fmt: skip
    assert "<script" not in page and "&lt;script&gt;" in page
    links = [attrs["href"] for name, attrs in found.tags if name == "a"]
    assert f"../runs/{site.ids['disk-critical']}" in links
    assert any(attrs.get("content") == "30" for name, attrs in found.tags if name == "meta")


def test_a_trend_page_draws_the_readings_and_the_forecast_band(site: Site) -> None:
    status, page = site.get("/trend/disk/db1/used_pct")
    assert status == 200
    found = Elements(page)
    assert len(found.having("polyline", "readings")) == 1
    assert len(found.having("polygon", "band")[0]["points"].split()) >= 20
    assert found.having("polyline", "fit") and found.having("line", "threshold")
    assert "reaches" in found.text.split() and "73 readings since" in found.text
    status, page = site.get("/trend/disk/db1/%3Cb%3Eodd%20label%3C%2Fb%3E")
    found = Elements(page)
    assert status == 200 and "No forecast of this metric" in found.text
    assert found.having("polyline", "readings") and "<b>" not in page


def test_unknown_ids_are_404_and_malformed_parameters_400(site: Site) -> None:
    assert site.get("/runs/999999")[0] == 404
    assert site.get("/incidents/424242")[0] == 404
    assert site.get("/trend/disk/db1/nothing")[0] == 404
    for path in ("/runs/abc", "/runs/-1", "/runs/1e3", "/incidents/" + "9" * 19,
                 "/trend/disk/%FF/used_pct", "/trend/disk/%0A/used_pct"):  # fmt: skip
        status, page = site.get(path)
        assert status == 400, path
        assert "Bad request" in page
    for path in ("/runs", "/runs/1/", "/trend/disk/db1", "/index.html", "/runs/1/more"):
        assert site.get(path)[0] == 404, path
    assert site.get(f"/runs/{site.ids['db2-ok']}", "HEAD") == (200, "")


def test_pages_answer_503_until_the_daemon_has_a_store_and_a_calendar() -> None:
    endpoint = serve(None, None)
    try:
        assert endpoint.address is not None
        status, _, body = fetch(endpoint.address[1], "/runs/1")
        assert status == 503 and "starting" in body.decode()
    finally:
        endpoint.stop()


def test_the_pages_read_along_indexes_never_through_the_ledger(site: Site) -> None:
    """SQLite's own plan of every SELECT the pages run: the grid seeks the unique key (task,
    host, scheduled_for) and the finished-runs index per pair; nothing scans runs, metrics,
    forecasts, the timelines or the incidents (the open ones are found by ix_incidents_state)."""
    statements: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(site.ledger.engine, "before_cursor_execute", keep)
    try:
        for path in ("/", f"/runs/{site.ids['disk-critical']}",
                     f"/incidents/{site.ids['incident']}", "/trend/disk/db1/used_pct"):  # fmt: skip
            assert site.get(path)[0] == 200, path
    finally:
        event.remove(site.ledger.engine, "before_cursor_execute", keep)
    plans = []
    with site.ledger.engine.connect() as connection:
        for statement, parameters in statements:
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plans.append(" | ".join(row[3] for row in rows))
    grid = [plan for plan in plans if "SCAN wanted VIRTUAL TABLE" in plan]
    assert len(grid) == 2  # one per task of the calendar
    for plan in grid:
        assert "COVERING INDEX sqlite_autoindex_runs_1 (task=? AND host=?)" in plan
        assert "COVERING INDEX ix_runs_task_host_finished (task=? AND host=?" in plan
    scanned = {table for plan in plans for table in re.findall(r"SCAN (\w+)", plan)}
    assert scanned == {"wanted"}
