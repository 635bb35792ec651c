"""The report stage: what people read — the daily maintenance log (``maintlog``), KPIs
(``kpi``), post-mortems (``postmortem``) and the period report (``content`` gathers it from the
store and the planner; ``markdown``, ``html`` with ``svg`` charts, and ``document`` (JSON)
render it; ``texts`` holds its words in English and Chinese)."""
