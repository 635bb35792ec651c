"""Smoke test of the harness on two plugins every Linux host can run."""

from __future__ import annotations

from maintd.status import Status
from tests.checks.conftest import RunCheck


def test_memory_over_ssh_reports_its_trend_metrics(run_check: RunCheck) -> None:
    checked = run_check("memory")
    assert checked.status == Status.OK, checked
    assert {"mem_used_pct", "swap_used_pct", "mem_available_bytes"} <= set(checked.perfdata)
    assert 0 < checked.perfdata["mem_used_pct"].value < 100


def test_disk_usage_goes_critical_above_its_threshold(run_check: RunCheck) -> None:
    checked = run_check("disk_usage", {"path": "/", "warn": 0, "crit": 0}, where="local")
    assert checked.status == Status.CRITICAL, checked
    assert "used_pct" in checked.perfdata
