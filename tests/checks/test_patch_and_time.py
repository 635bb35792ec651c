"""patch_scan, reboot_required, time_sync and disk_usage against what this machine really has:
its apt and package lists, /run/reboot-required, real chronyd instances that do not touch the
clock, and small tmpfs filesystems mounted by the tests."""

from __future__ import annotations

import errno
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from maintd.status import Status
from tests.checks.conftest import RunCheck

APT_LISTS = Path("/var/lib/apt/lists")


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory the test account can read (pytest's tmp_path sits under a 0700 one)."""
    path = Path(tempfile.mkdtemp(prefix="maintd-patch-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


# --- patch_scan -------------------------------------------------------------------------------


def apt_needed() -> None:
    if shutil.which("apt-get") is None:
        pytest.skip("not a Debian/Ubuntu machine")
    if not list(APT_LISTS.glob("*_Packages*")):
        pytest.skip("no package lists on this machine (apt-get update never ran)")


def apt_upgrade_counts() -> tuple[int, int]:
    """(pending, security) counted independently of the plugin from `apt-get -s upgrade`:
    packages it would install plus those it keeps back; security ones come from an archive
    whose name ends in -security."""
    out = subprocess.run(
        ["apt-get", "-s", "-o", "Debug::NoLocking=1", "upgrade"],
        capture_output=True, text=True, check=True, env={**os.environ, "LC_ALL": "C"},
    ).stdout  # fmt: skip
    # An Inst line names the package, its installed version in brackets, then the new
    # version and its origins in parentheses, sometimes followed by more brackets.
    installs = re.findall(r"^Inst \S+ (?:\[[^]]*\] )?\(([^)]*)\)", out, re.MULTILINE)
    kept = re.search(r"(\d+) not upgraded\.$", out, re.MULTILINE)
    security = [origins for origins in installs if re.search(r"/\S*-security\b", origins)]
    return len(installs) + (int(kept.group(1)) if kept else 0), len(security)


def test_patch_scan_counts_what_apt_would_upgrade(run_check: RunCheck) -> None:
    apt_needed()
    release_times = {path: path.stat().st_mtime_ns for path in APT_LISTS.iterdir()}
    pending, security = apt_upgrade_counts()
    held = subprocess.run(["apt-mark", "showhold"], capture_output=True, text=True, check=True)

    checked = run_check("patch_scan", {"pending_warn": 100000, "security_crit": 100000})
    perf = checked.perfdata
    assert perf["pending_updates"].value == pending, checked
    assert perf["security_updates"].value == security
    assert perf["held_packages"].value == len(held.stdout.split())
    assert perf["reboot_required"].value == int(Path("/run/reboot-required").exists())
    assert checked.status == (Status.WARNING if security else Status.OK)
    assert f"{pending} pending updates, {security} security" in checked.summary
    assert re.search(r", lists dated [0-9.]+ (h|days) ago", checked.summary)
    # Without refresh the lists are used as they are: nothing was downloaded.
    assert {path: path.stat().st_mtime_ns for path in APT_LISTS.iterdir()} == release_times


def write_apt_config(directory: Path, lists: Path) -> Path:
    """An APT_CONFIG moving the lists, and keeping apt from writing its binary caches (which
    would otherwise be rebuilt from these lists in /var/cache/apt)."""
    config = directory / "apt.conf"
    config.write_text(
        f'Dir::State::Lists "{lists}";\nDir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n'
    )
    config.chmod(0o644)
    return config


def test_patch_scan_without_package_lists_is_unknown(run_check: RunCheck, shared_dir: Path) -> None:
    apt_needed()
    lists = shared_dir / "lists"
    lists.mkdir()
    config = write_apt_config(shared_dir, lists)
    checked = run_check("patch_scan", {"apt_config": str(config)})
    assert checked.status == Status.UNKNOWN, checked
    assert f"no package lists in {lists}: " in checked.summary
    assert "run apt-get update or set refresh: true" in checked.summary

    checked = run_check("patch_scan", {"apt_config": str(shared_dir / "absent.conf")})
    assert checked.status == Status.UNKNOWN, checked
    assert "cannot read the apt configuration" in checked.summary


def test_patch_scan_warns_on_stale_package_lists(run_check: RunCheck, shared_dir: Path) -> None:
    apt_needed()
    lists = shared_dir / "lists"
    lists.mkdir(mode=0o755)
    forty_days_ago = time.time() - 40 * 86400
    for source in APT_LISTS.iterdir():
        if source.is_file() and ("Release" in source.name or "_Packages" in source.name):
            copy = lists / source.name
            shutil.copyfile(source, copy)
            copy.chmod(0o644)
            os.utime(copy, (forty_days_ago, forty_days_ago))
    config = write_apt_config(shared_dir, lists)
    params = {"apt_config": str(config), "max_list_age_days": 30, "pending_warn": 100000,
              "security_warn": 100000, "security_crit": 100000}  # fmt: skip
    checked = run_check("patch_scan", params)
    assert checked.status == Status.WARNING, checked
    assert "lists dated 40 days ago" in checked.summary
    assert "package lists older than 30 days: the counts may be short" in checked.summary
    assert checked.perfdata["pending_updates"].value == apt_upgrade_counts()[0]

    checked = run_check("patch_scan", {**params, "max_list_age_days": 41})
    assert checked.status == Status.OK, checked


# --- reboot_required --------------------------------------------------------------------------


@pytest.fixture
def reboot_flag() -> Iterator[Path]:
    """/run/reboot-required and its .pkgs, made by the test only where neither exists."""
    flag = Path("/run/reboot-required")
    pkgs = Path("/run/reboot-required.pkgs")
    if flag.exists() or pkgs.exists():
        pytest.skip("this machine really waits for a reboot: its flag is not ours to touch")
    try:
        flag.write_text("*** System restart required ***\n")
        pkgs.write_text("linux-image-6.1.0-99-amd64\nlibc6\nlinux-image-6.1.0-99-amd64\n")
        yield flag
    finally:
        flag.unlink(missing_ok=True)
        pkgs.unlink(missing_ok=True)


def test_reboot_required_without_the_flag(run_check: RunCheck) -> None:
    if Path("/run/reboot-required").exists():
        pytest.skip("this machine really waits for a reboot")
    checked = run_check("reboot_required")
    assert checked.status == Status.OK, checked
    assert checked.summary == "REBOOT OK - no reboot required (/var/run/reboot-required absent)"
    assert checked.perfdata["reboot_required"].value == 0


def test_reboot_required_with_the_flag(run_check: RunCheck, reboot_flag: Path) -> None:
    checked = run_check("reboot_required")
    assert checked.status == Status.WARNING, checked
    assert "reboot required by libc6, linux-image-6.1.0-99-amd64 (" in checked.summary
    assert checked.perfdata["reboot_required"].value == 1


# --- time_sync --------------------------------------------------------------------------------


def udp_port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_time_sync_on_this_machine_without_a_time_daemon(run_check: RunCheck) -> None:
    # chronyc and ntpq ask UDP port 323 / the ntpd socket; a daemon answering there, or a
    # booted systemd, would make this machine's answer a different (real) one.
    if not udp_port_free(323) or Path("/run/systemd/system").exists():
        pytest.skip("a time daemon or systemd runs here")
    checked = run_check("time_sync")
    assert checked.status == Status.UNKNOWN, checked
    assert "no time daemon answered (tried chronyc" in checked.summary
    assert "timedatectl:" in checked.summary
    assert not checked.perfdata


class Chronyd:
    """chronyd instances that never touch the system clock (-x): an NTP server serving the
    local clock on a free UDP port, and a client of it answering chronyc on 127.0.0.1:323 (the
    port chronyc asks first when there is no Unix socket), as the plugin's chronyc expects."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, config: str) -> None:
        path = self.directory / f"{name}.conf"
        # No Unix command socket (bindcmdaddress /) and a pid file here: nothing under /run.
        path.write_text(f"pidfile {self.directory}/{name}.pid\nbindcmdaddress /\n{config}")
        log = (self.directory / f"{name}.log").open("wb")
        self.processes.append(
            subprocess.Popen(["chronyd", "-x", "-d", "-f", str(path)], stdout=log, stderr=log)
        )
        log.close()

    def tracking(self) -> str:
        out = subprocess.run(
            ["chronyc", "-n", "tracking"], capture_output=True, text=True, check=False, timeout=5
        )
        return out.stdout

    def wait_for(self, text: str) -> None:
        deadline = time.monotonic() + 10
        while text not in self.tracking():
            if time.monotonic() > deadline:
                logs = [p.read_text() for p in self.directory.glob("*.log")]
                pytest.fail(f"chronyd never said {text!r}: {self.tracking()!r} {logs}")
            time.sleep(0.1)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(timeout=10)
        self.processes.clear()


@pytest.fixture
def chronyd() -> Iterator[Chronyd]:
    if shutil.which("chronyd") is None or shutil.which("chronyc") is None:
        pytest.skip("chrony is not installed (Debian package chrony)")
    if not udp_port_free(323):
        pytest.skip("something (a real chronyd?) already answers on 127.0.0.1:323")
    directory = Path(tempfile.mkdtemp(prefix="maintd-chrony-"))
    directory.chmod(0o755)
    daemons = Chronyd(directory)
    try:
        yield daemons
    finally:
        daemons.stop()
        shutil.rmtree(directory, ignore_errors=True)


def test_time_sync_reads_chronys_offset(run_check: RunCheck, chronyd: Chronyd) -> None:
    port = free_udp_port()
    chronyd.start("server", f"port {port}\nallow 127.0.0.1\ncmdport 0\nlocal stratum 8\n")
    # The client corrects every measurement by 0.3 s: the local clock looks 300 ms slow.
    chronyd.start(
        "client",
        f"port 0\nserver 127.0.0.1 port {port} iburst minpoll -6 maxpoll -6 offset 0.3\n",
    )
    chronyd.wait_for("Leap status     : Normal")

    checked = run_check("time_sync")
    assert checked.status == Status.WARNING, checked  # |-300| > warn 100, < crit 500
    offset = checked.perfdata["offset_ms"]
    assert offset.value == pytest.approx(-300, abs=5)
    assert offset.unit == "ms"
    assert offset.warn_text == "-100:100" and offset.crit_text == "-500:500"
    assert re.search(r"offset -(299|300)\.\d{3} ms \(chrony\)", checked.summary)

    assert run_check("time_sync", {"crit_ms": 250}).status == Status.CRITICAL
    assert run_check("time_sync", {"warn_ms": 400, "crit_ms": 1000}).status == Status.OK


def test_time_sync_unsynchronised_chrony_is_critical(run_check: RunCheck, chronyd: Chronyd) -> None:
    # A server nobody answers at: chronyd runs, but never synchronises.
    chronyd.start("lonely", f"port 0\nserver 127.0.0.1 port {free_udp_port()} iburst\n")
    chronyd.wait_for("Leap status     : Not synchronised")
    checked = run_check("time_sync")
    assert checked.status == Status.CRITICAL, checked
    assert "clock not synchronised, last offset +0.000 ms (chrony)" in checked.summary
    assert checked.perfdata["offset_ms"].value == 0


# --- disk_usage -------------------------------------------------------------------------------


@pytest.fixture
def tmpfs() -> Iterator[Path]:
    """A 1 MiB tmpfs with 50 inodes mounted in a temporary directory, unmounted after."""
    mount_point = Path(tempfile.mkdtemp(prefix="maintd-tmpfs-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,nr_inodes=50,mode=755", "maintd-test",
         str(mount_point)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if mounted.returncode != 0:
        mount_point.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)
        mount_point.rmdir()


def used_pct(path: Path) -> float:
    """Used space as df computes it: used / (used + available)."""
    stat = os.statvfs(path)
    used = stat.f_blocks - stat.f_bfree
    return round(used * 100 / (used + stat.f_bavail), 1)


def test_disk_usage_of_a_tmpfs_filled_to_known_levels(run_check: RunCheck, tmpfs: Path) -> None:
    params = {"path": str(tmpfs), "warn": 80, "crit": 90}
    (tmpfs / "fill-1").write_bytes(b"\0" * 870 * 1024)
    checked = run_check("disk_usage", params)
    assert checked.status == Status.WARNING, checked
    assert checked.perfdata["used_pct"].value == used_pct(tmpfs) == pytest.approx(85.2, abs=0.5)
    assert checked.perfdata["size_bytes"].value == 1024 * 1024
    assert f"{tmpfs} {used_pct(tmpfs):.1f}% used (" in checked.summary

    (tmpfs / "fill-2").write_bytes(b"\0" * 100 * 1024)
    checked = run_check("disk_usage", params)
    assert checked.status == Status.CRITICAL, checked
    assert checked.perfdata["used_pct"].value == used_pct(tmpfs) > 90


def test_disk_usage_of_a_tmpfs_out_of_inodes(run_check: RunCheck, tmpfs: Path) -> None:
    for index in range(46):  # with the root directory: 47 of 50 inodes
        (tmpfs / f"empty-{index}").touch()
    checked = run_check("disk_usage", {"path": str(tmpfs)})
    assert checked.status == Status.CRITICAL, checked
    assert "inodes 94.0% used" in checked.summary
    assert checked.perfdata["inodes_used_pct"].value == 94.0
    assert checked.perfdata["used_pct"].value == 0  # the space alone would be OK

    checked = run_check("disk_usage", {"path": str(tmpfs), "inode_warn": 90, "inode_crit": 95})
    assert checked.status == Status.WARNING, checked
    with pytest.raises(OSError, match="No space left on device"):
        for index in range(10):
            (tmpfs / f"more-{index}").touch()
    checked = run_check("disk_usage", {"path": str(tmpfs)})
    assert checked.perfdata["inodes_used_pct"].value == 100.0, checked
