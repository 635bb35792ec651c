"""The SSH transport: one paramiko Transport per host, many exec channels on it.

paramiko is imported by this package only, and its exceptions never leave it: every failure
becomes a RawOutput whose ``failure`` is UNREACHABLE (connect, banner, host key, auth), TIMEOUT
or ERROR, with a reason a person can act on. Host keys are always checked against the
calendar's known_hosts file; an unknown or changed key is never accepted here.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field

import paramiko

from maintd.execute.channel import run_on_channel
from maintd.execute.hostkeys import KnownHosts, describe_key, host_key_name, preferred_algorithms
from maintd.execute.identity import IdentityError, load_identity
from maintd.execute.request import ExecRequest
from maintd.execute.targets import HostTarget
from maintd.execute.transport import RawOutput
from maintd.status import Status

IDLE_SECONDS = 300.0  # an unused connection is closed after this long
MAX_CONNECTIONS = 512
CHANNEL_OPEN_TRIES = 8  # a refused channel (MaxSessions reached) is retried with backoff,
# about 2.5 s in all: the server frees the slots of finished sessions asynchronously
AUTH_FAILURE_BACKOFF = 60.0  # OpenSSH penalises sources that keep failing: wait before retrying


class HostUnreachable(Exception):  # noqa: N818 - it names the outcome, like the status
    """Raised inside this module when a host cannot be reached; ``reason`` is for people."""

    def __init__(self, reason: str, status: Status = Status.UNREACHABLE) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass
class _Slot:
    """A host's place in the pool: its connection, and the limit of checks in flight."""

    sessions: threading.BoundedSemaphore
    lock: threading.Lock = field(default_factory=threading.Lock)
    transport: paramiko.Transport | None = None
    last_used: float = 0.0
    penalty_until: float = 0.0
    in_flight: int = 0
    counting: threading.Lock = field(default_factory=threading.Lock)
    stale: bool = False  # the host's settings changed: reconnect before the next check


class SshPool:
    """Runs requests over pooled SSH connections. Thread-safe; one instance per daemon."""

    def __init__(self, targets: dict[str, HostTarget], max_connections: int = MAX_CONNECTIONS):
        self.targets = targets
        self.max_connections = max_connections
        self._slots: dict[str, _Slot] = {}
        self._slots_lock = threading.Lock()

    def run(self, request: ExecRequest) -> RawOutput:
        """Run ``request`` on its host; every failure is reported in the result."""
        started = time.monotonic()
        target = self.targets[request.host]
        slot = self._slot(target)
        with slot.sessions:
            with slot.counting:
                slot.in_flight += 1
            try:
                return self._run_in_slot(request, target, slot, started)
            finally:
                with slot.counting:
                    slot.in_flight -= 1

    def _run_in_slot(
        self, request: ExecRequest, target: HostTarget, slot: _Slot, started: float
    ) -> RawOutput:
        for attempt in (1, 2):
            try:
                channel = self._open_channel(slot, target)
            except HostUnreachable as error:
                return _failed(error.status, error.reason, started)
            except paramiko.ChannelException as error:
                # The connection is fine but the server keeps refusing sessions: fail this
                # check alone; the other checks on the connection carry on.
                reason = f"{target.name} refused a new SSH session: {error.text}"
                return _failed(Status.UNREACHABLE, reason, started)
            except (paramiko.SSHException, EOFError, OSError) as error:
                # A connection that died while idle (is_active() can stay True when the
                # server froze): drop it, reconnect once, then give up.
                if attempt == 2:
                    return _failed(Status.UNREACHABLE, _reason(target, error), started)
                continue
            if time.monotonic() - started >= request.timeout:
                channel.close()
                return _failed(Status.TIMEOUT, _late_reason(request, started), started)
            try:
                return run_on_channel(channel, request, started)
            finally:
                slot.last_used = time.monotonic()
        raise AssertionError("unreachable")  # pragma: no cover

    def retarget(self, targets: dict[str, HostTarget]) -> None:
        """Take the hosts of a reloaded calendar: a host whose settings changed reconnects
        on its next check; unchanged ones keep their connection."""
        with self._slots_lock:
            named = list(self._slots.items())
        for name, slot in named:
            if targets.get(name) != self.targets.get(name):
                slot.stale = True
        self.targets = targets

    def fetch_host_key(self, name: str) -> tuple[str, paramiko.PKey]:
        """Connect to ``name`` without trusting it and return (known_hosts name, its key),
        for `maintd hosts trust`. Raises HostUnreachable."""
        target = self.targets[name]
        sock = self._socket(target)
        transport = paramiko.Transport(sock)
        try:
            transport.start_client(timeout=target.connect_timeout)
            return host_key_name(target.address, target.port), transport.get_remote_server_key()
        except (paramiko.SSHException, EOFError, OSError) as error:
            raise HostUnreachable(_reason(target, error)) from error
        finally:
            transport.close()

    def close_idle(self, idle_seconds: float = IDLE_SECONDS) -> int:
        """Close connections unused for ``idle_seconds``; return how many were closed."""
        closed = 0
        now = time.monotonic()
        for slot in self._all_slots():
            busy = slot.in_flight > 0
            if slot.transport is not None and not busy and now - slot.last_used > idle_seconds:
                with slot.lock:
                    self._drop(slot)
                    closed += 1
        return closed

    def open_connections(self) -> int:
        """How many hosts have a connection open now."""
        return sum(1 for slot in self._all_slots() if slot.transport is not None)

    def close(self) -> None:
        """Close every connection."""
        for slot in self._all_slots():
            self._drop(slot)

    def _all_slots(self) -> list[_Slot]:
        """A snapshot of the slots: a fire thread may add a host's slot meanwhile, and walking
        the dict itself would then fail ("dictionary changed size during iteration")."""
        with self._slots_lock:
            return list(self._slots.values())

    def _slot(self, target: HostTarget) -> _Slot:
        with self._slots_lock:
            slot = self._slots.get(target.name)
            if slot is None:
                slot = _Slot(threading.BoundedSemaphore(target.max_sessions))
                self._slots[target.name] = slot
            return slot

    def _open_channel(self, slot: _Slot, target: HostTarget) -> paramiko.Channel:
        transport = self._connection(slot, target)
        delay = 0.02
        for attempt in range(1, CHANNEL_OPEN_TRIES + 1):
            opening = time.monotonic()
            try:
                return transport.open_session(timeout=target.connect_timeout)
            except paramiko.ChannelException:
                # The server's MaxSessions is reached; sessions free up asynchronously.
                if attempt == CHANNEL_OPEN_TRIES:
                    raise
                time.sleep(delay)
                delay *= 2
            except (paramiko.SSHException, EOFError, OSError) as error:
                # The connection itself failed (is_active() can stay True when the server
                # froze): drop it, unless another check has already replaced it.
                with slot.lock:
                    if slot.transport is transport:
                        self._drop(slot)
                if time.monotonic() - opening >= target.connect_timeout:
                    # Silent for the whole connect timeout (host black-holed, link down): a
                    # reconnect would wait as long again, doubling the time to the status.
                    raise HostUnreachable(_silent_reason(target)) from error
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _connection(self, slot: _Slot, target: HostTarget) -> paramiko.Transport:
        with slot.lock:
            if slot.stale:
                # The host's settings changed in a reload. Checks still running on the old
                # connection end UNREACHABLE: rare, and better than reaching the old address.
                self._drop(slot)
                slot.stale = False
            if slot.transport is not None and slot.transport.is_active():
                return slot.transport
            self._drop(slot)
            if time.monotonic() < slot.penalty_until:
                raise HostUnreachable(
                    f"authentication failed recently for {target.user}@{target.address}; "
                    "not retrying yet"
                )
            self._make_room()
            try:
                slot.transport = self._connect(target)
            except HostUnreachable as error:
                if "authentication failed" in error.reason:
                    slot.penalty_until = time.monotonic() + AUTH_FAILURE_BACKOFF
                raise
            slot.last_used = time.monotonic()
            return slot.transport

    def _make_room(self) -> None:
        if self.open_connections() < self.max_connections:
            return
        idle = [slot for slot in self._all_slots() if slot.transport is not None]
        idle.sort(key=lambda slot: slot.last_used)
        for slot in idle[: max(1, len(idle) // 10)]:
            if slot.lock.acquire(blocking=False):
                try:
                    self._drop(slot)
                finally:
                    slot.lock.release()

    def _connect(self, target: HostTarget) -> paramiko.Transport:
        sock = self._socket(target)
        transport = paramiko.Transport(sock)
        try:
            transport.banner_timeout = target.connect_timeout
            transport.handshake_timeout = target.connect_timeout
            transport.auth_timeout = target.connect_timeout  # paramiko's own default is 30 s
            name = host_key_name(target.address, target.port)
            known = KnownHosts.load(target.known_hosts).lookup(name)
            options = transport.get_security_options()
            options.key_types = preferred_algorithms(known, tuple(options.key_types))
            transport.start_client(timeout=target.connect_timeout)
            _verify_host_key(target, name, known, transport.get_remote_server_key())
            _authenticate(transport, target)
            transport.set_keepalive(max(1, round(target.keepalive)))
            return transport
        except HostUnreachable:
            transport.close()
            raise
        except (paramiko.SSHException, EOFError, OSError) as error:
            transport.close()
            raise HostUnreachable(_reason(target, error)) from error

    def _socket(self, target: HostTarget) -> socket.socket | paramiko.Channel:
        if target.jump is not None:
            jump_slot = self._slot(target.jump)
            try:
                jump = self._connection(jump_slot, target.jump)
                return jump.open_channel(
                    "direct-tcpip",
                    (target.address, target.port),
                    ("127.0.0.1", 0),
                    timeout=target.connect_timeout,
                )
            except HostUnreachable as error:
                raise HostUnreachable(
                    f"via jump host {target.jump.name}: {error.reason}"
                ) from error
            except (paramiko.SSHException, EOFError, OSError) as error:
                reason = f"jump host {target.jump.name} cannot reach {target.address}:{target.port}"
                raise HostUnreachable(f"{reason}: {error}") from error
        try:
            sock = socket.create_connection(
                (target.address, target.port), timeout=target.connect_timeout
            )
        except OSError as error:
            raise HostUnreachable(_reason(target, error)) from error
        # Without TCP_NODELAY, Nagle + delayed ACK add ~40 ms to every exec on a warm connection.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        return sock

    def _drop(self, slot: _Slot) -> None:
        transport, slot.transport = slot.transport, None
        if transport is not None:
            transport.close()


def _verify_host_key(
    target: HostTarget, name: str, known: list[paramiko.PKey], offered: paramiko.PKey
) -> None:
    if not known:
        raise HostUnreachable(
            f"host key of {name} is unknown ({describe_key(offered)}); it is not in "
            f"{target.known_hosts}. Check it, then run: maintd hosts trust {target.name}"
        )
    if offered not in known:
        recorded = ", ".join(describe_key(key) for key in known)
        raise HostUnreachable(
            f"HOST KEY CHANGED for {name}: it offered {describe_key(offered)} but "
            f"{target.known_hosts} has {recorded}. Someone may be intercepting the connection; "
            "if the host was reinstalled, remove the old key and run: "
            f"maintd hosts trust {target.name}"
        )


def _authenticate(transport: paramiko.Transport, target: HostTarget) -> None:
    keys = _client_keys(target)
    if not keys:
        raise HostUnreachable(
            f"no key to log in to {target.name} with: set identity in the calendar", Status.ERROR
        )
    for key in keys:
        try:
            transport.auth_publickey(target.user, key)
        except paramiko.AuthenticationException:
            continue
        if transport.is_authenticated():
            return
    raise HostUnreachable(
        f"authentication failed for {target.user}@{target.address} "
        f"(offered {', '.join(key.fingerprint for key in keys)})"
    )


def _client_keys(target: HostTarget) -> list[paramiko.PKey]:
    keys: list[paramiko.PKey] = []
    if target.identity:
        try:
            keys.append(load_identity(target))
        except IdentityError as error:
            raise HostUnreachable(str(error), Status.ERROR) from error
    if target.agent:
        keys.extend(paramiko.Agent().get_keys())
    return keys


def _reason(target: HostTarget, error: BaseException) -> str:
    where = f"{target.address}:{target.port}"
    if isinstance(error, ConnectionRefusedError):
        return f"connection refused by {where} (no SSH server listening?)"
    if isinstance(error, TimeoutError | socket.timeout):
        return f"no answer from {where} within {target.connect_timeout:g}s"
    if isinstance(error, socket.gaierror):
        return f"cannot resolve {target.address}: {error.strerror}"
    if isinstance(error, EOFError):
        return f"{where} closed the connection during the SSH handshake"
    text = str(error) or type(error).__name__
    return f"{where}: {text}"


def _silent_reason(target: HostTarget) -> str:
    where = f"{target.address}:{target.port}"
    return (
        f"no answer from {where} within {target.connect_timeout:g}s on the open connection "
        "(dropped; the next check connects anew)"
    )


def _late_reason(request: ExecRequest, started: float) -> str:
    """A check whose whole time went on reaching the host (slow link, busy sessions) is not
    started at all: it would only be killed at once."""
    return (
        f"no answer within {request.timeout:g}s: reaching the host took "
        f"{time.monotonic() - started:.1f}s, the check was not started"
    )


def _failed(status: Status, reason: str, started: float) -> RawOutput:
    return RawOutput(None, b"", b"", time.monotonic() - started, failure=status, reason=reason)
