"""The read-only dashboard, served at ``/`` by the daemon's HTTP endpoint.

Takes the store's reader (``store.dashboard_queries``) and the planner of the calendar in
force, both as callables (``Sources``); hands on server-rendered HTML pages: the overview (the
counts per status, open incidents with their SLA clocks, the task × host grid, the next 24
hours), a run, an incident and a metric's trend. No script, one inline stylesheet, nothing
fetched from anywhere.
"""

from maintd.web.dashboard.views import Dashboard, Sources

__all__ = ["Dashboard", "Sources"]
