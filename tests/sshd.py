"""Real OpenSSH servers on loopback addresses for the tests and benchmarks.

``SshdCluster(directory, hosts=8)`` generates its own host key, client key and known_hosts,
starts one `sshd -D` per 16 addresses (OpenSSH's ListenAddress limit) on 127.0.0.2 onwards at
one unprivileged port, and stops them by PID. Only loopback addresses are ever used.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

SSHD = "/usr/sbin/sshd"
# Checks log in as a plain account whose login shell is /bin/sh, as a maintenance account
# would: root's shell here is bash, which reads ~/.bashrc on every SSH command (80 ms of
# pyenv set-up on this machine) and would drown what the tests and benchmarks measure.
TEST_USER = "maintdtest"
ADDRESSES_PER_SSHD = 16
FIRST_ADDRESS = 2  # 127.0.0.2; 127.0.0.1 is left to everything else on the machine


def sshd_available() -> str | None:
    """Why the real-sshd tests cannot run here, or None when they can."""
    if not Path(SSHD).exists():
        return "OpenSSH server not installed (scripts/test installs openssh-server as root)"
    if os.geteuid() != 0:
        return "starting sshd for other addresses and logging in as root needs root"
    if shutil.which("ssh-keygen") is None:
        return "ssh-keygen not found"
    return None


def free_port() -> int:
    """A TCP port free on 127.0.0.1 (and, in practice, on the other loopback addresses)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def sshd_config(keys: KeyFiles, listen: list[str], name: str, extra: str = "") -> str:
    """A test sshd's configuration: key login only, as the test account, on ``listen``
    (address:port each); ``name`` tells its PID file apart from its siblings'."""
    addresses = "\n".join(f"ListenAddress {address}" for address in listen)
    # sshd keeps the first value given for a keyword: the extra settings go first.
    return f"""{extra}
{addresses}
HostKey {keys.host_key}
PidFile {keys.directory}/sshd.{name}.pid
AuthorizedKeysFile {keys.directory}/authorized_keys .ssh/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxSessions 10
MaxStartups 100:30:200
AllowTcpForwarding yes
LogLevel ERROR
"""


class KeyFiles:
    """Where a set of test hosts keeps its keys: the client's, the hosts' and known_hosts."""

    directory: Path

    @property
    def client_key(self) -> Path:
        return self.directory / "client_key"

    @property
    def known_hosts(self) -> Path:
        return self.directory / "known_hosts"

    @property
    def host_key(self) -> Path:
        return self.directory / "ssh_host_ed25519_key"


@dataclass
class SshdCluster(KeyFiles):
    """Loopback SSH hosts ``h1`` … ``hN`` at 127.0.0.2 … on one port."""

    directory: Path
    hosts: int = 8
    extra_config: str = ""
    port: int = field(default_factory=free_port)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    user: str = TEST_USER

    @property
    def addresses(self) -> list[str]:
        return [f"127.0.0.{FIRST_ADDRESS + index}" for index in range(self.hosts)]

    def start(self) -> SshdCluster:
        """Generate keys, write the configs and start the servers; wait until they answer."""
        self.directory.mkdir(parents=True, exist_ok=True)
        Path("/run/sshd").mkdir(parents=True, exist_ok=True)  # privilege separation directory
        _keygen(self.host_key)
        _keygen(self.client_key)
        public_key = (self.directory / "client_key.pub").read_text()
        (self.directory / "authorized_keys").write_text(public_key)
        ensure_user(self.user, public_key)
        self.write_known_hosts()
        groups = [
            self.addresses[start : start + ADDRESSES_PER_SSHD]
            for start in range(0, self.hosts, ADDRESSES_PER_SSHD)
        ]
        for index, group in enumerate(groups):
            config = self.directory / f"sshd_config.{index}"
            config.write_text(self._config(group, index))
            with (self.directory / f"sshd.{index}.log").open("wb") as log:
                self.processes.append(
                    subprocess.Popen(  # noqa: S603
                        [SSHD, "-D", "-e", "-f", str(config)], stderr=log, stdout=log
                    )
                )
        for address in self.addresses:
            self._wait_for(address)
        return self

    def write_known_hosts(self) -> None:
        public = (self.directory / "ssh_host_ed25519_key.pub").read_text().split()
        lines = [f"[{address}]:{self.port} {public[0]} {public[1]}" for address in self.addresses]
        self.known_hosts.write_text("\n".join(lines) + "\n")

    def stop(self) -> None:
        """Stop every server by its PID, with the per-connection processes it forked (they
        outlive a stopped listener while a client keeps its connection open)."""
        children = [pid for process in self.processes for pid in descendants(process.pid)]
        for process in self.processes:
            process.terminate()
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()
        forget_key(self.user, (self.directory / "client_key.pub").read_text())

    def calendar_text(
        self, tasks: str = "tasks: []\n", plugin_dirs: list[str] | None = None
    ) -> str:
        """A calendar with every host of the cluster (h1 … hN) and ``tasks``."""
        lines = [
            "timezone: UTC",
            f"plugin_dirs: {plugin_dirs or []}",
            "defaults:",
            "  timeout: 10s",
            "  retries: {attempts: 0, backoff: 1s}",
            f"  ssh: {{user: {self.user}, identity: {self.client_key}, "
            f"known_hosts: {self.known_hosts},"
            " connect_timeout: 3s}",
            "hosts:",
        ]
        for index, address in enumerate(self.addresses, 1):
            lines.append(
                f"  h{index}: {{address: {address}, port: {self.port}, groups: [cluster]}}"
            )
        return "\n".join(lines) + "\n" + tasks

    def _config(self, addresses: list[str], index: int) -> str:
        listen = [f"{address}:{self.port}" for address in addresses]
        return sshd_config(self, listen, str(index), extra=self.extra_config)

    def _wait_for(self, address: str, seconds: float = 10.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((address, self.port), timeout=1) as connection:
                    if connection.recv(4).startswith(b"SSH-"):
                        return
            except OSError:
                time.sleep(0.05)
        logs = " ".join(path.read_text() for path in self.directory.glob("sshd.*.log"))
        raise RuntimeError(f"sshd did not start on {address}:{self.port}: {logs}")


def descendants(pid: int) -> list[int]:
    """The PIDs of every process below ``pid``, read from /proc."""
    parent_of: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                parent_of[int(entry.name)] = int(fields[1])
    found: list[int] = []
    frontier = [pid]
    while frontier:
        current = frontier.pop()
        children = [child for child, parent in parent_of.items() if parent == current]
        found.extend(children)
        frontier.extend(children)
    return found


def ensure_user(name: str, public_key: str) -> None:
    """Create the test account if needed (shell /bin/sh, no password, usable by sshd without
    PAM) and authorise ``public_key`` for it, beside the keys of other test sessions running
    on the same machine (each has its own cluster and key; overwriting would lock them out)."""
    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(  # noqa: S603
            ["useradd", "--create-home", "--shell", "/bin/sh", name],  # noqa: S607
            check=True,
        )
    # An account with no password at all is "locked" to sshd without PAM; '*' is only unusable.
    subprocess.run(["usermod", "-p", "*", name], check=True)  # noqa: S603, S607
    account = pwd.getpwnam(name)
    ssh_dir = Path(account.pw_dir) / ".ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    keys = ssh_dir / "authorized_keys"
    with keys.open("a") as file:  # appending one line at once: sessions may start together
        file.write(public_key if public_key.endswith("\n") else public_key + "\n")
    for path in (ssh_dir, keys):
        os.chown(path, account.pw_uid, account.pw_gid)


def forget_key(name: str, public_key: str) -> None:
    """Remove a stopped cluster's key from the test account's authorized keys."""
    with contextlib.suppress(KeyError, FileNotFoundError):
        keys = Path(pwd.getpwnam(name).pw_dir) / ".ssh" / "authorized_keys"
        kept = [line for line in keys.read_text().splitlines() if line != public_key.strip()]
        keys.write_text("".join(f"{line}\n" for line in kept))


def _keygen(path: Path) -> None:
    if not path.exists():
        subprocess.run(  # noqa: S603
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],  # noqa: S607
            check=True,
        )
