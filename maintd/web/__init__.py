"""The web stage: what the daemon shows over HTTP.

Takes the fires' outcomes (``RunMetrics``, fed by the pipeline), readings of the daemon given
as callables (incidents open, checks in flight, connections, the scheduler's heartbeat, the
store's answer, the store's reader and the planner in force) and the calendar's
``http.listen``; hands on /metrics in the Prometheus text format, /healthz, /readyz and the
dashboard's HTML pages, from a read-only server on that one address.
"""

from maintd.web.dashboard import Dashboard, Sources
from maintd.web.metrics import RunMetrics
from maintd.web.routes import build_dashboard_route, build_pages
from maintd.web.scrape import MetricsPage, Readings
from maintd.web.server import HttpEndpoint, Page, Reply, Request, Route

__all__ = [
    "Dashboard",
    "HttpEndpoint",
    "MetricsPage",
    "Page",
    "Readings",
    "Reply",
    "Request",
    "Route",
    "RunMetrics",
    "Sources",
    "build_dashboard_route",
    "build_pages",
]
