"""The response desk's cost: one round over many open incidents.

    .venv/bin/python -m bench.response_desk [--incidents 100 1000 5000]

Each round reads every incident that needs attention, decides (SLA marks, escalation, holds,
news) and writes what changed. The desk runs every 10 s by default, so a round must stay far
below that with thousands of open incidents (a bad night on a large site). Measured on a
SQLite file with a calendar whose clocks are paused by a window and counted in business hours
(the slowest clocks): the first round (deadlines computed, every incident announced), then
quiet rounds (nothing new), median of 5.

For comparison in the same run, the baseline: reading the same rows with one SELECT and doing
nothing with them (the floor any desk that looks at every incident pays).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from maintd.config.model import Calendar
from maintd.plan import Planner
from maintd.respond.desk import ResponseDesk
from maintd.respond.notify import Message
from maintd.store import IncidentBook, SilenceBook, Step, open_store

CALENDAR = {
    "timezone": "Asia/Shanghai",
    "hosts": {f"h{index}": {"groups": ["databases"] if index % 2 else []} for index in range(500)},
    "windows": {"nightly": {"cron": "0 1 * * *", "duration": "4h", "pause": ["databases"]}},
    "workdays": {"days": ["mon", "tue", "wed", "thu", "fri"], "holidays": "CN",
                 "start": "09:00", "end": "18:00"},
    "severities": {"critical": {
        "respond": "15m", "resolve": "4h", "business_hours": True, "renotify": "1h",
        "escalate": [{"after": "0m", "notify": "oncall"}, {"after": "15m", "notify": "leads"}],
    }},
    "notify": {"oncall": ["json://127.0.0.1:9/a"], "leads": ["json://127.0.0.1:9/b"]},
}  # fmt: skip


def measure(count: int, directory: Path) -> dict[str, float]:
    ledger = open_store(str(directory / f"desk-{count}.db"))
    book = IncidentBook(ledger.engine)
    opened = datetime.now(UTC) - timedelta(days=3)  # clocks have run: every notice is due
    for index in range(count):
        book.open(
            kind="check", task=f"t{index % 20}", host=f"h{index % 500}", title="x",
            severity="critical", step=Step(opened, "opened", "CRITICAL", "CRITICAL"),
        )  # fmt: skip
    sent: list[Message] = []

    def send(message: Message) -> int:
        sent.append(message)
        return 1

    desk = ResponseDesk(book, SilenceBook(ledger.engine), send, lambda _text: None)
    calendar = Calendar.model_validate(CALENDAR)
    desk.configure(calendar, Planner(calendar))
    started = time.perf_counter()
    desk.tick()
    first = time.perf_counter() - started
    quiet = []
    for _ in range(5):
        started = time.perf_counter()
        desk.tick()
        quiet.append(time.perf_counter() - started)
    baseline = []
    for _ in range(5):
        started = time.perf_counter()
        book.needing_attention()
        baseline.append(time.perf_counter() - started)
    ledger.close()
    return {
        "first_s": first,
        "quiet_s": statistics.median(quiet),
        "select_s": statistics.median(baseline),
        "notices": len(sent),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, nargs="+", default=[100, 1000, 5000])
    arguments = parser.parse_args()
    print("| open incidents | first round | quiet round | bare SELECT | quiet / SELECT | notices |")
    print("|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as directory:
        for count in arguments.incidents:
            row = measure(count, Path(directory))
            print(
                f"| {count} | {row['first_s'] * 1000:.0f} ms | {row['quiet_s'] * 1000:.0f} ms | "
                f"{row['select_s'] * 1000:.0f} ms | {row['quiet_s'] / row['select_s']:.1f}× | "
                f"{row['notices']:.0f} |"
            )


if __name__ == "__main__":
    main()
