"""The host-health plugins (load, service_active, temperature, smart_health, net_latency), run
for real through the SSH executor. What this host really has is asserted as it is (no systemd,
no sensors, no SMART drives here: UNKNOWN with its reason); the judging logic is exercised on
real inputs the tests create: copies of /proc and /sys files, a process with a unique name, and
a network namespace with a veth pair, where nftables drops every second echo request."""

from __future__ import annotations

import ast
import json
import os
import secrets
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from maintd.status import Status
from tests.checks.conftest import RunCheck
from tests.conftest import REPOSITORY

CHECKS = REPOSITORY / "checks"

# --- Python 3.6: what the oldest target hosts (RHEL 8's platform python) run -----------------

PYTHON_PLUGINS = sorted(
    path.name
    for path in CHECKS.iterdir()
    if path.is_file() and "python" in path.read_text(encoding="utf-8").split("\n", 1)[0]
)
SUBPROCESS_CALLS = {"run", "Popen", "check_output", "check_call", "call"}
KEYWORDS_37 = {"capture_output", "text"}  # subprocess, Python 3.7
ATTRIBUTES_37 = {  # datetime/date, contextlib, str, time, functools: 3.7 and later
    "fromisoformat", "fromisocalendar", "nullcontext", "removeprefix", "removesuffix",
    "isascii", "time_ns", "monotonic_ns", "perf_counter_ns", "cached_property",
}  # fmt: skip
MODULE_CALLS_37 = {("asyncio", "run"), ("shlex", "join"), ("math", "prod"), ("math", "isqrt")}
MODULES_37 = {"dataclasses", "contextvars", "zoneinfo", "graphlib", "tomllib"}


def newer_than_36(source: str) -> list[str]:
    """Syntax (ast.parse with feature_version 3.6 raises on it) and a static list of standard
    library APIs that Python 3.6 lacks."""
    found = []
    for node in ast.walk(ast.parse(source, feature_version=(3, 6))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SUBPROCESS_CALLS
        ):
            found += [
                f"line {node.lineno}: {node.func.attr}({keyword.arg}=)"
                for keyword in node.keywords
                if keyword.arg in KEYWORDS_37
            ]
        if isinstance(node, ast.Attribute):
            owner = node.value.id if isinstance(node.value, ast.Name) else None
            if node.attr in ATTRIBUTES_37 or (owner, node.attr) in MODULE_CALLS_37:
                found.append(f"line {node.lineno}: .{node.attr}")
        if isinstance(node, ast.Import):
            found += [f"line {node.lineno}: import {alias.name}" for alias in node.names
                      if alias.name.split(".")[0] in MODULES_37]  # fmt: skip
        if isinstance(node, ast.ImportFrom) and (
            (node.module or "").split(".")[0] in MODULES_37
            or (node.module == "__future__" and any(a.name == "annotations" for a in node.names))
        ):
            found.append(f"line {node.lineno}: from {node.module} import")
    return found


def test_the_python_plugins_find_python_plugins() -> None:
    assert {"smart_health", "temperature", "log_errors"} <= set(PYTHON_PLUGINS)


@pytest.mark.parametrize("name", PYTHON_PLUGINS)
def test_python_plugins_run_on_python_3_6(name: str) -> None:
    source = (CHECKS / name).read_text(encoding="utf-8")
    compile(source, str(CHECKS / name), "exec")  # no __pycache__ is written
    assert newer_than_36(source) == []


def test_the_python_3_6_guard_sees_what_it_looks_for() -> None:
    old = (
        "import subprocess, asyncio, datetime\n"
        "subprocess.run(['x'], capture_output=True)\n"
        "subprocess.check_output(['x'], text=True)\n"
        "asyncio.run(main())\n"
        "datetime.date.fromisoformat('2026-01-01')\n"
        "from dataclasses import dataclass\n"
    )
    assert len(newer_than_36(old)) == 5
    with pytest.raises(SyntaxError):
        newer_than_36("if (n := 1):\n    pass\n")
    assert newer_than_36("subprocess.run(['x'], stdout=PIPE, universal_newlines=True)\n") == []


# --- load -----------------------------------------------------------------------------------


def fake_proc(root: Path, loadavg: str, cpus: int) -> Path:
    root.mkdir()
    (root / "loadavg").write_text(loadavg + "\n")
    (root / "cpuinfo").write_text(
        "".join(f"processor\t: {n}\nflags\t\t: fpu\n\n" for n in range(cpus))
    )
    return root


def test_load_over_ssh_reads_the_real_averages_and_cpus(run_check: RunCheck) -> None:
    checked = run_check("load", {"warn": "1000", "crit": "1000"})
    assert checked.status == Status.OK, checked
    processors = Path("/proc/cpuinfo").read_text().count("\nprocessor") + 1
    assert checked.perfdata["cpus"].value == processors
    load1 = checked.perfdata["load1"].value
    assert load1 is not None and abs(load1 - os.getloadavg()[0]) < 1.0
    assert checked.perfdata["load1_per_cpu"].value == pytest.approx(load1 / processors, abs=0.01)
    assert f"on {processors} CPU" in checked.summary


def test_load_thresholds_are_per_cpu(run_check: RunCheck, tmp_path: Path) -> None:
    proc = str(fake_proc(tmp_path / "proc", "3.00 2.00 1.00 2/345 6789", cpus=2))
    checked = run_check(
        "load", {"warn": "1.2,1.5,2", "crit": "2", "proc_root": proc}, where="local"
    )
    assert checked.status == Status.WARNING, checked
    assert checked.summary.endswith("(1.50, 1.00, 0.50 per CPU), load1 1.50 per CPU > 1.2")
    load1 = checked.perfdata["load1"]
    assert (load1.value, load1.warn_text, load1.crit_text) == (
        3.0,
        "2.4",
        "4",
    )  # per-CPU limits x 2 CPUs
    assert checked.perfdata["load1_per_cpu"].value == 1.5
    assert checked.perfdata["cpus"].value == 2

    checked = run_check(
        "load", {"warn": "1", "crit": "1.4,0.9,9", "proc_root": proc}, where="local"
    )
    assert checked.status == Status.CRITICAL, checked
    assert "load5 1.00 per CPU > 0.9" in checked.summary


def test_load_thresholds_can_be_raw_load(run_check: RunCheck, tmp_path: Path) -> None:
    proc = str(fake_proc(tmp_path / "proc", "3.00 2.00 1.00 2/345 6789", cpus=4))
    params = {"warn": "2.5,5,5", "crit": "10", "per_cpu": False, "proc_root": proc}
    checked = run_check("load", params, where="local")
    assert checked.status == Status.WARNING, checked
    assert "load1 3.00 > 2.5" in checked.summary
    assert checked.perfdata["load1"].warn_text == "2.5"
    assert checked.perfdata["load1_per_cpu"].value == 0.75


def test_load_unknown_on_bad_input(run_check: RunCheck, tmp_path: Path) -> None:
    checked = run_check("load", {"warn": "1,2"}, where="local")
    assert checked.status == Status.UNKNOWN and "parameter warn" in checked.summary, checked
    proc = str(fake_proc(tmp_path / "proc", "garbage", cpus=1))
    checked = run_check("load", {"proc_root": proc}, where="local")
    assert checked.status == Status.UNKNOWN and "cannot parse" in checked.summary, checked
    checked = run_check("load", {"proc_root": str(tmp_path / "none")}, where="local")
    assert checked.status == Status.UNKNOWN and "cannot read" in checked.summary, checked


# --- service_active ---------------------------------------------------------------------------


@pytest.fixture
def start_named(tmp_path: Path) -> Iterator[Callable[[str], None]]:
    """Starts copies of sleep under given names (the kernel keeps 15 characters)."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(name: str) -> None:
        binary = tmp_path / name
        shutil.copy(shutil.which("sleep") or "/bin/sleep", binary)
        processes.append(subprocess.Popen([str(binary), "120"]))

    yield start
    for process in processes:
        process.kill()
        process.wait()


@pytest.fixture
def named_process(tmp_path: Path) -> Iterator[str]:
    """A running process whose name is unique: a copy of sleep with a 20-character name (the
    kernel keeps 15 of them)."""
    name = "mdtsleep" + secrets.token_hex(6)
    binary = tmp_path / name
    shutil.copy(shutil.which("sleep") or "/bin/sleep", binary)
    process = subprocess.Popen([str(binary), "120"])
    yield name
    process.kill()
    process.wait()


def test_service_active_units_need_systemd(run_check: RunCheck) -> None:
    if Path("/run/systemd/system").is_dir():
        pytest.skip("this host runs systemd: the no-systemd answer cannot be seen here")
    checked = run_check("service_active", {"units": ["ssh.service"]})
    assert checked.status == Status.UNKNOWN, checked
    assert "systemd is not running on this host" in checked.summary
    assert checked.perfdata["units_active"].value == 0


def test_service_active_finds_a_running_process(run_check: RunCheck, named_process: str) -> None:
    checked = run_check("service_active", {"processes": [named_process]})
    assert checked.status == Status.OK, checked
    assert checked.summary == "SERVICE OK - 1 of 1 running"
    assert f"OK process {named_process}: 1 running" in checked.long_output
    assert checked.perfdata["processes_running"].value == 1


def test_service_active_names_what_is_missing(run_check: RunCheck, named_process: str) -> None:
    missing = "mdtgone" + secrets.token_hex(4)
    params = {"processes": [named_process, missing], "units": ["cron.service"]}
    checked = run_check("service_active", params)
    # Without systemd here the units are UNKNOWN, but the missing process outranks that.
    assert checked.status == Status.CRITICAL, checked
    assert f"process {missing}: not running" in checked.summary
    assert named_process not in checked.summary
    assert checked.perfdata["processes_running"].value == 1
    checked = run_check("service_active", {})
    assert checked.status == Status.UNKNOWN and "nothing to check" in checked.summary, checked


def test_service_active_compares_process_names_exactly(
    run_check: RunCheck, start_named: Callable[[str], None]
) -> None:
    tag = secrets.token_hex(4)
    start_named(f"mdtx{tag}")  # a dot in a pattern would match this x
    start_named(f"mdt.{tag}.4")  # like php-fpm7.4
    start_named(f"(mdt-{tag})")  # like (sd-pam): parentheses are a group in a pattern
    wanted = [f"mdt.{tag}.4", f"(mdt-{tag})", f"mdt.{tag}", f"mdt-{tag}", f"mdt.{tag[:-1]}."]
    checked = run_check("service_active", {"processes": wanted})
    assert checked.status == Status.CRITICAL, checked
    assert f"OK process mdt.{tag}.4: 1 running" in checked.long_output
    assert f"OK process (mdt-{tag}): 1 running" in checked.long_output
    for name in wanted[2:]:
        assert f"CRITICAL process {name}: not running" in checked.long_output
    assert checked.perfdata["processes_running"].value == 2
    assert checked.summary.startswith("SERVICE CRITICAL - 3 of 5 need attention")


# --- temperature --------------------------------------------------------------------------


def run_with_env(run_check: RunCheck, plugin: str, **env: str) -> Any:
    """A plugin run through maintd (here) with environment variables no calendar can give:
    params are typed there, and a YAML float cannot be written nan or inf in JSON."""
    assignments = [f"{name}={value}" for name, value in env.items()]
    return run_check("", command=["/usr/bin/env", *assignments, str(CHECKS / plugin)],
                     where="local")  # fmt: skip


@pytest.mark.parametrize(("name", "value"), [("WARN", "nan"), ("CRIT", "inf"), ("WARN", "-inf")])
def test_temperature_refuses_thresholds_that_never_alert(
    run_check: RunCheck, tmp_path: Path, name: str, value: str
) -> None:
    sysfs = fake_sysfs(tmp_path / "sys", nvme_millidegrees=99000)  # would be CRITICAL
    env = {f"MAINTD_{name}": value, "MAINTD_SYSFS_ROOT": sysfs}
    checked = run_with_env(run_check, "temperature", **env)
    assert checked.status == Status.UNKNOWN, checked
    expected = f"TEMPERATURE UNKNOWN - parameter {name.lower()} is not a finite number: {value!r}"
    assert checked.summary == expected


def real_sensors() -> bool:
    return any(Path("/sys/class/thermal").glob("thermal_zone*")) or any(
        Path("/sys/class/hwmon").glob("hwmon*")
    )


def test_temperature_here_is_unknown_without_sensors(run_check: RunCheck) -> None:
    if real_sensors():
        pytest.skip("this host has temperature sensors")
    checked = run_check("temperature")
    assert checked.status == Status.UNKNOWN, checked
    assert checked.summary.startswith(
        "TEMPERATURE UNKNOWN - no temperature sensors found (/sys/class/thermal"
    )
    checked = run_check("temperature", {"drives": True})  # as the plain account
    assert checked.status == Status.UNKNOWN, checked
    assert "drive temperatures skipped: smartctl needs root (become: true)" in checked.long_output


def test_temperature_drives_as_root_finds_none_here(run_check: RunCheck) -> None:
    scan = subprocess.run(["smartctl", "-j", "--scan"], capture_output=True, check=False)
    if real_sensors() or json.loads(scan.stdout).get("devices"):
        pytest.skip("this host has sensors or SMART drives")
    checked = run_check("temperature", {"drives": True}, where="ssh-root")
    assert checked.status == Status.UNKNOWN, checked
    assert "smartctl)" in checked.summary
    assert "no drives found by smartctl --scan" in checked.long_output


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")


def fake_sysfs(root: Path, nvme_millidegrees: int) -> str:
    """A sysfs-like tree as the kernel lays it out: class entries are symlinks to devices."""
    zones = {"thermal_zone0": ("x86_pkg_temp", 45000), "thermal_zone1": ("acpitz", 40000)}
    for zone, (kind, temp) in zones.items():
        write(root / "devices/virtual/thermal" / zone / "type", kind)
        write(root / "devices/virtual/thermal" / zone / "temp", str(temp))
    write(root / "devices/virtual/thermal/thermal_zone0/trip_point_0_type", "critical")
    write(root / "devices/virtual/thermal/thermal_zone0/trip_point_0_temp", "100000")
    write(root / "devices/virtual/thermal/thermal_zone2/type", "broken")  # no temp: skipped
    chips = {
        "hwmon0": ("acpitz", {"temp1": (40000, None, None)}),  # repeats thermal_zone1
        "hwmon1": (
            "coretemp",
            {"temp1": (52000, "Package id 0", 100000), "temp2": (50000, "Core 0", None)},
        ),
        "hwmon2": ("nvme", {"temp1": (nvme_millidegrees, "Composite", 60000)}),
        "hwmon3": ("it8728", {"temp1": (33000, None, None), "temp3": (-128000, None, None)}),
    }
    for chip, (name, sensors) in chips.items():
        base = root / "devices/platform" / name / "hwmon" / chip
        write(base / "name", name)
        for sensor, (temp, label, crit) in sensors.items():
            write(base / f"{sensor}_input", str(temp))
            if label:
                write(base / f"{sensor}_label", label)
            if crit:
                write(base / f"{sensor}_crit", str(crit))
    for kind, pattern in (
        ("thermal", "devices/virtual/thermal/*"),
        ("hwmon", "devices/platform/*/hwmon/*"),
    ):
        (root / "class" / kind).mkdir(parents=True)
        for target in root.glob(pattern):
            (root / "class" / kind / target.name).symlink_to(target)
    return str(root)


def test_temperature_reads_zones_and_hwmon(run_check: RunCheck, tmp_path: Path) -> None:
    sysfs = fake_sysfs(tmp_path / "sys", nvme_millidegrees=38850)
    checked = run_check("temperature", {"sysfs_root": sysfs}, where="ssh-root")
    assert checked.status == Status.OK, checked
    assert checked.summary == "TEMPERATURE OK - hottest coretemp Package id 0 52 C of 6 sensor(s)"
    temps = {label: item.value for label, item in checked.perfdata.items()}
    assert temps == {
        "temp_c": 52, "temp_c_x86_pkg_temp": 45, "temp_c_acpitz": 40,
        "temp_c_coretemp_package_id_0": 52, "temp_c_coretemp_core_0": 50,
        "temp_c_nvme_composite": 38.85, "temp_c_it8728_temp1": 33,
    }  # fmt: skip
    nvme = checked.perfdata["temp_c_nvme_composite"]
    assert (nvme.warn_text, nvme.crit_text) == ("60", "60")  # its own limit is below crit: 85
    assert (checked.perfdata["temp_c"].warn_text, checked.perfdata["temp_c"].crit_text) == (
        "75",
        "85",
    )


def test_temperature_thresholds(run_check: RunCheck, tmp_path: Path) -> None:
    sysfs = fake_sysfs(tmp_path / "sys", nvme_millidegrees=38850)
    checked = run_check("temperature", {"sysfs_root": sysfs, "warn": 51}, where="local")
    assert checked.status == Status.WARNING, checked
    assert checked.summary.endswith(": coretemp Package id 0: 52 C (its critical limit 100 C)")

    hot = fake_sysfs(tmp_path / "hot", nvme_millidegrees=61850)
    checked = run_check("temperature", {"sysfs_root": hot}, where="local")
    assert checked.status == Status.CRITICAL, checked
    assert "nvme Composite: 61.85 C (its critical limit 60 C)" in checked.summary
    assert checked.perfdata["temp_c"].value == 61.85


# --- smart_health ---------------------------------------------------------------------------


def test_smart_health_needs_root(run_check: RunCheck) -> None:
    checked = run_check("smart_health")
    assert checked.status == Status.UNKNOWN, checked
    assert checked.summary == "SMART UNKNOWN - smartctl needs root to read drives: set become: true"


def test_smart_health_as_root_finds_no_drives_here(run_check: RunCheck) -> None:
    scan = subprocess.run(["smartctl", "-j", "--scan"], capture_output=True, check=False)
    if json.loads(scan.stdout).get("devices"):
        pytest.skip("this host has SMART drives")
    checked = run_check("smart_health", where="ssh-root")
    assert checked.status == Status.UNKNOWN, checked
    assert checked.summary == "SMART UNKNOWN - no SMART devices found (smartctl --scan found none)"


def test_smart_health_reports_what_smartctl_says_of_a_device(run_check: RunCheck) -> None:
    params = {"devices": ["/dev/null", "/dev/mdtnosuch -d sat"]}
    checked = run_check("smart_health", params, where="ssh-root")
    assert checked.status == Status.UNKNOWN, checked
    assert (
        "null: cannot read SMART health (/dev/null: Unable to detect device type)"
        in checked.summary
    )
    assert (
        "mdtnosuch: cannot read SMART health (Smartctl open device: /dev/mdtnosuch [SAT]"
        in checked.summary
    )
    assert checked.perfdata == {}


@pytest.mark.parametrize("where", ["ssh", "ssh-root"])
def test_smart_health_passes_nothing_but_a_device_and_its_type(
    run_check: RunCheck, where: str
) -> None:
    bad = [
        "/dev/sda -s off",  # would disable SMART on the drive
        "/dev/sda -t long",  # would start a self-test
        "-s off /dev/sda",
        "/dev/sda -d sat -s off",
        "/dev/sda -d sat;reboot",
        "/dev/sda -d",
        "sda",
        "/dev/",
    ]
    checked = run_check("smart_health", {"devices": ["/dev/null", *bad]}, where=where)
    assert checked.status == Status.UNKNOWN, checked
    assert checked.summary == (
        "SMART UNKNOWN - parameter devices: not a /dev/ path optionally followed by -d TYPE"
        " (nothing was run): " + ", ".join(repr(entry) for entry in bad)
    )
    # smartctl never ran: it would have said "/dev/null: Unable to detect device type".
    assert "null" not in checked.summary + checked.long_output


def test_smart_health_names_drives_behind_one_controller_apart(run_check: RunCheck) -> None:
    devices = ["/dev/bus/0 -d megaraid,0", "/dev/bus/0 -d megaraid,1", "/dev/null -d sat"]
    checked = run_check("smart_health", {"devices": devices}, where="ssh-root")
    assert checked.status == Status.UNKNOWN, checked
    for n in (0, 1):  # smartctl ran for each, and each answer is named apart
        assert (
            f"UNKNOWN bus/0 megaraid,{n}: cannot read SMART health (Smartctl open device: "
            f"/dev/bus/0 [megaraid_disk_0{n}] failed"
        ) in checked.long_output
    assert "UNKNOWN null: cannot read SMART health" in checked.long_output


def smart_health_module() -> dict[str, Any]:
    """The plugin's functions, without running main (and without writing __pycache__)."""
    path = CHECKS / "smart_health"
    namespace: dict[str, Any] = {"__name__": "smart_health_under_test"}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)  # noqa: S102
    return namespace


def test_smart_health_perfdata_labels_stay_distinct() -> None:
    plugin = smart_health_module()
    devices = [
        ("/dev/bus/0", ["-d", "megaraid,0"]),
        ("/dev/bus/0", ["-d", "megaraid,1"]),
        ("/dev/sda", []),
        ("/dev/sdb", ["-d", "sat"]),
        ("/dev/nvme0", ["-d", "nvme"]),
        ("/dev/nvme0", ["-d", "sat"]),
        ("/dev/sdc", ["-d", "sat,12"]),
        ("/dev/sd-d", []),
        ("/dev/sd.d", []),  # the same slug as sd-d's (sd_d): told apart by a number
    ]
    names = plugin["device_names"](devices)
    assert names == [
        "bus/0 megaraid,0", "bus/0 megaraid,1", "sda", "sdb", "nvme0 nvme", "nvme0 sat",
        "sdc sat,12", "sd-d", "sd.d #2",
    ]  # fmt: skip
    results = [(name, 0, "", {"pending_sectors": 0, "temp_c": 30}) for name in names]
    labels = [item.split("=")[0] for item in plugin["perfdata"](results).split()]
    assert labels[:2] == ["pending_sectors", "temp_c"]
    per_device = labels[2:]
    assert len(per_device) == len(set(per_device)) == 2 * len(devices)
    assert "pending_sectors_bus_0_megaraid_1" in per_device
    assert "temp_c_sda" in per_device and "temp_c_sd_d_2" in per_device


# --- net_latency -----------------------------------------------------------------------------

FAST = {"count": 4, "interval": 0.2, "timeout_s": 1}


def test_net_latency_loopback_is_ok_as_a_plain_account(run_check: RunCheck) -> None:
    checked = run_check("net_latency", {"targets": ["127.0.0.1"], **FAST})
    assert checked.status == Status.OK, checked
    assert checked.summary.startswith("PING OK - 127.0.0.1: 0% loss, rtt ")
    rtt = checked.perfdata["rtt_ms_127_0_0_1"]
    assert rtt.value is not None and 0 < rtt.value < 50 and rtt.unit == "ms"
    assert checked.perfdata["rtt_ms"].value == rtt.value
    assert (
        checked.perfdata["loss_pct"].value == 0
        and checked.perfdata["loss_pct_127_0_0_1"].value == 0
    )


def test_net_latency_thresholds_and_bad_targets(run_check: RunCheck) -> None:
    params = {"targets": ["127.0.0.1", "-f"], "warn_ms": 0, "crit_ms": 1000, **FAST}
    checked = run_check("net_latency", params)
    assert checked.status == Status.WARNING, checked  # WARNING outranks the bad target's UNKNOWN
    assert "127.0.0.1: 0% loss, rtt" in checked.summary and "-f: not a host name" in checked.summary
    assert checked.perfdata["rtt_ms_127_0_0_1"].warn_text == "0"
    assert checked.perfdata["rtt_ms_f"].value is None

    checked = run_check("net_latency", {"targets": ["127.0.0.1"], "crit_ms": 0, **FAST})
    assert checked.status == Status.CRITICAL, checked


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


@pytest.fixture
def peer() -> Iterator[tuple[str, str]]:
    """A network namespace behind a veth pair, its end at 10.x.y.2/30; yields (namespace,
    address). Only the two veth ends carry the 10.x addresses, and both go with the namespace."""
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("creating a network namespace needs root and ip (iproute2)")
    name = "mdt" + secrets.token_hex(4)
    try:
        ip("netns", "add", name)
    except subprocess.CalledProcessError as error:
        pytest.skip(f"ip netns add is not possible here: {error.stderr.decode().strip()}")
    octets = secrets.randbelow(50) + 200, secrets.randbelow(64) * 4
    net = f"10.{octets[0]}.{octets[1]}"
    try:
        ip("link", "add", name, "type", "veth", "peer", "name", "peer", "netns", name)
        ip("addr", "add", f"{net}.1/30", "dev", name)
        ip("link", "set", name, "up")
        ip("-n", name, "addr", "add", f"{net}.2/30", "dev", "peer")
        ip("-n", name, "link", "set", "peer", "up")
        ip("-n", name, "link", "set", "lo", "up")
        yield name, f"{net}.2"
    finally:
        subprocess.run(["ip", "link", "del", name], capture_output=True, check=False)
        ip("netns", "del", name)


def test_net_latency_sees_partial_loss(run_check: RunCheck, peer: tuple[str, str]) -> None:
    namespace, address = peer
    if shutil.which("nft") is None:
        pytest.skip("nft (nftables) not installed: no way to drop every second request")
    rules = """
        table inet mdt {
            chain input {
                type filter hook input priority 0;
                icmp type echo-request numgen inc mod 2 == 0 drop
            }
        }
    """
    subprocess.run(
        ["ip", "netns", "exec", namespace, "nft", "-f", "-"], input=rules.encode(), check=True
    )
    params = {"targets": [address], "warn_loss": 40, "crit_loss": 60, **FAST}
    checked = run_check("net_latency", params)
    assert checked.status == Status.WARNING, checked
    assert checked.summary.startswith(f"PING WARNING - {address}: 50% loss, rtt ")
    label = address.replace(".", "_")
    assert checked.perfdata[f"loss_pct_{label}"].value == 50
    assert checked.perfdata["loss_pct"].value == 50
    assert checked.perfdata[f"rtt_ms_{label}"].value is not None


def test_net_latency_total_loss_is_critical(run_check: RunCheck, peer: tuple[str, str]) -> None:
    namespace, address = peer
    ip("-n", namespace, "link", "set", "peer", "down")
    checked = run_check("net_latency", {"targets": [address, "127.0.0.1"], **FAST})
    assert checked.status == Status.CRITICAL, checked
    assert checked.summary == f"PING CRITICAL - {address}: 100% loss"
    label = address.replace(".", "_")
    assert checked.perfdata[f"loss_pct_{label}"].value == 100
    assert checked.perfdata[f"rtt_ms_{label}"].value is None
    assert checked.perfdata["loss_pct"].value == 100
    assert checked.perfdata["rtt_ms_127_0_0_1"].value is not None
