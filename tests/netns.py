"""SSH hosts in their own network namespaces, for the network-fault tests.

``NetnsLab(directory, hosts=4).start()`` creates one namespace per host (``ip netns add``), joins
it to this machine with a veth pair on a private 10.2xx.y.z/30 that exists only inside this
machine, and starts an OpenSSH ``sshd -D`` inside it (``ip netns exec``), with the host key,
client key, test account and known_hosts made the way tests/sshd.py makes them. Faults are
injected into one host at a time: black-holing (nftables drop in its namespace), latency and
loss (a delaying relay and nftables, see ``slow_down``), its sshd killed, its link down.
``stop()`` stops every sshd by PID and deletes every veth and namespace, whatever state the
faults left them in. Nothing outside this machine is ever addressed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.sshd import (
    SSHD,
    TEST_USER,
    KeyFiles,
    descendants,
    ensure_user,
    forget_key,
    sshd_available,
    sshd_config,
)

SSH_PORT = 22  # the namespace is private: the standard port is free there
RELAY_PORT = 2222  # the latency relay, inside the namespace
BLACKHOLE_TABLE = "maintd_blackhole"
SLOW_TABLE = "maintd_slow"
REPOSITORY = Path(__file__).resolve().parent.parent


def netns_available() -> str | None:
    """Why namespace hosts cannot be made here, or None when they can."""
    reason = sshd_available()
    if reason:
        return reason
    for tool in ("ip", "nft"):
        if shutil.which(tool) is None:
            return f"{tool} not found (iproute2 and nftables are needed for namespace hosts)"
    probe = f"mdfprobe{secrets.token_hex(3)}"
    try:
        run_command("ip", "netns", "add", probe)
    except RuntimeError as error:
        return f"cannot create a network namespace here: {error}"
    run_command("ip", "netns", "del", probe, check=False)
    return None


def run_command(*command: str, stdin: str = "", check: bool = True) -> str:
    """Run ``command`` and return its output; raise RuntimeError with its error text when it
    fails, unless ``check`` is False."""
    done = subprocess.run(  # noqa: S603
        command, input=stdin, capture_output=True, text=True, check=False
    )
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)}: {done.stderr.strip()}")
    return done.stdout


@dataclass
class NetnsHost:
    """One host: its namespace, the veth end on this machine, and the sshd inside."""

    name: str
    namespace: str
    address: str  # inside the namespace, where sshd listens
    local_address: str  # this machine's end of the veth pair
    directory: Path
    process: subprocess.Popen[bytes] | None = None
    relay: subprocess.Popen[bytes] | None = None

    @property
    def veth(self) -> str:
        """This machine's end of the pair (named like the namespace)."""
        return self.namespace

    def in_namespace(self, *command: str, stdin: str = "") -> None:
        """Run ``command`` inside the host's namespace; raise when it fails."""
        run_command("ip", "netns", "exec", self.namespace, *command, stdin=stdin)

    # Faults, each with its undoing.

    def blackhole(self) -> None:
        """Drop every packet that arrives in the namespace: connects get no answer at all."""
        rules = f"""
            table inet {BLACKHOLE_TABLE} {{
                chain input {{ type filter hook input priority 0; iifname "eth0" drop; }}
            }}
        """
        self.in_namespace("nft", "-f", "-", stdin=rules)

    def clear_blackhole(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.in_namespace("nft", "delete", "table", "inet", BLACKHOLE_TABLE)

    def slow_down(self, delay_ms: int = 300, loss_percent: int = 5) -> None:
        """Give new connections to the host ``delay_ms`` of latency (on everything the host
        sends) and drop ``loss_percent`` of the packets it receives, at random.

        This kernel has no ``sch_netem`` (``tc qdisc ... netem`` says "Specified qdisc kind is
        unknown"), so the latency comes from a relay inside the namespace that holds each chunk
        of the host's answer for ``delay_ms`` (order kept, no throughput limit): nftables
        redirects new connections to port 22 to it. The loss is real packet loss (nftables
        ``numgen random``), which TCP has to recover from by retransmitting.
        """
        assert self.relay is None, "already slowed down"
        self.relay = subprocess.Popen(  # noqa: S603
            [
                *("ip", "netns", "exec", self.namespace, sys.executable, "-m", "tests.netns"),
                *("relay", self.address, str(RELAY_PORT), str(SSH_PORT), str(delay_ms / 1000)),
            ],
            cwd=REPOSITORY,
            stdout=subprocess.PIPE,
        )
        assert self.relay.stdout is not None
        self.relay.stdout.readline()  # "listening": the redirect may point at it now
        rules = f"""
            table ip {SLOW_TABLE} {{
                chain prerouting {{
                    type nat hook prerouting priority -100;
                    tcp dport {SSH_PORT} redirect to :{RELAY_PORT};
                }}
                chain input {{
                    type filter hook input priority 0;
                    iifname "eth0" numgen random mod 100 < {loss_percent} drop;
                }}
            }}
        """
        self.in_namespace("nft", "-f", "-", stdin=rules)

    def clear_slow_down(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.in_namespace("nft", "delete", "table", "ip", SLOW_TABLE)
        if self.relay is not None:
            self.relay.kill()
            self.relay.wait()
            if self.relay.stdout is not None:
                self.relay.stdout.close()
            self.relay = None

    def link_down(self) -> None:
        """Take the host's interface down: both ends of the pair lose their carrier."""
        self.in_namespace("ip", "link", "set", "eth0", "down")

    def link_up(self) -> None:
        self.in_namespace("ip", "link", "set", "eth0", "up")
        self.wait_until_listening()

    def kill_sshd(self) -> list[int]:
        """SIGKILL the listening sshd and every sshd session process under it (a crash, not a
        stop); return their PIDs. What the sessions started lives on, as after a real crash."""
        assert self.process is not None
        sessions = [pid for pid in descendants(self.process.pid) if _command_name(pid) == "sshd"]
        killed = [self.process.pid, *sessions]
        for pid in killed:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait()
        self.process = None
        return killed

    # The sshd.

    def start_sshd(self, config: Path) -> None:
        with (self.directory / f"sshd.{self.name}.log").open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603
                ["ip", "netns", "exec", self.namespace, SSHD, "-D", "-e", "-f", str(config)],  # noqa: S607
                stdout=log,
                stderr=log,
            )
        self.wait_until_listening()

    def stop_sshd(self) -> None:
        """Stop the sshd by PID, with its session processes (they outlive the listener)."""
        if self.process is None:
            return
        children = descendants(self.process.pid)
        self.process.terminate()
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def wait_until_listening(self, seconds: float = 10.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.address, SSH_PORT), timeout=1) as connection:
                    if connection.recv(4).startswith(b"SSH-"):
                        return
            except OSError:
                time.sleep(0.05)
        log = self.directory / f"sshd.{self.name}.log"
        raise RuntimeError(f"sshd did not answer on {self.address}: {log.read_text()}")

    # What runs on the host.

    def processes(self) -> list[str]:
        """Every process in the namespace except sshd's own (listener and sessions) and the
        latency relay, as "PID command line": what the checks left running on this host."""
        listed = run_command("ip", "netns", "pids", self.namespace, check=False)
        relay = self.relay.pid if self.relay is not None else None
        found = []
        for word in listed.split():
            pid = int(word)
            if pid != relay and _command_name(pid) not in ("sshd", ""):
                found.append(f"{pid} {_command_line(pid)}")
        return found


@dataclass
class NetnsLab(KeyFiles):
    """Hosts ``n1`` … ``nN``, each in its own namespace with its own sshd on port 22."""

    directory: Path
    hosts: int = 4
    user: str = TEST_USER
    members: list[NetnsHost] = field(default_factory=list)
    tag: str = field(default_factory=lambda: secrets.token_hex(3))

    def host(self, name: str) -> NetnsHost:
        return next(member for member in self.members if member.name == name)

    def start(self) -> NetnsLab:
        """Generate keys, make the namespaces and start their servers. On any failure what was
        made is removed again before the error is raised."""
        self.directory.mkdir(parents=True, exist_ok=True)
        Path("/run/sshd").mkdir(parents=True, exist_ok=True)  # privilege separation directory
        for key in (self.host_key, self.client_key):
            _keygen(key)
        public_key = (self.directory / "client_key.pub").read_text()
        (self.directory / "authorized_keys").write_text(public_key)
        ensure_user(self.user, public_key)
        subnet = _free_subnet()
        try:
            for index in range(1, self.hosts + 1):
                member = self._describe_host(index, subnet)
                self.members.append(member)  # from here on, stop() removes it
                _plumb(member)
            self._write_known_hosts()
            for member in self.members:
                member.start_sshd(self._write_config(member))
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every sshd, delete every veth and namespace; undo each even if another fails."""
        for member in self.members:
            member.clear_slow_down()
            member.stop_sshd()
            run_command("ip", "link", "del", member.veth, check=False)
            run_command("ip", "netns", "del", member.namespace, check=False)
        self.members.clear()
        forget_key(self.user, (self.directory / "client_key.pub").read_text())

    def restart_sshd(self, member: NetnsHost) -> None:
        member.start_sshd(self.directory / f"sshd_config.{member.name}")

    def calendar_text(
        self,
        tasks: str,
        plugin_dirs: list[str],
        connect_timeout: str = "2s",
        retries: str = "{attempts: 0, backoff: 1s}",
    ) -> str:
        """A calendar with every host (n1 … nN, group ``lab``) and ``tasks``."""
        lines = [
            "timezone: UTC",
            f"plugin_dirs: {plugin_dirs}",
            "defaults:",
            "  timeout: 10s",
            f"  retries: {retries}",
            f"  ssh: {{user: {self.user}, identity: {self.client_key}, "
            f"known_hosts: {self.known_hosts}, connect_timeout: {connect_timeout}}}",
            "hosts:",
        ]
        for member in self.members:
            lines.append(
                f"  {member.name}: {{address: {member.address}, port: {SSH_PORT}, groups: [lab]}}"
            )
        return "\n".join(lines) + "\n" + tasks

    def _describe_host(self, index: int, subnet: str) -> NetnsHost:
        # Interface names have at most 15 characters: "mdf" + 6 hex + "-" + index fits.
        base = 4 * index
        return NetnsHost(
            name=f"n{index}",
            namespace=f"mdf{self.tag}-{index}",
            address=f"{subnet}.{base + 2}",
            local_address=f"{subnet}.{base + 1}",
            directory=self.directory,
        )

    def _write_known_hosts(self) -> None:
        kind, key = (self.directory / "ssh_host_ed25519_key.pub").read_text().split()[:2]
        # Port 22 is written without brackets, as OpenSSH and paramiko look it up.
        lines = [f"{member.address} {kind} {key}" for member in self.members]
        self.known_hosts.write_text("\n".join(lines) + "\n")

    def _write_config(self, member: NetnsHost) -> Path:
        config = self.directory / f"sshd_config.{member.name}"
        config.write_text(sshd_config(self, [f"{member.address}:{SSH_PORT}"], member.name))
        return config


def _plumb(member: NetnsHost) -> None:
    """Make ``member``'s namespace and its veth pair, both ends addressed and up."""
    namespace = member.namespace
    run_command("ip", "netns", "add", namespace)
    run_command(
        "ip", "link", "add", member.veth, "type", "veth", "peer", "name", "eth0", "netns", namespace
    )
    run_command("ip", "addr", "add", f"{member.local_address}/30", "dev", member.veth)
    run_command("ip", "link", "set", member.veth, "up")
    run_command("ip", "-n", namespace, "addr", "add", f"{member.address}/30", "dev", "eth0")
    run_command("ip", "-n", namespace, "link", "set", "eth0", "up")
    run_command("ip", "-n", namespace, "link", "set", "lo", "up")


def _free_subnet() -> str:
    """A random 10.2xx.y /24 no interface here uses yet (other test sessions make their own
    namespaces on 10.2xx addresses too); each host takes one /30 of it."""
    used = run_command("ip", "-o", "-4", "addr")
    while True:
        subnet = f"10.{200 + secrets.randbelow(50)}.{secrets.randbelow(256)}"
        if f" {subnet}." not in used:
            return subnet


def _keygen(path: Path) -> None:
    if not path.exists():
        subprocess.run(  # noqa: S603
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],  # noqa: S607
            check=True,
        )


def _command_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


async def _relay(address: str, port: int, target_port: int, delay: float) -> None:
    """Accept on ``address:port`` and pass each connection to ``address:target_port``,
    holding every chunk the target sends for ``delay`` seconds."""

    async def forward(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, hold: float
    ) -> None:
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def send_when_due() -> None:
            while True:
                due, data = await queue.get()
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                if not data:
                    writer.close()
                    return
                writer.write(data)
                await writer.drain()

        sender = asyncio.create_task(send_when_due())
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                queue.put_nowait((time.monotonic() + hold, data))
        queue.put_nowait((time.monotonic() + hold, b""))
        with contextlib.suppress(OSError):
            await sender

    async def serve(client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter) -> None:
        try:
            server_in, server_out = await asyncio.open_connection(address, target_port)
        except OSError:
            client_out.close()
            return
        await asyncio.gather(
            forward(client_in, server_out, 0.0), forward(server_in, client_out, delay)
        )

    server = await asyncio.start_server(serve, address, port)
    print("listening", flush=True)  # noqa: T201 - the parent waits for this line
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    # python -m tests.netns relay ADDRESS PORT TARGET_PORT DELAY_SECONDS (run by slow_down)
    _, _, relay_address, relay_port, relay_target, relay_delay = sys.argv
    asyncio.run(_relay(relay_address, int(relay_port), int(relay_target), float(relay_delay)))
