"""disk_cleanup on real directories, and its header as maintd reads it.

The plugin runs over SSH as the plain test account, as a maintenance account would: each test
builds its directories in a directory of its own that the account owns (pytest's tmp_path lies
under a 0700 root directory the account cannot enter), so whatever the account may not delete
there is exactly what a test made root's. Refusals of system directories run with dry_run, so
that even a broken refusal deletes nothing.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from maintd.cli import cli
from maintd.plugins import load_catalog
from maintd.status import Status
from tests.checks.conftest import RunCheck
from tests.sshd import TEST_USER

DAY_S = 86400


@pytest.fixture
def work() -> Iterator[Path]:
    """A directory the test account owns, removed after the test."""
    directory = Path(tempfile.mkdtemp(prefix="maintd-cleanup-"))
    directory.chmod(0o755)
    give_to_test_account(directory)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def give_to_test_account(path: Path) -> Path:
    account = pwd.getpwnam(TEST_USER)
    os.lchown(path, account.pw_uid, account.pw_gid)
    return path


def aged(path: Path, days: float, size: int = 5000) -> Path:
    """A file of ``size`` bytes last modified ``days`` ago, owned by the test account (its
    directories too, up to the one that exists)."""
    missing = [parent for parent in path.parents if not parent.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    for directory in missing:
        directory.chmod(0o755)
        give_to_test_account(directory)
    path.write_bytes(os.urandom(size))
    give_to_test_account(path)
    moment = time.time() - days * DAY_S
    os.utime(path, (moment, moment))
    return path


def on_disk(*paths: Path) -> int:
    """The space the files hold, as the plugin counts what it frees."""
    return sum(path.stat().st_blocks * 512 for path in paths)


def names(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


# ---------------------------------------------------------------- what goes and what stays


def test_old_matching_files_go_and_young_or_other_files_stay(
    run_check: RunCheck, work: Path
) -> None:
    old = [aged(work / "a.log", 10), aged(work / "b.log", 8, size=300_000)]
    aged(work / "young.log", 2)
    aged(work / "old.txt", 30)
    freed = on_disk(*old)

    checked = run_check("disk_cleanup", {"paths": [str(work)], "pattern": "*.log"})

    assert checked.status == Status.OK, checked
    assert names(work) == ["old.txt", "young.log"]
    assert checked.summary.startswith("CLEANUP OK - removed 2 files, freed ")
    assert checked.summary.endswith(f" KiB from {work}")
    assert checked.perfdata["files_removed"].value == 2
    assert checked.perfdata["freed_bytes"].value == freed
    assert checked.perfdata["freed_bytes"].unit == "B"
    assert checked.perfdata["errors"].value == 0
    assert f"{work}: removed 2 files" in checked.long_output
    assert "1 too young, 1 not matching" in checked.long_output


def test_older_than_counts_days_and_takes_fractions(run_check: RunCheck, work: Path) -> None:
    aged(work / "a", 0.75)
    aged(work / "b", 0.25)
    checked = run_check("disk_cleanup", {"paths": [str(work)], "older_than": 0.5})
    assert checked.status == Status.OK, checked
    assert names(work) == ["b"]


def test_a_dry_run_deletes_nothing_and_says_what_would_go(run_check: RunCheck, work: Path) -> None:
    aged(work / "a.tmp", 10)
    aged(work / "b.tmp", 10)
    aged(work / "c.tmp", 1)

    checked = run_check("disk_cleanup", {"paths": [str(work)], "dry_run": True})

    assert checked.status == Status.OK, checked
    assert names(work) == ["a.tmp", "b.tmp", "c.tmp"]
    assert "dry run: would remove 2 files, would free" in checked.summary
    assert f"{work}: would remove 2 files" in checked.long_output
    # Nothing was removed: the measurements say so, whatever the text foresees.
    assert checked.perfdata["files_removed"].value == 0
    assert checked.perfdata["freed_bytes"].value == 0


def test_lock_and_pid_files_stay_however_old(run_check: RunCheck, work: Path) -> None:
    for name in ("app.lock", "daemon.pid", "data.old"):
        aged(work / name, 400)
    checked = run_check("disk_cleanup", {"paths": [str(work)]})
    assert checked.status == Status.OK, checked
    assert names(work) == ["app.lock", "daemon.pid"]
    assert "2 .lock/.pid" in checked.long_output


def test_symbolic_links_are_neither_followed_nor_deleted(run_check: RunCheck, work: Path) -> None:
    elsewhere = work / "elsewhere"
    target_file = aged(elsewhere / "precious.dat", 100)
    target_dir_file = aged(elsewhere / "tree" / "deep.dat", 100)
    cleaned = work / "cleaned"
    cleaned.mkdir()
    give_to_test_account(cleaned)
    links = [cleaned / "file-link", cleaned / "dir-link"]
    links[0].symlink_to(target_file)
    links[1].symlink_to(target_dir_file.parent, target_is_directory=True)
    moment = time.time() - 100 * DAY_S
    for link in links:
        give_to_test_account(link)
        os.utime(link, (moment, moment), follow_symlinks=False)  # old links, too

    checked = run_check("disk_cleanup", {"paths": [str(cleaned)], "recursive": True})

    assert checked.status == Status.OK, checked
    assert target_file.exists() and target_dir_file.exists()
    assert all(link.is_symlink() for link in links)
    assert checked.perfdata["files_removed"].value == 0
    assert "2 symbolic links" in checked.long_output


def test_a_given_path_that_is_a_symbolic_link_is_not_followed(
    run_check: RunCheck, work: Path
) -> None:
    real = work / "real"
    kept = aged(real / "old.dat", 100)
    link = work / "link"
    link.symlink_to(real, target_is_directory=True)

    checked = run_check("disk_cleanup", {"paths": [str(link)]})

    assert checked.status == Status.WARNING, checked
    assert kept.exists()
    assert f"{link} is a symbolic link, not followed" in checked.summary


def test_recursive_reaches_subdirectories_and_leaves_the_directories(
    run_check: RunCheck, work: Path
) -> None:
    top = aged(work / "top.log", 10)
    deep = aged(work / "sub" / "deeper" / "deep.log", 10)

    flat = run_check("disk_cleanup", {"paths": [str(work)]})
    assert flat.status == Status.OK, flat
    assert not top.exists() and deep.exists()

    walked = run_check("disk_cleanup", {"paths": [str(work)], "recursive": True})
    assert walked.status == Status.OK, walked
    assert not deep.exists()
    assert deep.parent.is_dir(), "directories are never deleted"
    assert walked.perfdata["files_removed"].value == 1


@pytest.fixture
def mounted(work: Path) -> Iterator[Path]:
    """A small tmpfs mounted at work/mnt (unmounted before work is removed)."""
    mount_point = work / "mnt"
    mount_point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=755", "maintd-test", str(mount_point)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        give_to_test_account(mount_point)
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


def test_a_recursive_walk_stays_on_its_filesystem(run_check: RunCheck, mounted: Path) -> None:
    work = mounted.parent
    beside = aged(work / "sub" / "old.dat", 10)
    beneath = aged(mounted / "old.dat", 10)

    checked = run_check("disk_cleanup", {"paths": [str(work)], "recursive": True})

    assert checked.status == Status.OK, checked
    assert not beside.exists()
    assert beneath.exists(), "a file on the filesystem mounted below was deleted"
    assert "kept 1 mount point" in checked.long_output


# ---------------------------------------------------------------- limits and problems


def test_max_delete_removes_the_oldest_and_stops_with_a_warning(
    run_check: RunCheck, work: Path
) -> None:
    for days in range(10, 15):
        aged(work / f"day-{days}", days)

    checked = run_check("disk_cleanup", {"paths": [str(work)], "max_delete": 3})

    assert checked.status == Status.WARNING, checked
    assert names(work) == ["day-10", "day-11"]
    assert "stopped at max_delete 3: more files were due" in checked.summary
    assert checked.perfdata["files_removed"].value == 3


def test_max_delete_reached_exactly_is_no_warning(run_check: RunCheck, work: Path) -> None:
    for name in ("a", "b"):
        aged(work / name, 10)
    checked = run_check("disk_cleanup", {"paths": [str(work)], "max_delete": 2})
    assert checked.status == Status.OK, checked
    assert names(work) == []


def test_a_missing_path_is_skipped_with_a_note(run_check: RunCheck, work: Path) -> None:
    aged(work / "old", 10)
    missing = work / "not-here"

    checked = run_check("disk_cleanup", {"paths": [str(missing), str(work)]})

    assert checked.status == Status.OK, checked
    assert names(work) == []
    assert f"{missing} does not exist (skipped)" in checked.summary
    assert checked.perfdata["files_removed"].value == 1


def test_files_that_cannot_be_deleted_are_counted_and_warned_about(
    run_check: RunCheck, work: Path
) -> None:
    """A directory of root's the test account may read but not change, and one it may not
    read: each costs an error, the rest is still cleaned."""
    deletable = aged(work / "free" / "old.dat", 10)
    guarded = work / "guarded"
    guarded.mkdir(mode=0o755)
    stuck = guarded / "old.dat"
    stuck.write_bytes(b"root's")
    moment = time.time() - 10 * DAY_S
    os.utime(stuck, (moment, moment))
    closed = work / "closed"
    closed.mkdir(mode=0o700)

    checked = run_check("disk_cleanup", {"paths": [str(work)], "recursive": True})

    assert checked.status == Status.WARNING, checked
    assert not deletable.exists() and stuck.exists()
    assert checked.perfdata["errors"].value == 2
    assert checked.perfdata["files_removed"].value == 1
    assert "2 errors, first" in checked.summary and "Permission denied" in checked.summary
    assert f"error: {stuck}: Permission denied" in checked.long_output
    assert f"error: {closed}: Permission denied" in checked.long_output


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("/", "refusing to clean /: a system directory"),
        ("/etc", "refusing to clean /etc: it is in the system tree /etc"),
        ("//etc/", "refusing to clean /etc"),
        ("/usr/lib", "refusing to clean /usr/lib: it is in the system tree /usr"),
        ("/var/tmp/../..", "refusing to clean /: a system directory"),
        ("/var", "refusing to clean /var: a system directory"),
        ("var/tmp", "paths must be absolute: var/tmp"),
    ],
)
def test_the_root_and_system_directories_are_refused(
    run_check: RunCheck, work: Path, path: str, why: str
) -> None:
    aged(work / "old", 10)  # a good path beside: nothing at all is done
    params = {"paths": [str(work), path], "dry_run": True, "older_than": 0}
    checked = run_check("disk_cleanup", params)
    assert checked.status == Status.UNKNOWN, checked
    assert checked.exit_code == 3
    assert why in checked.summary
    assert names(work) == ["old"]


def test_a_symbolic_link_into_a_system_directory_is_refused(
    run_check: RunCheck, work: Path
) -> None:
    (work / "config").symlink_to("/etc", target_is_directory=True)
    checked = run_check("disk_cleanup", {"paths": [str(work / "config" / "ssl")], "dry_run": True})
    assert checked.status == Status.UNKNOWN, checked
    assert "refusing to clean /etc/ssl: it is in the system tree /etc" in checked.summary


@pytest.mark.parametrize(
    ("params", "why"),
    [
        ({"pattern": "logs/*.gz"}, "parameter pattern matches file names, so holds no '/'"),
        ({"max_delete": 0}, "parameter max_delete must be at least 1"),
        ({"older_than": -1}, "parameter older_than is negative"),
    ],
)
def test_bad_parameters_are_unknown(
    run_check: RunCheck, work: Path, params: dict[str, object], why: str
) -> None:
    checked = run_check("disk_cleanup", {"paths": [str(work)], **params})
    assert checked.status == Status.UNKNOWN, checked
    assert why in checked.summary


# ---------------------------------------------------------------- the header in maintd


def test_the_catalog_reads_its_header_as_a_plugin_that_changes_the_host() -> None:
    plugin = load_catalog([]).get("disk_cleanup")
    assert plugin is not None
    spec = plugin.spec
    assert spec.disruptive is True
    assert spec.perfdata == ["files_removed", "freed_bytes", "errors"]
    assert spec.params["paths"].type == "list" and spec.params["paths"].required
    defaults = {name: declared.default for name, declared in spec.params.items()}
    assert defaults == {
        "paths": None, "pattern": "*", "older_than": 7, "recursive": False, "dry_run": False,
        "max_delete": 10000,
    }  # fmt: skip
    assert plugin.interpreter == ("/usr/bin/env", "python3")


PREVENTING = """
timezone: UTC
hosts:
  self: {{transport: local}}
tasks:
  - name: disk
    check: disk_usage
    hosts: [self]
    schedule: {{every: 5m}}
    params: {{path: /}}
    predict:
      metric: used_pct
      reaches: 95
      within: 14d
      prevent: {{check: disk_cleanup, params: {prevent}}}
"""


def validate(path: Path) -> Result:
    return CliRunner().invoke(cli, ["validate", str(path)])


def test_a_calendar_preventing_a_full_disk_with_it_validates(tmp_path: Path) -> None:
    path = tmp_path / "calendar.yaml"
    params = "{paths: [/var/tmp, /srv/app/cache], pattern: '*.tmp', older_than: 2.5}"
    path.write_text(PREVENTING.format(prevent=params))
    result = validate(path)
    assert result.exit_code == 0, result.output


def test_its_parameters_are_checked_against_the_header(tmp_path: Path) -> None:
    path = tmp_path / "calendar.yaml"
    path.write_text(PREVENTING.format(prevent="{paths: /var/tmp, age: 3, recursive: 'yes'}"))
    result = validate(path)
    assert result.exit_code == 2
    assert "tasks[0].predict.prevent.params.paths" in result.output
    assert "expected list" in result.output
    assert "disk_cleanup has no parameter 'age'" in result.output
    assert "expected bool" in result.output


def test_maintd_check_runs_it_only_with_force(tmp_path: Path) -> None:
    cleaned = tmp_path / "cleaned"
    old = aged(cleaned / "old.tmp", 10)
    path = tmp_path / "calendar.yaml"
    path.write_text(
        "timezone: UTC\nhosts:\n  self: {transport: local}\ntasks:\n"
        "  - {name: cleanup, check: disk_cleanup, hosts: [self], schedule: {every: 1d},"
        f" params: {{paths: [{cleaned}]}}}}\n"
    )
    environment = {"MAINTD_CONFIG": str(path)}

    refused = CliRunner().invoke(cli, ["check", "cleanup"], env=environment)
    assert refused.exit_code == 2
    assert "cleanup runs disk_cleanup, which changes the host" in refused.output
    assert old.exists()

    forced = CliRunner().invoke(cli, ["check", "cleanup", "--force"], env=environment)
    assert forced.exit_code == 0, forced.output
    assert not old.exists()
    assert "removed 1 file" in forced.output
