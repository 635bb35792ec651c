"""Write a large, realistic calendar for benchmarks: N hosts in groups, M tasks with a mix of
schedules (daily and weekly cron, hourly cron, `every`, `at`), windows, blackouts and holidays.

    python bench/generate_calendar.py OUT_DIR --tasks 10000 --hosts 1000

Deterministic for a given seed, so runs on different days compare.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import yaml

GROUP_SIZE = 20
SCHEDULE_MIX = [  # (weight, kind)
    (50, "daily"),
    (20, "weekly"),
    (10, "hourly"),
    (15, "every"),
    (5, "at"),
]


def schedule_for(kind: str, chooser: random.Random) -> dict[str, object]:
    minute, hour = chooser.randrange(60), chooser.randrange(24)
    if kind == "daily":
        return {"cron": f"{minute} {hour} * * *", "jitter": "10m"}
    if kind == "weekly":
        return {"cron": f"{minute} {hour} * * {chooser.choice(['sun', 'sat', 'mon-fri'])}"}
    if kind == "hourly":
        return {"cron": f"{minute} * * * *"}
    if kind == "every":
        return {"every": chooser.choice(["30m", "1h", "2h", "6h", "12h"])}
    return {"at": [f"{hour:02d}:{minute:02d}", f"{(hour + 12) % 24:02d}:{minute:02d}"]}


def build_calendar(
    tasks: int, hosts: int, seed: int = 7
) -> tuple[dict[str, object], list[dict[str, object]]]:
    """Return (site section, task list) of a generated calendar."""
    chooser = random.Random(seed)
    groups = max(1, hosts // GROUP_SIZE)
    host_section = {
        f"host{index:05d}": {
            "address": f"10.{index // 65536 % 256}.{index // 256 % 256}.{index % 256}",
            "groups": [f"group{index % groups:03d}"],
        }
        for index in range(hosts)
    }
    site = {
        "timezone": "Europe/Berlin",
        "hosts": host_section,
        "workdays": {"holidays": "DE"},
        "windows": {
            "nightly": {"cron": "0 1 * * *", "duration": "4h"},
            "weekend": {"days": ["sat", "sun"], "start": "22:00", "end": "06:00"},
            "office": {"days": ["workdays"], "start": "09:00", "end": "17:00"},
        },
        "blackouts": [
            {
                "name": "year-end-freeze",
                "from": "2026-12-20",
                "to": "2027-01-03",
                "applies_to": "disruptive",
            },
            {"name": "public-holidays", "holidays": "DE", "applies_to": "disruptive"},
        ],
        "severities": {"critical": {"respond": "15m", "resolve": "4h"}},
    }
    kinds = [kind for weight, kind in SCHEDULE_MIX for _ in range(weight)]
    host_names = list(host_section)
    task_list = []
    for index in range(tasks):
        kind = chooser.choice(kinds)
        schedule = schedule_for(kind, chooser)
        disruptive = kind in ("daily", "weekly") and chooser.random() < 0.3
        if disruptive:
            schedule["window"] = chooser.choice(["nightly", "weekend"])
        targets = (
            [f"group{chooser.randrange(groups):03d}"]
            if chooser.random() < 0.1
            else [chooser.choice(host_names)]
        )
        task_list.append(
            {
                "name": f"task{index:05d}",
                "check": chooser.choice(["disk_usage", "backup_files", "patch_scan", "memory"]),
                "hosts": targets,
                "schedule": schedule,
                "disruptive": disruptive,
                "params": {"path": "/", "warn": 80, "crit": 90},
            }
        )
    return site, task_list


def write_calendar(directory: Path, tasks: int, hosts: int, seed: int = 7) -> Path:
    """Write the calendar as site.yaml + tasks.yaml in ``directory``; return the directory."""
    directory.mkdir(parents=True, exist_ok=True)
    site, task_list = build_calendar(tasks, hosts, seed)
    (directory / "site.yaml").write_text(yaml.safe_dump(site, sort_keys=False), encoding="utf-8")
    (directory / "tasks.yaml").write_text(
        yaml.safe_dump({"tasks": task_list}, sort_keys=False, width=200), encoding="utf-8"
    )
    return directory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--tasks", type=int, default=10000)
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args()
    print(write_calendar(arguments.out, arguments.tasks, arguments.hosts, arguments.seed))


if __name__ == "__main__":
    main()
