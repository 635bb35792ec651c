"""The web stage: what the daemon shows over HTTP.

Takes the fires' outcomes (``RunMetrics``, fed by the pipeline), readings of the daemon given
as callables (incidents open, checks in flight, connections, the scheduler's heartbeat, the
store's answer) and the calendar's ``http.listen``; hands on /metrics in the Prometheus text
format, /healthz and /readyz, from a read-only server on that one address.
"""

from maintd.web.metrics import RunMetrics
from maintd.web.routes import build_pages
from maintd.web.scrape import MetricsPage, Readings
from maintd.web.server import HttpEndpoint, Page, Reply

__all__ = ["HttpEndpoint", "MetricsPage", "Page", "Readings", "Reply", "RunMetrics", "build_pages"]
