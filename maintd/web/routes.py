"""The endpoint's paths and what answers each: /metrics, /healthz and /readyz.

The dashboard's pages will join this table; everything else is a 404.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from maintd.web.exposition import CONTENT_TYPE
from maintd.web.health import Check, Verdict, judge_liveness, judge_readiness
from maintd.web.scrape import MetricsPage
from maintd.web.server import Page, Reply


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
