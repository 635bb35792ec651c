"""The pieces every dashboard page is written with: the page around a body, escaped text and
attributes, tables, links relative to the dashboard's root, and times on the calendar's clock.

Every value that comes from the store, the calendar or a plugin goes through ``text`` (or
``attribute``) on its way into a page: a summary reading ``<script>`` is shown, never run. The
page also forbids scripts and every outside source in its Content-Security-Policy, so a slip
in escaping would still run nothing.

Links are relative (``runs/12`` from the overview, ``../runs/12`` from an incident), so the
dashboard works as well behind a reverse proxy that serves it under a path of its own (the
calendar's ``http.public_url``) as on its own port.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta, tzinfo
from html import escape
from urllib.parse import urlencode

from maintd import __version__
from maintd.config.types import format_duration
from maintd.web.dashboard.style import STYLESHEET

HTML = "text/html; charset=utf-8"
SECONDS_FORMAT = "%Y-%m-%d %H:%M:%S"
POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
    "base-uri 'none'"
)
NOTHING = "—"


def text(value: object) -> str:
    """``value`` as HTML text (quotes escaped too, so it is safe in attributes as well)."""
    return escape(str(value), quote=True)


attribute = text


def link(href: str, label: str, css: str = "") -> str:
    """An ``<a>``: ``href`` is written by the dashboard (parameters already quoted), ``label``
    is escaped here."""
    classes = f' class="{attribute(css)}"' if css else ""
    return f'<a href="{attribute(href)}"{classes}>{text(label)}</a>'


def query(parameters: Mapping[str, str | int | None]) -> str:
    """``?a=1&b=2`` of the parameters that have a value; ``?`` alone for none (a link back
    to the page without filters)."""
    kept = {name: value for name, value in parameters.items() if value not in (None, "")}
    return "?" + urlencode(kept)


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], css: str = "") -> str:
    """A table of ``rows`` of cells already written as HTML, under escaped ``headers``."""
    head = "".join(f"<th>{text(header)}</th>" for header in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    classes = f' class="{css}"' if css else ""
    return f"<table{classes}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def facts(pairs: Iterable[tuple[str, str]]) -> str:
    """A two-column table: escaped names and values already written as HTML."""
    rows = "".join(f"<tr><th>{text(name)}</th><td>{value}</td></tr>" for name, value in pairs)
    return f'<table class="facts"><tbody>{rows}</tbody></table>'


def status_badge(status: str | None) -> str:
    """A status in its colour; a dash for none."""
    if not status:
        return NOTHING
    return f'<span class="badge s-{attribute(status)}">{text(status)}</span>'


def local_time(moment: datetime | None, zone: tzinfo) -> str:
    """``moment`` on the calendar's clock, to the second; a dash for None."""
    if moment is None:
        return NOTHING
    return moment.astimezone(zone).strftime(SECONDS_FORMAT)


def span(delta: timedelta) -> str:
    """A length of time the calendar's way, to the second under an hour and to the minute
    above (``45s``, ``12m30s``, ``3h12m``, ``2d4h``)."""
    seconds = abs(delta.total_seconds())
    step = 1 if seconds < 3600 else 60
    return format_duration(timedelta(seconds=round(seconds / step) * step))


def relative(moment: datetime, now: datetime) -> str:
    """``in 3h12m``, ``12m30s ago`` or ``now``."""
    delta = moment - now
    if abs(delta) < timedelta(seconds=1):
        return "now"
    return f"in {span(delta)}" if delta > timedelta(0) else f"{span(delta)} ago"


def when(moment: datetime | None, now: datetime, zone: tzinfo) -> str:
    """A local time with how far it is from now beside it (HTML); a dash for None."""
    if moment is None:
        return NOTHING
    return f'{text(local_time(moment, zone))} <span class="muted">({relative(moment, now)})</span>'


def page(  # noqa: PLR0913 - a page is its title, body, place, clock and refresh
    title: str, body: str, *, root: str, now: datetime, zone: tzinfo, refresh: int | None = None
) -> str:
    """A whole HTML document: ``title`` (escaped here) and ``body`` (HTML) with the header's
    links (``root``: the relative path back to the overview, ``./`` from it) and a footer
    saying when it was made. ``refresh``: seconds after which the browser reloads it."""
    reload = f'<meta http-equiv="refresh" content="{refresh}">' if refresh else ""
    reloads = f" · reloads every {refresh}s" if refresh else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{reload}<title>{text(title)} · maintd</title><style>{STYLESHEET}</style></head>"
        f'<body><header><a class="brand" href="{root}">maintd</a>'
        f'<a href="{root}">overview</a><a href="{root}metrics">metrics</a>'
        f'<a href="{root}healthz">health</a><a href="{root}readyz">readiness</a></header>'
        f"<main><h1>{text(title)}</h1>{body}</main>"
        f"<footer>maintd {text(__version__)} · made {text(local_time(now, zone))} "
        f"({text(str(zone))}){reloads}</footer></body></html>\n"
    )
