"""The overview's filters, from its query string: ``?task=`` (one task of the calendar),
``?host=`` (a host's name, or a shell-style pattern such as ``db*``, in any case),
``?status=`` (hosts with a result in that status) and ``?page=``. A value that cannot be one is
refused with why (a 400), never guessed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase

from maintd.status import Status
from maintd.web.dashboard.style import NO_RESULT

STATUSES = (*(status.value for status in Status), NO_RESULT)
MAX_TEXT = 200
MAX_PAGE = 100_000


@dataclass(frozen=True)
class Filters:
    """What the overview is narrowed to; the defaults show everything."""

    task: str | None = None
    host: str = ""
    status: str | None = None
    page: int = 1

    def as_query(self) -> dict[str, str | None]:
        """The filters as query parameters (the page left out at 1), for links that keep them."""
        return {
            "task": self.task,
            "host": self.host or None,
            "status": self.status,
            "page": str(self.page) if self.page > 1 else None,
        }

    def hosts_of(self, hosts: Collection[str]) -> list[str]:
        """Those of ``hosts`` the host filter keeps, in their order: a name matches itself
        alone (``db1`` is not ``db10``), ``*`` and ``?`` match as in a shell."""
        if not self.host:
            return list(hosts)
        pattern = self.host.casefold()
        return [host for host in hosts if fnmatchcase(host.casefold(), pattern)]


def parse_filters(query: Mapping[str, str], tasks: Collection[str]) -> Filters | str:
    """The filters of ``query`` (other parameters are ignored), or why they are malformed;
    ``tasks``: the calendar's."""
    task = query.get("task") or None
    if task is not None and task not in tasks:
        return f"task={task!r}: no such task in the calendar"
    host = query.get("host", "").strip()
    if len(host) > MAX_TEXT or not host.isprintable():
        return f"host=: expected at most {MAX_TEXT} printable characters"
    status = (query.get("status") or "").upper() or None
    if status is not None and status not in STATUSES:
        return f"status={status!r}: expected one of {', '.join(STATUSES)}"
    page_text = query.get("page") or "1"
    if not (page_text.isascii() and page_text.isdigit()) or not 1 <= int(page_text) <= MAX_PAGE:
        return f"page={page_text!r}: expected a whole number from 1 to {MAX_PAGE:,}"
    return Filters(task=task, host=host, status=status, page=int(page_text))
