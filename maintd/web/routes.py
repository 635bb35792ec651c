"""The endpoint's paths and what answers each: /metrics, /healthz and /readyz, and the
dashboard's pages with their path parameters; everything else is a 404.

    /                                    the overview (query: task, host, status, page)
    /runs/<id>                           a run
    /incidents/<id>                      an incident (notifications link here)
    /trend/<task>/<host>/<metric>        a metric's trend (each name percent-encoded)

A parameter that cannot be what its place wants (``/runs/abc``, a name that is not UTF-8 or
holds control characters) is a 400 saying so; a well-formed one naming nothing is the page's
own 404.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from urllib.parse import unquote

from maintd.web.dashboard import Dashboard
from maintd.web.exposition import CONTENT_TYPE
from maintd.web.health import Check, Verdict, judge_liveness, judge_readiness
from maintd.web.scrape import MetricsPage
from maintd.web.server import Page, Reply, Request, Route

MAX_ID_DIGITS = 18  # fits the databases' 64-bit integers
MAX_NAME = 200  # the ledger's task, host and metric columns


def build_pages(
    metrics: MetricsPage, heartbeat_age: Callable[[], float], readiness: Mapping[str, Check]
) -> dict[str, Page]:
    """Path → page: the metrics, liveness from the scheduler's heartbeat age (seconds), and
    readiness from the named checks."""
    return {
        "/metrics": lambda: Reply(200, metrics.render(), CONTENT_TYPE),
        "/healthz": lambda: _reply_of(judge_liveness(heartbeat_age())),
        "/readyz": lambda: _reply_of(judge_readiness(readiness)),
    }


def _reply_of(verdict: Verdict) -> Reply:
    # 503 is what load balancers and Kubernetes-style probes read as "not now".
    return Reply(200 if verdict.ok else 503, verdict.text)


def build_dashboard_route(dashboard: Dashboard) -> Route:
    """The route of the dashboard's pages (the table above); None for any other path."""

    def route(request: Request) -> Reply | None:
        segments = request.path.split("/")[1:]
        root = "../" * (len(segments) - 1) or "./"
        match segments:
            case [""]:
                return dashboard.overview(request.query)
            case ["runs", run_id]:
                return _with_id(run_id, dashboard.run, dashboard, root)
            case ["incidents", incident_id]:
                return _with_id(incident_id, dashboard.incident, dashboard, root)
            case ["trend", task, host, metric]:
                return _trend((task, host, metric), dashboard, root)
        return None

    return route


def _with_id(text: str, page: Callable[[int], Reply], dashboard: Dashboard, root: str) -> Reply:
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_ID_DIGITS:
        return dashboard.refuse(400, f"{text!r} is not a number", root)
    return page(int(text))


def _trend(encoded: tuple[str, str, str], dashboard: Dashboard, root: str) -> Reply:
    task, host, metric = (_name_of(part) for part in encoded)
    if task is None or host is None or metric is None:
        why = "task, host and metric must be percent-encoded UTF-8 names"
        return dashboard.refuse(400, f"{why} of 1 to {MAX_NAME} printable characters", root)
    return dashboard.trend(task, host, metric)


def _name_of(encoded: str) -> str | None:
    """A percent-decoded path segment, or None when it is empty, too long, not UTF-8 or holds
    control characters."""
    try:
        name = unquote(encoded, errors="strict")
    except UnicodeDecodeError:
        return None
    if not name or len(name) > MAX_NAME or not name.isprintable():
        return None
    return name
