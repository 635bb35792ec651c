"""The maintenance report end to end: `maintd run` on loopback sshd hosts writes the ledger —
a filling disk with three days of seeded history (so a forecast exists), a backup failing
CRITICAL (an incident, failures), a task held by a change freeze (SKIPPED) — then `maintd
report` writes it as HTML, Markdown and JSON, in English and Chinese, and headless Chromium
opens the HTML: every section, the heat-map cells, the trend with its band, the KPI bars;
printed, each section starts a page. A screenshot is kept (copied into ``$MAINTD_ARTIFACTS``
when set)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from maintd.report.texts import EN, ZH
from maintd.store import IncidentBook, open_store
from maintd.store.forecasts import ForecastBook
from tests.browser import Browser, browser_or_skip, keep_artifact
from tests.conftest import PLUGINS
from tests.daemon import Daemon, maintd, start
from tests.e2e.test_daemon_predict import seed_filling_disk
from tests.pages import Elements
from tests.sshd import SshdCluster

ZONE = "Asia/Shanghai"
SECTIONS = ("plan", "runs", "failures", "incidents", "kpis", "forecasts", "next")
TASKS = ("disk", "backup", "frozen")
REPORTING = """
blackouts:
  - {name: change-freeze, from: YESTERDAY, to: TOMORROW, tasks: [frozen]}
severities:
  major: {respond: 1h, resolve: 4h}
  minor: {respond: 1d, resolve: 7d}
tasks:
  - name: disk
    check: test_file_value
    hosts: [h1]
    schedule: {every: 1s}
    catch_up: none
    params: {path: VALUE}
    predict: {metric: used_pct, reaches: 95, within: 14d, every: 1s, severity: minor}
  - {name: backup, check: test_file_status, hosts: [h2], schedule: {every: 1s},
     params: {path: "STATUS"}, severity: major, catch_up: none}
  - {name: frozen, check: test_file_status, hosts: [h3], schedule: {every: 2s},
     params: {path: "STATUS"}, catch_up: none}
"""


def write_calendar(daemon: Daemon, cluster: SshdCluster, value: Path, status: Path) -> None:
    today = datetime.now(ZoneInfo(ZONE)).date()
    tasks = (
        REPORTING.replace("YESTERDAY", str(today - timedelta(days=1)))
        .replace("TOMORROW", str(today + timedelta(days=1)))
        .replace("VALUE", str(value))
        .replace("STATUS", str(status))
    )
    text = cluster.calendar_text(tasks, plugin_dirs=[str(PLUGINS)])
    daemon.calendar.write_text(text.replace("timezone: UTC", f"timezone: {ZONE}"))


def wait_for(daemon: Daemon, seconds: float = 20) -> None:
    """Until a forecast of the disk (with its fit), an incident of the backup and a skipped
    fire of the frozen task are recorded; read from the store the daemon writes."""
    ledger = open_store(str(daemon.database))
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            forecasts = ForecastBook(ledger.engine).latest(tasks=("disk",))
            incidents = IncidentBook(ledger.engine).listing()
            fitted = any(row["level_now"] is not None for row in forecasts)
            frozen = ledger.history(tasks=["frozen"], statuses=["SKIPPED"], limit=1)
            if fitted and frozen and any(row["task"] == "backup" for row in incidents):
                return
            time.sleep(0.3)
    finally:
        ledger.close()
    raise AssertionError(f"no forecast or no incident in time: {daemon.output()}")


def incident_of(daemon: Daemon, task: str) -> int:
    ledger = open_store(str(daemon.database))
    try:
        return next(
            row["id"] for row in IncidentBook(ledger.engine).listing() if row["task"] == task
        )
    finally:
        ledger.close()


def report(daemon: Daemon, span: tuple[str, str], *arguments: str) -> str:
    return maintd(daemon, "report", "--from", span[0], "--to", span[1], *arguments)


def test_a_report_of_a_real_run_opens_in_chromium_with_its_sections_and_charts(
    cluster: SshdCluster, tmp_path: Path, shared_dir: Path
) -> None:
    browser = browser_or_skip()
    value = shared_dir / "used"
    value.write_text("72.1\n")
    status = shared_dir / "<b>status&"  # its name is in every summary: HTML must escape it
    status.write_text("2\n")
    for path in (value, status):
        path.chmod(0o666)
    daemon = Daemon(tmp_path)
    write_calendar(daemon, cluster, value, status)
    local = ZoneInfo(ZONE)
    began = datetime.now(UTC) - timedelta(seconds=2)
    seed_filling_disk(daemon.database, datetime.now(UTC))
    try:
        start(daemon)
        wait_for(daemon)
        assert daemon.stop() == 0
    finally:
        daemon.close()
    maintd(daemon, "incidents", "ack", str(incident_of(daemon, "backup")), "--by", "ana")
    ended = datetime.now(UTC) + timedelta(seconds=2)
    begin_text, end_text = (moment.astimezone(local).strftime("%Y-%m-%dT%H:%M:%S")
                            for moment in (began, ended))  # fmt: skip
    span = (begin_text, end_text)

    document = json.loads(report(daemon, span, "--format", "json"))
    check_document(document)
    days = len({cell["date"] for cell in document["runs"]["by_day"]})

    page = tmp_path / "report.html"
    assert report(daemon, span, "--format", "html", "--out", str(page)) == ""
    check_page(browser, page, EN, days)
    keep_screenshot(browser, page, tmp_path / "report.png")
    assert browser.print_pdf(page, tmp_path / "report.pdf") >= len(SECTIONS)  # a page each

    page_zh = tmp_path / "report-zh.html"
    report(daemon, span, "--format", "html", "--lang", "zh", "--out", str(page_zh))
    dom_zh = check_page(browser, page_zh, ZH, days)
    for words in ("维护报告", "计划与执行", "合规率", "事件", "首次修复率", "预测"):
        assert words in dom_zh, words
    keep_screenshot(browser, page_zh, tmp_path / "report-zh.png")

    markdown = report(daemon, span, "--format", "md")
    for key in SECTIONS:
        assert f"## {EN[f'section_{key}']}" in markdown
    assert "&lt;b&gt;status&amp;" in markdown and "<b>" not in markdown
    assert "blackout change-freeze" in markdown and "| backup | CRITICAL |" in markdown


def check_document(document: dict[str, Any]) -> None:
    """The JSON: times in the calendar's zone, every section, what the run produced."""
    period, plan = document["period"], document["plan"]
    assert period["from"].endswith("+08:00") and period["timezone"] == ZONE
    tasks = {row["task"]: row for row in plan["tasks"]}
    assert set(tasks) == set(TASKS)
    assert tasks["backup"]["done"] > 0 and tasks["disk"]["done"] > 0
    assert tasks["frozen"]["skipped"] > 0 and tasks["frozen"]["due"] == 0
    assert any(group["reason"] == "blackout change-freeze" for group in plan["skipped_reasons"])
    backup_failure = next(row for row in document["failures"]["latest"] if row["task"] == "backup")
    assert backup_failure["status"] == "CRITICAL" and "<b>status&" in backup_failure["summary"]
    incidents = {row["task"]: row for row in document["incidents"]}
    assert incidents["backup"]["respond"]["outcome"] == "met"  # acknowledged within the hour
    assert incidents["backup"]["resolve"]["outcome"] == "pending"
    assert incidents["disk"]["kind"] == "predicted"
    (disk,) = [row for row in document["forecasts"] if row["task"] == "disk"]
    assert disk["verdict"] == "reaches" and disk["charted"]
    assert disk["eta_low"] <= disk["eta"] <= disk["eta_high"]
    assert document["kpis"]["incidents_opened"] == 2
    upcoming = {row["task"]: row for row in document["next_period"]["tasks"]}
    assert upcoming["frozen"]["will_not_run"] == upcoming["frozen"]["fires"] > 0
    assert upcoming["disk"]["will_not_run"] == 0 and upcoming["disk"]["first_run"]


def check_page(browser: Browser, page: Path, texts: dict[str, str], days: int) -> str:
    """The page as Chromium loaded it: sections, charts, escaping, nothing fetched."""
    dom = browser.dump_dom(page)
    found = Elements(dom)
    for key in SECTIONS:
        assert texts[f"section_{key}"] in found.headings, key
        assert any(name == "section" and attrs.get("id") == key for name, attrs in found.tags)
    cells = found.having("rect", "cell")
    assert len(cells) == len(TASKS) * days
    by_task = {cell["data-task"]: cell["data-status"] for cell in cells}
    assert by_task["backup"] == "CRITICAL" and by_task["frozen"] == "SKIPPED"
    assert dom.count("<title>") >= len(cells)
    assert len(found.having("polygon", "band")) == 1
    assert len(found.having("polyline", "fit")) == 1
    assert len(found.having("polyline", "readings")) == 1
    assert len(found.having("line", "threshold")) == 1
    band = found.having("polygon", "band")[0]["points"].split()
    assert len(band) >= 20
    assert len(found.having("rect", "track")) == 5  # the five percentage KPIs
    assert found.having("rect", "bar")
    assert "&lt;b&gt;status&amp;" in dom
    assert not [attrs for name, attrs in found.tags if name in {"script", "link", "img", "b"}]
    assert not [attrs for _, attrs in found.tags
                if attrs.get("src", "").startswith("http") or
                attrs.get("href", "").startswith("http")]  # fmt: skip
    return dom


def keep_screenshot(browser: Browser, page: Path, target: Path) -> None:
    """A screenshot in the test's directory; copied to test-artifacts/ when asked."""
    browser.screenshot(page, target)
    assert target.read_bytes().startswith(b"\x89PNG")
    keep_artifact(target)
