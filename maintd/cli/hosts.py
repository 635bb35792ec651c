"""`maintd hosts check` and `maintd hosts trust HOST`."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import click

from maintd.cli.options import config_option, format_option, resolve_calendar_path
from maintd.cli.output import print_json, print_table
from maintd.errors import MaintdError, UsageError
from maintd.execute import ExecRequest, Runner
from maintd.execute.hostkeys import KnownHosts, describe_key
from maintd.execute.ssh import HostUnreachable
from maintd.plugins.loading import load_checked
from maintd.status import Status, exit_code_for, worst

PROBE_TIMEOUT_SECONDS = 15.0


@click.group()
def hosts() -> None:
    """Reachability and host keys of the calendar's hosts."""


@hosts.command("check")
@click.option("--host", "names", multiple=True, help="Only this host (repeatable).")
@config_option
@format_option
def check_hosts(*, names: tuple[str, ...], config_path: Path | None, output_format: str) -> None:
    """Connect to every host (host key verified, logged in, `true` run) and report."""
    loaded, catalog = load_checked(resolve_calendar_path(None, config_path))
    chosen = list(names) or list(loaded.calendar.hosts)
    unknown = [name for name in chosen if name not in loaded.calendar.hosts]
    if unknown:
        raise UsageError(f"--host: no host named {unknown[0]!r} in the calendar")
    runner = Runner(loaded.calendar, catalog)
    try:
        with ThreadPoolExecutor(max_workers=min(32, len(chosen) or 1)) as pool:
            reports = list(pool.map(lambda name: _probe(runner, name), chosen))
    finally:
        runner.close()
    if output_format == "json":
        print_json(reports)
    else:
        rows = [
            [r["host"], r["address"], r["status"], f"{r['duration']:.3f}s", r["detail"]]
            for r in reports
        ]
        print_table(["HOST", "ADDRESS", "STATUS", "TIME", "DETAIL"], rows)
    raise SystemExit(exit_code_for(worst([Status(report["status"]) for report in reports])))


def _probe(runner: Runner, name: str) -> dict[str, Any]:
    target = runner.targets[name]
    raw = runner.transport_for(name).run(ExecRequest(name, "true", b"", PROBE_TIMEOUT_SECONDS))
    status = raw.failure or (Status.OK if raw.exit_code == 0 else Status.ERROR)
    detail = raw.reason or (
        "reachable, host key verified" if target.transport == "ssh" else "local"
    )
    if status == Status.ERROR and not raw.reason:
        detail = f"`true` exited {raw.exit_code}: {raw.stderr.decode(errors='replace').strip()}"
    address = "local" if target.transport == "local" else f"{target.address}:{target.port}"
    return {
        "host": name,
        "address": address,
        "status": status.value,
        "duration": round(raw.duration, 6),
        "detail": detail,
    }


@hosts.command("trust")
@click.argument("name", metavar="HOST")
@click.option("--yes", is_flag=True, help="Record the key without asking (for scripts).")
@config_option
def trust(*, name: str, yes: bool, config_path: Path | None) -> None:
    """Show HOST's SSH key fingerprint and record it in known_hosts once confirmed."""
    loaded, catalog = load_checked(resolve_calendar_path(None, config_path))
    if name not in loaded.calendar.hosts:
        raise UsageError(f"no host named {name!r} in the calendar")
    runner = Runner(loaded.calendar, catalog)
    target = runner.targets[name]
    if target.transport != "ssh":
        raise UsageError(f"{name} is a local host: it has no SSH key to trust")
    try:
        key_name, key = runner.ssh.fetch_host_key(name)
    except HostUnreachable as error:
        raise MaintdError(f"{name}: {error.reason}") from None
    finally:
        runner.close()
    known = KnownHosts.load(target.known_hosts)
    recorded = known.lookup(key_name)
    if key in recorded:
        click.echo(f"{key_name} is already trusted: {describe_key(key)}")
        return
    if recorded:
        raise MaintdError(
            f"{key_name} offers {describe_key(key)} but {target.known_hosts} holds another key "
            f"for it ({', '.join(describe_key(old) for old in recorded)}). If the host was "
            f"reinstalled, remove the old line first (ssh-keygen -R '{key_name}' -f "
            f"{target.known_hosts}); maintd never replaces a host key by itself."
        )
    click.echo(f"{key_name} offers {describe_key(key)}")
    if not yes and not click.confirm("Trust this key?", default=False):
        raise MaintdError("not trusted")
    known.add(key_name, key)
    click.echo(f"recorded in {target.known_hosts}")
