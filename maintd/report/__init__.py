"""The report stage: what people read — the daily maintenance log (reports and dashboards
follow)."""
