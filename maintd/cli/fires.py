"""Fires as people and scripts read them: table rows and JSON objects.

A month's plan of a large site is hundreds of thousands of fires sharing a few thousand
instants, names and reasons, so each of those is formatted once and reused.
"""

from __future__ import annotations

import json
from datetime import datetime, tzinfo
from typing import Any

from maintd.plan import Fire


class FireFormatter:
    """Formats fires of one calendar zone; keeps what it formatted for the next fire."""

    def __init__(self, zone: tzinfo) -> None:
        self.zone = zone
        self._times: dict[datetime, tuple[str, str]] = {}
        self._quoted: dict[str | None, str] = {}

    def times(self, instant: datetime) -> tuple[str, str]:
        """Return (local time with its offset, UTC time) in ISO-8601."""
        known = self._times.get(instant)
        if known is None:
            known = (instant.astimezone(self.zone).isoformat(), instant.isoformat())
            self._times[instant] = known
        return known

    def as_dict(self, fire: Fire) -> dict[str, Any]:
        """The documented JSON object of a fire: task, host, at, utc, runs, reason."""
        local, utc = self.times(fire.at)
        return {
            "task": fire.task,
            "host": fire.host,
            "at": local,
            "utc": utc,
            "runs": fire.runs,
            "reason": fire.reason,
        }

    def as_json(self, fire: Fire) -> str:
        """``as_dict`` already encoded: the same text ``json.dumps`` writes, without its cost."""
        local, utc = self.times(fire.at)
        return (
            f'{{"task": {self._quote(fire.task)}, "host": {self._quote(fire.host)}, '
            f'"at": "{local}", "utc": "{utc}", "runs": {"true" if fire.runs else "false"}, '
            f'"reason": {self._quote(fire.reason)}}}'
        )

    def as_row(self, fire: Fire) -> list[str]:
        """A table row: local time, UTC (Z), task, host, runs yes/no, reason."""
        local, utc = self.times(fire.at)
        return [
            local,
            utc.replace("+00:00", "Z"),
            fire.task,
            fire.host,
            "yes" if fire.runs else "no",
            fire.reason or "",
        ]

    def _quote(self, text: str | None) -> str:
        quoted = self._quoted.get(text)
        if quoted is None:
            quoted = json.dumps(text, ensure_ascii=False)
            self._quoted[text] = quoted
        return quoted
