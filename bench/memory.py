"""Where the daemon's resident memory goes: what each library costs to import, and the idle
10,000-job daemon of bench.daemon_scale by mapping. (apprise and its plugins are loaded at the
first delivery since they cost 16-18 MB: the "+ apprise plugins" row shows what that adds.)

    .venv/bin/python -m bench.memory [--jobs 10000] [--hosts 1000] [--seconds 15]

Each import is measured in a fresh interpreter (RSS after the import minus RSS before it), so
the figures do not depend on the order; libraries share dependencies (cryptography, for one),
so the rows do not add up.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.daemon_scale import idle_calendar, run_idle
from bench.procstat import smaps_by_mapping

IMPORTS = [
    "yaml", "pydantic", "apscheduler", "sqlalchemy", "alembic", "paramiko", "apprise",
    "maintd.config", "maintd.store", "maintd.execute", "maintd.service",
]  # fmt: skip
# The modules and memory the first delivery adds by importing apprise and all its plugins.
APPRISE_PLUGINS = "from maintd.respond.notify import _apprise; _apprise()"
PROBE = """
import sys, warnings
warnings.simplefilter("ignore")
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
before, modules = rss(), len(sys.modules)
{prelude}
middle, loaded = rss(), len(sys.modules)
exec({statement!r})
print(rss() - middle, len(sys.modules) - loaded, before)
"""
LAUNCHERS = {"maintd run": ("-m", "maintd")}
TOP_MAPPINGS = 6


def import_cost(statement: str, prelude: str = "") -> tuple[float, int]:
    """MB and modules that ``statement`` adds in a fresh interpreter after ``prelude``."""
    script = PROBE.format(prelude=prelude, statement=statement)
    output = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    return int(output[0]) / 1024, int(output[1])


def print_imports() -> None:
    print("import cost in a fresh interpreter (RSS added, modules added)")
    for module in IMPORTS:
        megabytes, modules = import_cost(f"import {module}")
        print(f"  {module:<18} {megabytes:6.1f} MB  {modules:4d} modules")
    megabytes, modules = import_cost(APPRISE_PLUGINS, prelude="import maintd.service")
    print(f"  {'+ apprise plugins':<18} {megabytes:6.1f} MB  {modules:4d} modules "
          "(the first delivery, after import maintd.service)")  # fmt: skip


def print_idle(jobs: int, hosts: int, seconds: float) -> None:
    print(f"idle maintd run, {jobs} daily jobs on {hosts} hosts, RSS and its largest mappings")
    for label, launcher in LAUNCHERS.items():
        with tempfile.TemporaryDirectory() as scratch:
            directory = Path(scratch)
            calendar = idle_calendar(jobs, hosts, directory)
            for start in ("new database", "restart"):
                rss_mb, mappings = idle_mappings(calendar, directory, seconds, launcher)
                largest = sorted(mappings.items(), key=lambda item: -item[1])[:TOP_MAPPINGS]
                shown = ", ".join(f"{name} {kb / 1024:.1f}" for name, kb in largest)
                print(f"  {label}, {start}: RSS {rss_mb:.0f} MB ({shown} MB)")


def idle_mappings(
    calendar: Path, directory: Path, seconds: float, launcher: tuple[str, ...]
) -> tuple[float, dict[str, int]]:
    """The idle daemon's RSS (MB) and its resident kB by mapping, read at the same moment."""
    mappings: dict[str, int] = {}
    _, _, rss_mb = run_idle(
        calendar, directory, seconds, launcher, lambda pid: mappings.update(smaps_by_mapping(pid))
    )
    return rss_mb, mappings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10000)
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=15.0)
    arguments = parser.parse_args()
    print_imports()
    print_idle(arguments.jobs, arguments.hosts, arguments.seconds)


if __name__ == "__main__":
    main()
