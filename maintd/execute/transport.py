"""The transport interface, what a run returns, and the local transport.

A transport takes an ExecRequest and returns RawOutput; it never raises for a host problem.
When the command could not give an answer, ``failure`` says why in maintd's words (TIMEOUT,
UNREACHABLE, ERROR) and ``reason`` explains it for people.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import Protocol

from maintd.execute.request import SUDO_REFUSED_EXIT, SUDO_REFUSED_MARK, ExecRequest
from maintd.status import Status

OUTPUT_LIMIT = 64 * 1024  # bytes kept of stdout and of stderr; the rest is read and counted
TERM_GRACE_SECONDS = 1.0  # after TERM, before KILL
TIMEOUT_EXIT_CODES = {124, 137}  # coreutils timeout: timed out / killed after -k


@dataclass(frozen=True)
class RawOutput:
    """What came back from one command on one host."""

    exit_code: int | None
    stdout: bytes
    stderr: bytes
    duration: float
    stdout_dropped: int = 0
    stderr_dropped: int = 0
    failure: Status | None = None
    reason: str = ""
    # The host accepted the command: a failure after this (the connection broke mid-check) may
    # have left the check running or done on the host, so it is not simply tried again.
    started: bool = False


class Transport(Protocol):
    """Runs requests on hosts. Implementations: local, ssh (pooled), and FakeTransport."""

    def run(self, request: ExecRequest) -> RawOutput:
        """Run ``request`` and return what happened; never raises for a host's failure."""
        ...

    def close(self) -> None:
        """Release connections and processes."""
        ...


class CappedBuffer:
    """Keeps the first ``limit`` bytes of a stream and counts the rest: a plugin's first line
    is what matters, and a runaway one must not fill memory."""

    def __init__(self, limit: int = OUTPUT_LIMIT) -> None:
        self.limit = limit
        self.parts: list[bytes] = []
        self.kept = 0
        self.dropped = 0

    def add(self, data: bytes) -> None:
        room = self.limit - self.kept
        if room > 0:
            self.parts.append(data[:room])
            self.kept += min(room, len(data))
        self.dropped += max(0, len(data) - max(room, 0))

    def value(self) -> bytes:
        return b"".join(self.parts)


def timed_out_reason(timeout: float) -> str:
    """The message of a check killed at its deadline."""
    return f"no answer within {timeout:g}s: the check was terminated"


def classify_exit(exit_code: int, stderr: bytes, timeout: float) -> tuple[Status | None, str]:
    """maintd's status for exit codes that come from the wrapper, not from the plugin:
    the host's `timeout` killing it, or sudo refusing to run it."""
    if exit_code in TIMEOUT_EXIT_CODES:
        return Status.TIMEOUT, timed_out_reason(timeout)
    if exit_code == SUDO_REFUSED_EXIT and SUDO_REFUSED_MARK.encode() in stderr:
        user = stderr.decode("utf-8", errors="replace").strip().rsplit(" ", 1)[-1]
        return (
            Status.ERROR,
            f"sudo -n refused for {user}: add a NOPASSWD sudoers rule, or drop become",
        )
    return None, ""


class LocalTransport:
    """Runs requests on the maintenance host itself, through the same /bin/sh line and stdin
    script as over SSH, so a plugin behaves the same whichever way it is reached.

    ``limits``: how many checks may run at once per local host name (the host's
    ``concurrency``, as the SSH pool's sessions are for remote hosts); others wait their turn.
    """

    def __init__(self, limits: dict[str, int] | None = None) -> None:
        self._slots = {
            host: threading.BoundedSemaphore(limit) for host, limit in (limits or {}).items()
        }

    def run(self, request: ExecRequest) -> RawOutput:
        slot = self._slots.get(request.host)
        if slot is None:
            return self._run(request)
        with slot:
            return self._run(request)

    def _run(self, request: ExecRequest) -> RawOutput:
        started = time.monotonic()
        try:
            process = subprocess.Popen(  # noqa: S603 - fixed argv, the script comes on stdin
                ["/bin/sh", "-c", request.command],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # its own process group, so a timeout kills all of it
            )
        except OSError as error:
            return RawOutput(None, b"", b"", 0.0, failure=Status.ERROR, reason=str(error))
        stdout, stderr = CappedBuffer(), CappedBuffer()
        deadline = started + request.timeout
        timed_out = not _pump(process, request.stdin, stdout, stderr, deadline)
        if timed_out:
            _kill_group(process)
        exit_code = process.wait()
        duration = time.monotonic() - started
        failure: Status | None
        if timed_out:
            failure, reason = Status.TIMEOUT, timed_out_reason(request.timeout)
        else:
            failure, reason = classify_exit(exit_code, stderr.value(), request.timeout)
        return RawOutput(
            exit_code, stdout.value(), stderr.value(), duration,
            stdout.dropped, stderr.dropped, failure, reason,
        )  # fmt: skip

    def close(self) -> None:
        """Nothing to release: each run's process is waited for."""


def _pump(
    process: subprocess.Popen[bytes],
    stdin: bytes,
    stdout: CappedBuffer,
    stderr: CappedBuffer,
    deadline: float,
) -> bool:
    """Feed stdin and read both outputs until they close. False when the deadline passed."""
    assert process.stdin and process.stdout and process.stderr  # noqa: S101 - PIPE above
    selector = selectors.DefaultSelector()
    os.set_blocking(process.stdin.fileno(), False)
    pending = memoryview(stdin)
    if pending:
        selector.register(process.stdin, selectors.EVENT_WRITE)
    else:
        process.stdin.close()
    selector.register(process.stdout, selectors.EVENT_READ, stdout)
    selector.register(process.stderr, selectors.EVENT_READ, stderr)
    open_streams = 2
    try:
        while open_streams:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            for key, _ in selector.select(remaining):
                if key.fileobj is process.stdin:
                    pending = _write_some(process, selector, pending)
                    continue
                data = os.read(key.fd, 65536)
                if data:
                    key.data.add(data)
                else:
                    selector.unregister(key.fileobj)
                    open_streams -= 1
        return True
    finally:
        selector.close()
        for stream in (process.stdin, process.stdout, process.stderr):
            if not stream.closed:
                stream.close()


def _write_some(
    process: subprocess.Popen[bytes], selector: selectors.BaseSelector, pending: memoryview
) -> memoryview:
    assert process.stdin is not None  # noqa: S101 - PIPE
    try:
        written = os.write(process.stdin.fileno(), pending[:65536])
    except BrokenPipeError:
        written = len(pending)  # the script stopped reading: nothing more to send
    pending = pending[written:]
    if not pending:
        selector.unregister(process.stdin)
        process.stdin.close()
    return pending


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """TERM the check's process group, then KILL what is left after a grace period."""
    for sig, wait in ((signal.SIGTERM, TERM_GRACE_SECONDS), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            if sig == signal.SIGTERM:
                # The shell may be gone while children that ignore TERM live on.
                os.killpg(process.pid, signal.SIGKILL)
            return
        except subprocess.TimeoutExpired:
            continue
        except ProcessLookupError:
            return
