"""backup_files and backup_freshness on real directories.

backup_files runs over SSH as the plain test account, so permissions count: each test builds
its sources and destination in a directory of its own (pytest's tmp_path lies under a 0700
root directory the account cannot enter) and removes it afterwards.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from maintd.status import Status
from tests.checks.conftest import RunCheck
from tests.sshd import TEST_USER

MIB = 1048576
STAMP = "[0-9]" * 8 + "T" + "[0-9]" * 6 + "Z"


@pytest.fixture
def work() -> Iterator[Path]:
    """A directory the test account can enter, removed after the test."""
    directory = Path(tempfile.mkdtemp(prefix="maintd-backups-"))
    directory.chmod(0o755)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def give_to_test_account(path: Path) -> Path:
    account = pwd.getpwnam(TEST_USER)
    os.chown(path, account.pw_uid, account.pw_gid)
    return path


def make_tree(root: Path) -> dict[str, bytes]:
    """Source files readable by everyone; returns {path relative to root: content}."""
    files = {
        "a.txt": b"alpha\n",
        "sub/b.txt": b"beta\n" * 100,
        "sub/deeper/c.bin": os.urandom(5000),
    }
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return files


def default_name(*paths: Path) -> str:
    """backup_files' name when the task gives none: the basename of the alphabetically first
    path and 8 hex digits of the SHA-256 of the host name and the sorted paths (the SSH host
    is this machine)."""
    ordered = sorted({str(path) for path in paths})
    key = "".join(f"{line}\n" for line in [os.uname().nodename, *ordered]).encode()
    return f"{Path(ordered[0]).name}-{hashlib.sha256(key).hexdigest()[:8]}"


def archives(dest: Path, name: str) -> list[Path]:
    return sorted(dest.glob(f"{name}-{STAMP}.tar.gz"))


def listing(archive: Path) -> list[str]:
    done = subprocess.run(
        ["tar", "-tzf", str(archive)], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.splitlines()


# ---------------------------------------------------------------- backup_files


def test_an_archive_and_its_manifest_are_written_and_verify(
    run_check: RunCheck, work: Path
) -> None:
    source = work / "src"
    files = make_tree(source)
    single = work / "single.conf"
    single.write_text("x = 1\n")
    single.chmod(0o644)
    parent = work / "backups"
    parent.mkdir()
    give_to_test_account(parent)
    dest = parent / "files"  # made by the plugin

    checked = run_check("backup_files", {"paths": [str(source), str(single)], "dest": str(dest)})

    assert checked.status == Status.OK, checked
    [archive] = archives(dest, default_name(source, single))
    assert archive.name.startswith("single.conf-"), "the alphabetically first path's basename"
    manifest = Path(f"{archive}.sha256")
    assert sorted(path.name for path in dest.iterdir()) == [archive.name, manifest.name]
    assert f"{archive}," in checked.summary and "verified" in checked.summary

    members = listing(archive)
    stored = str(source).lstrip("/")
    for name in files:
        assert f"{stored}/{name}" in members
    assert str(single).lstrip("/") in members
    assert checked.perfdata["backup_files"].value == len(members)
    assert checked.perfdata["backup_size_bytes"].value == archive.stat().st_size
    assert checked.perfdata["backup_duration_s"].value >= 0

    # The manifest checks from dest, and the content comes back byte for byte.
    subprocess.run(["sha256sum", "-c", manifest.name], cwd=dest, check=True, capture_output=True)
    content = subprocess.run(
        ["tar", "-xzOf", str(archive), f"{stored}/sub/deeper/c.bin"],
        capture_output=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    assert content == files["sub/deeper/c.bin"]
    # Owner-only: an archive of /etc holds secrets.
    assert archive.stat().st_mode & 0o777 == 0o600
    assert archive.stat().st_uid == pwd.getpwnam(TEST_USER).pw_uid


def test_retention_keeps_the_newest_and_removes_the_oldest_with_their_manifests(
    run_check: RunCheck, work: Path
) -> None:
    source = work / "src"
    make_tree(source)
    dest = work / "dest"
    dest.mkdir()
    give_to_test_account(dest)
    name = default_name(source)
    older = [f"{name}-2024010{day}T020000Z.tar.gz" for day in (1, 2, 3)]
    for archive in older:
        (dest / archive).write_bytes(b"old")
        (dest / f"{archive}.sha256").write_text(f"0  {archive}\n")
    # Not this task's names (another task's, an older version's default): never touched.
    bystanders = [
        "other-20230101T000000Z.tar.gz",
        "files-20230101T000000Z.tar.gz",
        f"{name}-manual.tar.gz",
        "notes.txt",
    ]
    for bystander in bystanders:
        (dest / bystander).write_text("keep me")

    checked = run_check("backup_files", {"paths": [str(source)], "dest": str(dest), "keep": 2})

    assert checked.status == Status.OK, checked
    assert "2 kept, 2 pruned" in checked.summary
    kept = archives(dest, name)
    assert [path.name for path in kept][0] == older[2]
    assert len(kept) == 2
    for archive in older[:2]:
        assert not (dest / archive).exists() and not (dest / f"{archive}.sha256").exists()
    assert (dest / f"{older[2]}.sha256").exists()
    for bystander in bystanders:
        assert (dest / bystander).exists()


def test_tasks_without_a_name_keep_their_own_archives_in_a_shared_dest(
    run_check: RunCheck, work: Path
) -> None:
    """Two tasks archiving different paths into one dest with keep 1, neither naming its
    archives: each run's retention must leave the other task's only archive alone."""
    first, second = work / "one" / "conf", work / "two" / "conf"
    for source in (first, second):
        make_tree(source)
    dest = work / "dest"
    dest.mkdir()
    give_to_test_account(dest)
    for source in (first, second, first):
        checked = run_check("backup_files", {"paths": [str(source)], "dest": str(dest), "keep": 1})
        assert checked.status == Status.OK, checked
    names = {default_name(first), default_name(second)}
    assert len(names) == 2 and all(name.startswith("conf-") for name in names), names
    for name in names:
        assert len(archives(dest, name)) == 1, sorted(path.name for path in dest.iterdir())
    assert len(list(dest.iterdir())) == 4  # two archives, two manifests


def test_an_explicit_name_names_the_archives_as_before(run_check: RunCheck, work: Path) -> None:
    source = work / "src"
    make_tree(source)
    dest = work / "dest"
    dest.mkdir()
    give_to_test_account(dest)
    (dest / "files-20240101T000000Z.tar.gz").write_bytes(b"old")  # its own, to prune
    checked = run_check(
        "backup_files",
        {"paths": [str(source)], "dest": str(dest), "keep": 1, "name": "files"},
    )
    assert checked.status == Status.OK, checked
    [archive] = archives(dest, "files")
    assert sorted(path.name for path in dest.iterdir()) == [archive.name, f"{archive.name}.sha256"]


def test_an_unreadable_source_is_critical_and_leaves_no_archive(
    run_check: RunCheck, work: Path
) -> None:
    source = work / "src"
    make_tree(source)
    (source / "secret.key").write_text("root only")
    (source / "secret.key").chmod(0o600)  # root's: the test account cannot read it
    dest = work / "dest"
    dest.mkdir()
    give_to_test_account(dest)

    checked = run_check("backup_files", {"paths": [str(source)], "dest": str(dest)})

    assert checked.status == Status.CRITICAL, checked
    assert "tar failed" in checked.summary
    assert "secret.key: Cannot open: Permission denied" in checked.summary
    assert list(dest.iterdir()) == []  # neither an archive nor the staging directory


def test_a_destination_inside_a_source_is_left_out_of_the_archive(
    run_check: RunCheck, work: Path
) -> None:
    source = work / "tree"
    make_tree(source)
    dest = source / "backups"
    dest.mkdir()
    give_to_test_account(dest)
    earlier = dest / f"{default_name(source)}-20240101T000000Z.tar.gz"
    earlier.write_bytes(b"an earlier archive")

    checked = run_check("backup_files", {"paths": [str(source)], "dest": str(dest)})

    assert checked.status == Status.OK, checked
    newest = archives(dest, default_name(source))[-1]
    members = listing(newest)
    assert f"{str(source).lstrip('/')}/a.txt" in members
    assert not [member for member in members if "/backups" in member], members


def test_a_destination_it_cannot_create_is_critical_with_the_reason(
    run_check: RunCheck, work: Path
) -> None:
    source = work / "src"
    make_tree(source)
    checked = run_check("backup_files", {"paths": [str(source)], "dest": str(work / "dest")})
    assert checked.status == Status.CRITICAL, checked
    assert checked.summary.endswith(f"cannot create {work}/dest: Permission denied")


def test_a_missing_source_is_critical(run_check: RunCheck, work: Path) -> None:
    dest = work / "dest"
    dest.mkdir()
    give_to_test_account(dest)
    checked = run_check("backup_files", {"paths": [str(work / "gone")], "dest": str(dest)})
    assert checked.status == Status.CRITICAL, checked
    assert f"path {work}/gone does not exist" in checked.summary
    assert list(dest.iterdir()) == []


def test_a_relative_path_is_unknown(run_check: RunCheck, work: Path) -> None:
    checked = run_check("backup_files", {"paths": ["etc"], "dest": str(work / "dest")})
    assert checked.status == Status.UNKNOWN, checked
    assert "path 'etc' is not absolute" in checked.summary


def test_a_file_growing_while_read_gives_a_warning(run_check: RunCheck, work: Path) -> None:
    """GNU tar exits 1 with "file changed as we read it" when a file's size or times change
    between its stat and the end of its read. A 40 MiB file appended to every few ms is still
    being read (and gzipped) when the next append lands."""
    source = work / "src"
    source.mkdir()
    growing = source / "growing.log"
    growing.write_bytes(os.urandom(40 * MIB))
    growing.chmod(0o644)
    source.chmod(0o755)
    dest = work / "dest"
    dest.mkdir()
    give_to_test_account(dest)

    stop = threading.Event()

    def append() -> None:
        with growing.open("ab", buffering=0) as handle:
            while not stop.is_set():
                handle.write(b"line\n")
                time.sleep(0.002)

    writer = threading.Thread(target=append)
    writer.start()
    try:
        checked = run_check("backup_files", {"paths": [str(source)], "dest": str(dest)})
    finally:
        stop.set()
        writer.join()

    assert checked.status == Status.WARNING, checked
    assert "file changed as we read it" in checked.summary
    [archive] = archives(dest, default_name(source))  # a warning still leaves a verified one
    assert "verified" in checked.summary
    assert Path(f"{archive}.sha256").exists()


@contextlib.contextmanager
def tiny_tmpfs(mount_point: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` owned by the test account, unmounted afterwards."""
    mount_point.mkdir()
    account = pwd.getpwnam(TEST_USER)
    options = f"size={size},mode=0700,uid={account.pw_uid},gid={account.pw_gid}"
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "maintd-test", str(mount_point)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True, capture_output=True)


def test_a_full_destination_is_critical_and_leaves_nothing(run_check: RunCheck, work: Path) -> None:
    source = work / "src"
    source.mkdir()
    (source / "noise.bin").write_bytes(os.urandom(2 * MIB))  # random data does not compress
    (source / "noise.bin").chmod(0o644)
    with tiny_tmpfs(work / "dest", "256k") as dest:
        checked = run_check("backup_files", {"paths": [str(source)], "dest": str(dest)})
        left = sorted(path.name for path in dest.iterdir())

    assert checked.status == Status.CRITICAL, checked
    assert "No space left on device" in checked.summary
    assert left == []  # no partial archive, manifest or staging directory


# ------------------------------------------------------------ backup_freshness


@pytest.fixture
def backups(tmp_path: Path) -> Path:
    """An empty directory for backup files (backups itself holds the harness's calendars)."""
    directory = tmp_path / "backups"
    directory.mkdir()
    return directory


def backup_file(directory: Path, name: str, *, age_s: float, size: int) -> Path:
    path = directory / name
    with path.open("wb") as handle:
        handle.truncate(size)  # sparse: the apparent size is what the plugin reads
    when = time.time() - age_s
    os.utime(path, (when, when))
    return path


def test_a_fresh_backup_is_ok_with_its_age_size_and_count(
    run_check: RunCheck, backups: Path
) -> None:
    backup_file(backups, "app-1.tar.gz", age_s=30 * 3600, size=5 * MIB)
    backup_file(backups, "app-2.tar.gz", age_s=2 * 3600, size=3 * MIB)
    (backups / "app-3.tar.gz").mkdir()  # newer, but a directory is no backup file

    checked = run_check(
        "backup_freshness",
        {"dir": str(backups), "pattern": "app-*.tar.gz", "min_size_mb": 1},
        where="local",
    )

    assert checked.status == Status.OK, checked
    assert "newest of 2: app-2.tar.gz" in checked.summary
    assert abs(checked.perfdata["backup_age_s"].value - 7200) < 60  # type: ignore[operator]
    assert checked.perfdata["backup_size_bytes"].value == 3 * MIB
    assert checked.perfdata["backup_count"].value == 2
    assert checked.perfdata["backup_age_s"].unit == "s"


def test_a_stale_backup_is_critical(run_check: RunCheck, backups: Path) -> None:
    backup_file(backups, "db.dump", age_s=30 * 3600, size=MIB)
    checked = run_check(
        "backup_freshness", {"dir": str(backups), "max_age_hours": 26}, where="local"
    )
    assert checked.status == Status.CRITICAL, checked
    assert "older than 26.0 h" in checked.summary
    assert abs(checked.perfdata["backup_age_s"].value - 30 * 3600) < 60  # type: ignore[operator]
    assert checked.perfdata["backup_count"].value == 1


def test_a_small_backup_is_a_warning(run_check: RunCheck, backups: Path) -> None:
    backup_file(backups, "db.dump", age_s=60, size=1000)
    checked = run_check(
        "backup_freshness", {"dir": str(backups), "min_size_mb": 0.5}, where="local"
    )
    assert checked.status == Status.WARNING, checked
    assert "smaller than 512.0 KiB" in checked.summary
    assert checked.perfdata["backup_size_bytes"].value == 1000


def test_no_matching_file_is_critical(run_check: RunCheck, backups: Path) -> None:
    backup_file(backups, "notes.txt", age_s=60, size=10)
    checked = run_check(
        "backup_freshness", {"dir": str(backups), "pattern": "*.tar.gz"}, where="local"
    )
    assert checked.status == Status.CRITICAL, checked
    assert "no file matching *.tar.gz" in checked.summary
    assert checked.perfdata["backup_count"].value == 0
    assert checked.perfdata["backup_age_s"].value is None  # "U": nothing to measure


def test_hidden_partial_files_are_ignored_unless_the_pattern_asks(
    run_check: RunCheck, backups: Path
) -> None:
    backup_file(backups, "app.tar.gz", age_s=40 * 3600, size=MIB)
    backup_file(backups, ".app.tar.gz.part", age_s=10, size=MIB)  # a backup being written

    checked = run_check("backup_freshness", {"dir": str(backups)}, where="local")
    assert checked.status == Status.CRITICAL, checked
    assert checked.perfdata["backup_count"].value == 1

    hidden = run_check("backup_freshness", {"dir": str(backups), "pattern": ".*"}, where="local")
    assert hidden.status == Status.OK, hidden
    assert ".app.tar.gz.part" in hidden.summary


def test_a_missing_directory_is_critical(run_check: RunCheck, backups: Path) -> None:
    checked = run_check("backup_freshness", {"dir": str(backups / "never")}, where="local")
    assert checked.status == Status.CRITICAL, checked
    assert "does not exist" in checked.summary
    assert checked.perfdata["backup_count"].value == 0


def test_an_unreadable_directory_is_unknown(run_check: RunCheck, work: Path) -> None:
    locked = work / "locked"
    locked.mkdir(mode=0o700)  # root's: the test account cannot list it
    backup_file(locked, "db.dump", age_s=60, size=MIB)
    checked = run_check("backup_freshness", {"dir": str(locked)})
    assert checked.status == Status.UNKNOWN, checked
    assert "cannot read directory" in checked.summary
