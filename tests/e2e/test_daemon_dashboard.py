"""The dashboard of a real daemon: `maintd run` with `http:` on the loopback sshd hosts, a disk
filling for three days (seeded, so a forecast is drawn) and a backup failing CRITICAL every
second (an incident opens and its SLA clocks start). The overview, a run, the incident and the
disk's trend are read from the daemon's endpoint and opened in headless Chromium: the grid's
cells, the incident with its clocks, the run's output, the trend's SVG. A screenshot of the
overview is kept (copied into ``$MAINTD_ARTIFACTS`` when set).

``tests/browser.py`` keeps Chromium off every network, loopback included, so each page is
saved exactly as the daemon served it and opened from the file (the pages fetch nothing).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from maintd.store import IncidentBook, open_store
from maintd.store.forecasts import ForecastBook
from tests.browser import Browser, browser_or_skip, keep_artifact
from tests.conftest import PLUGINS
from tests.daemon import Daemon, start, status_file
from tests.e2e.test_daemon_predict import seed_filling_disk
from tests.fetch import fetch
from tests.pages import Elements
from tests.sshd import SshdCluster, free_port

TASKS = """
http: {listen: "LISTEN"}
severities:
  critical: {respond: 1h, resolve: 4h}
  minor: {respond: 1d, resolve: 7d}
tasks:
  - name: disk
    check: test_file_value
    hosts: [h1, h2]
    schedule: {every: 1s}
    catch_up: none
    params: {path: VALUE}
    predict: {metric: used_pct, reaches: 95, within: 14d, every: 1s, severity: minor}
  - {name: backup, check: test_file_status, hosts: [h3], schedule: {every: 1s},
     params: {path: STATUS}, severity: critical, catch_up: none}
"""


def save(port: int, path: str, target: Path) -> Path:
    """The page at ``path`` as the daemon serves it, written to ``target``."""
    status, headers, body = fetch(port, path, timeout=10)
    assert status == 200, (path, body[:500])
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    target.write_bytes(body)
    return target


def wait_for(daemon: Daemon, seconds: float = 20) -> tuple[int, int]:
    """Until the backup's incident has its deadlines and the disk a forecast with its fit;
    return the incident's id and the id of a failed backup run."""
    ledger = open_store(str(daemon.database))
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            incidents = [row for row in IncidentBook(ledger.engine).listing()
                         if row["task"] == "backup" and row["respond_due"]]  # fmt: skip
            fitted = [row for row in ForecastBook(ledger.engine).latest(tasks=("disk",))
                      if row["level_now"] is not None]  # fmt: skip
            failed = ledger.history(tasks=["backup"], statuses=["CRITICAL"], limit=1)
            disk = ledger.history(tasks=["disk"], hosts=["h2"], statuses=["OK"], limit=1)
            if incidents and fitted and failed and disk:
                return incidents[0]["id"], failed[0]["id"]
            time.sleep(0.3)
    finally:
        ledger.close()
    raise AssertionError(f"no incident or no forecast in time: {daemon.output()}")


def test_the_dashboard_of_a_running_daemon_opens_in_chromium(
    cluster: SshdCluster, tmp_path: Path, shared_dir: Path
) -> None:
    browser = browser_or_skip()
    value = shared_dir / "used"
    value.write_text("72.1\n")
    value.chmod(0o666)
    failing = status_file(shared_dir, "backup", 2)
    port = free_port()
    tasks = (TASKS.replace("LISTEN", f"127.0.0.1:{port}").replace("VALUE", str(value))
             .replace("STATUS", str(failing)))  # fmt: skip
    daemon = Daemon(tmp_path)
    daemon.calendar.write_text(cluster.calendar_text(tasks, plugin_dirs=[str(PLUGINS)]))
    seed_filling_disk(daemon.database, datetime.now(UTC))
    pages = tmp_path / "pages"
    pages.mkdir()
    try:
        start(daemon)
        incident, run = wait_for(daemon)
        overview = save(port, "/", pages / "overview.html")
        run_page = save(port, f"/runs/{run}", pages / "run.html")
        incident_page = save(port, f"/incidents/{incident}", pages / "incident.html")
        trend = save(port, "/trend/disk/h1/used_pct", pages / "trend.html")
        assert daemon.stop() == 0
    finally:
        daemon.close()
    check_overview(browser, overview, incident, run)
    check_run(browser, run_page)
    check_incident(browser, incident_page)
    check_trend(browser, trend)
    keep_screenshot(browser, overview, tmp_path / "dashboard.png")


def check_overview(browser: Browser, page: Path, incident: int, run: int) -> None:
    """The grid's cells, the open incidents with their clocks, the next fires."""
    found = Elements(browser.dump_dom(page))
    cells = {attrs["title"]: attrs for attrs in found.having("a", "cell")}
    assert set(cells) == {"disk on h1: OK", "disk on h2: OK", "backup on h3: CRITICAL"}
    assert "s-CRITICAL" in cells["backup on h3: CRITICAL"]["class"]
    assert cells["backup on h3: CRITICAL"]["href"].startswith("runs/")
    assert int(cells["backup on h3: CRITICAL"]["href"].removeprefix("runs/")) >= run
    links = [attrs["href"] for name, attrs in found.tags if name == "a"]
    assert f"incidents/{incident}" in links
    clocks = [" ".join(attrs.get("class", "").split()) for attrs in found.having("span", "clock")]
    assert "clock running" in clocks  # within the hour to respond, the 4 h to resolve
    assert "Open incidents (2)" in found.text  # the backup's, and the disk's forecast
    assert "left" in found.text and "predicted" in found.text
    assert "fires" in found.text and "runs" in found.text.split()  # the next 24 h
    assert not [attrs for name, attrs in found.tags if name in {"script", "link", "img"}]


def check_run(browser: Browser, page: Path) -> None:
    """A failed backup run: its status, times and output as the plugin wrote it."""
    dom = browser.dump_dom(page)
    found = Elements(dom)
    assert "backup on h3" in found.text and "CRITICAL" in found.text
    output = "".join(found.pre)
    assert output.startswith("TEST code 2 from ") and output.endswith(" on h3")
    assert "code" in found.text.split()  # the perfdata row
    assert found.having("span", "badge")


def check_incident(browser: Browser, page: Path) -> None:
    """The incident with its deadlines and timeline."""
    found = Elements(browser.dump_dom(page))
    assert "backup on h3" in found.text and "critical" in found.text
    assert "respond by" in found.text and "resolve by" in found.text
    assert len(found.having("span", "clock")) == 2
    assert "opened" in found.text.split()
    assert any(href.startswith("../runs/") for name, attrs in found.tags
               if name == "a" for href in [attrs["href"]])  # fmt: skip


def check_trend(browser: Browser, page: Path) -> None:
    """The disk's readings as an SVG line, with the forecast's fit, band and threshold."""
    found = Elements(browser.dump_dom(page))
    assert len(found.having("svg", "trend")) == 1
    assert len(found.having("polyline", "readings")) == 1
    assert len(found.having("polygon", "band")[0]["points"].split()) >= 20
    assert found.having("polyline", "fit") and found.having("line", "threshold")
    assert "reaches" in found.text.split()


def keep_screenshot(browser: Browser, page: Path, target: Path) -> None:
    """A screenshot of the overview in the test's directory; copied into the directory
    ``$MAINTD_ARTIFACTS`` names, when set."""
    browser.screenshot(page, target, size=(1280, 1000))
    assert target.read_bytes().startswith(b"\x89PNG")
    keep_artifact(target)
