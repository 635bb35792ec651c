"""The three formats of one hand-made report: every section in each, user-controlled text
escaped for Markdown and HTML, the HTML page self-contained and printable, the JSON object by
the read commands' contract."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from maintd.cli.output import to_json_value
from maintd.plan.counting import TaskFires
from maintd.plan.planner import Stretch
from maintd.report.content import ReportData
from maintd.report.document import build_document
from maintd.report.html import render_html
from maintd.report.kpi import compute_kpis
from maintd.report.markdown import markdown_cell, render_markdown
from maintd.report.period import Length, Period, next_period
from maintd.report.planned import compare_plan, summarise_upcoming
from maintd.report.runs import build_heatmap, count_statuses, shape_failure
from maintd.report.sla import judge_incidents
from maintd.report.tables import SECTION_KEYS
from maintd.report.texts import EN, ZH, Texts
from maintd.store.report_queries import RunTally

ZONE = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 1, tzinfo=ZONE).astimezone(UTC)
NOW = START + timedelta(days=2)
HOUR = timedelta(hours=1)
HOSTILE_TASK = "disk|<b>"
HOSTILE_OUTPUT = "<script>alert(1)</script>\nline | two & more"


def sample_report() -> ReportData:
    period = Period(Length.CUSTOM, START, NOW, ZONE)
    at = START + timedelta(hours=3)
    rows = [
        {"task": HOSTILE_TASK, "host": "db1", "scheduled_for": at, "trigger": "schedule",
         "status": "CRITICAL", "reason": None},
        {"task": "backup", "host": "db1", "scheduled_for": at, "trigger": "schedule",
         "status": "OK", "reason": None},
    ]  # fmt: skip
    tallies = [RunTally(row["task"], "db1", row["status"], None, "schedule", 0, 1) for row in rows]
    by_day = {(tally.task, period.day_of(at), tally.status): 1 for tally in tallies}
    early, late = Stretch(START, at + HOUR, None), Stretch(at + HOUR, NOW, "blackout <freeze>")
    fires = [
        TaskFires(HOSTILE_TASK, (early, late), {"db1": (1, 0)}, at, at),
        TaskFires("backup", (early, late), {"db1": (1, 1)}, at, at),
    ]
    ahead = Stretch(NOW, NOW + timedelta(days=2), None)
    upcoming = TaskFires("backup", (ahead,), {"db1": (1,)}, NOW + HOUR, NOW + HOUR)
    incident = {
        "id": 1, "kind": "check", "task": HOSTILE_TASK, "host": "db1",
        "title": f"{HOSTILE_TASK} on db1: CRITICAL", "severity": "critical", "state": "open",
        "opened_at": at, "acknowledged_at": None, "resolved_at": None,
        "respond_due": at + timedelta(hours=1), "resolve_due": None, "reopened": 0,
    }  # fmt: skip
    failure = {**rows[0], "summary": HOSTILE_OUTPUT.splitlines()[0], "output": HOSTILE_OUTPUT,
               "duration": 1.25, "exit_code": 2}  # fmt: skip
    kpis = compute_kpis(runs=rows, incidents=[incident], steps=[], backup_tasks={"backup"},
                        since=START, until=NOW, now=NOW)  # fmt: skip
    return ReportData(
        period=period, next_period=next_period(period), timezone="Asia/Shanghai",
        generated_at=NOW, compliance=compare_plan(fires, tallies, NOW),
        by_task=count_statuses(tallies, "task"), by_host=count_statuses(tallies, "host"),
        heatmap=build_heatmap(by_day, ["backup"], period.local_days()),
        failures=(shape_failure(failure),), failures_total=1,
        incidents=judge_incidents([incident], [], NOW), kpis=kpis, forecasts=(),
        upcoming=summarise_upcoming([upcoming]),
    )  # fmt: skip


def test_a_markdown_cell_escapes_pipes_line_breaks_and_markup() -> None:
    assert markdown_cell("a | b\nc <i>&") == "a \\| b<br>c &lt;i&gt;&amp;"
    assert markdown_cell("") == ""


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_markdown_has_every_section_and_escapes_what_hosts_wrote(lang: str) -> None:
    texts = Texts(lang)
    text = render_markdown(sample_report(), texts, "9.9")
    for key in SECTION_KEYS:
        assert f"## {texts(f'section_{key}')}" in text
    assert "<script>" not in text and "<b>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>line \\| two &amp; more" in text
    assert "| disk\\|&lt;b&gt; | CRITICAL |" in text  # the heat-map row
    assert "blackout &lt;freeze&gt;" in text


@pytest.mark.parametrize(("lang", "table"), [("en", EN), ("zh", ZH)])
def test_the_html_page_is_self_contained_escaped_and_printable(
    lang: str, table: dict[str, str]
) -> None:
    page = render_html(sample_report(), Texts(lang), "9.9")
    for key in SECTION_KEYS:
        assert f'<section id="{key}">' in page and f"<h2>{table[f'section_{key}']}</h2>" in page
    assert "<script" not in page and "<b>" not in page and "<link" not in page
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<pre>&lt;script&gt;alert(1)&lt;/script&gt;\nline | two &amp; more</pre>" in page
    assert "@media print" in page and "break-before: page" in page
    assert page.count('class="cell"') == 2 * len(sample_report().period.local_days())
    assert 'class="chart kpi-bars"' in page
    assert f'lang="{Texts(lang).html_lang}"' in page


def test_the_json_object_keeps_the_read_commands_contract() -> None:
    data = sample_report()
    document = json.loads(json.dumps(build_document(data, {"incidents_opened": 1}),
                                     default=to_json_value))  # fmt: skip
    assert set(document) == {"period", "plan", "runs", "failures", "incidents", "kpis",
                             "forecasts", "next_period"}  # fmt: skip
    assert document["period"]["from"] == "2026-11-01T00:00:00+08:00"
    assert document["plan"]["compliance_pct"] == 100.0  # CRITICAL ran: done, and a failure
    assert document["plan"]["skipped_reasons"][0]["reason"] == "blackout <freeze>"
    assert document["failures"]["latest"][0]["status"] == "CRITICAL"
    assert document["failures"]["latest"][0]["duration"] == 1.25
    assert document["incidents"][0]["respond"] == {
        "due": "2026-11-01T04:00:00+08:00", "answered_at": None, "outcome": "breached",
    }  # fmt: skip
    assert document["kpis"] == {"incidents_opened": 1}
    cells = document["runs"]["by_day"]
    assert {(cell["date"], cell["worst"]) for cell in cells if cell["task"] == "backup"} == {
        (day.isoformat(), "OK" if day == date(2026, 11, 1) else None)
        for day in data.period.local_days()
    }
    assert document["next_period"]["tasks"][0]["first_run"] == "2026-11-03T01:00:00+08:00"
