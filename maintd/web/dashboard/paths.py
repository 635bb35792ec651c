"""Where the dashboard's pages are, below its root: the one place that spells their paths
(``routes`` matches the same shapes)."""

from __future__ import annotations

from urllib.parse import quote


def segment(value: str) -> str:
    """One path segment: a task, host or metric name quoted, ``/`` included."""
    return quote(value, safe="")


def run_path(run_id: int) -> str:
    """A run's page."""
    return f"runs/{run_id}"


def incident_path(incident_id: int) -> str:
    """An incident's page (the notifications link ``{public_url}/incidents/{id}``)."""
    return f"incidents/{incident_id}"


def trend_path(task: str, host: str, metric: str) -> str:
    """A metric's trend page."""
    return f"trend/{segment(task)}/{segment(host)}/{segment(metric)}"
