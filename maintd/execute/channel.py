"""One command on one open SSH channel, under a wall-clock deadline.

paramiko's own timeouts are inactivity timeouts and ``recv_exit_status()`` has none, so the
deadline is kept here. Stdout and stderr are read as they come (a large output must not stall
the window) into capped buffers. At the deadline the remote process group gets the RFC 4254
"signal" request, TERM then KILL, and the channel is closed; the remote `timeout` wrapper is the
second line of defence when the signal does not arrive.
"""

from __future__ import annotations

import time
from typing import Any

import paramiko
from paramiko.common import cMSG_CHANNEL_REQUEST
from paramiko.message import Message

from maintd.execute.request import KILL_AFTER_SECONDS, ExecRequest
from maintd.execute.transport import (
    TERM_GRACE_SECONDS,
    CappedBuffer,
    RawOutput,
    classify_exit,
    timed_out_reason,
)
from maintd.status import Status

# The host's `timeout` wrapper fires at the deadline; ours waits a little longer, so that the
# normal way a check times out is the host killing it and telling us (exit 124). The margin and
# the wait for the host to acknowledge our TERM together keep the status within timeout + 1 s
# even when the host has gone silent.
DEADLINE_MARGIN_SECONDS = 0.2
ACKNOWLEDGE_SECONDS = 0.4  # a live sshd answers a channel request in about one round trip
# (measured on the exec request): at least this long, or two of those round trips
SILENT_HOST = "; the host stopped answering, its own `timeout -k` ends the check"
POLL_SECONDS = 0.05  # stderr-only data and the exit status do not wake select()
READ_SIZE = 65536


def run_on_channel(channel: paramiko.Channel, request: ExecRequest, started: float) -> RawOutput:
    """Run ``request`` on ``channel`` (closed afterwards) and collect its output."""
    stdout, stderr = CappedBuffer(), CappedBuffer()
    deadline = started + request.timeout + DEADLINE_MARGIN_SECONDS
    round_trip: float | None = None
    try:
        round_trip = _start(channel, request.command, deadline)
        if round_trip is None:
            reason = (
                f"no answer within {request.timeout:g}s: the host stopped answering before it "
                "confirmed the start of the check; if it started, its own `timeout -k` ends it"
            )
            return RawOutput(
                None, b"", b"", time.monotonic() - started, failure=Status.TIMEOUT, reason=reason
            )
        acknowledge_within = max(ACKNOWLEDGE_SECONDS, 2 * round_trip)
        channel.sendall(request.stdin)
        # No shutdown_write(): paramiko builds the EOF message under the channel lock but sends
        # it after releasing it, so a command that ends quickly can have its channel closed in
        # between, and an EOF for a closed channel makes OpenSSH drop the whole connection
        # ("ieof packet referred to nonexistent channel"). The script needs no EOF: every
        # command it runs has stdin from /dev/null.
        finished = _collect(channel, stdout, stderr, deadline)
        if not finished:
            reason = timed_out_reason(request.timeout)
            if not _terminate(channel, stdout, stderr, acknowledge_within):
                reason += SILENT_HOST
            return RawOutput(
                None, stdout.value(), stderr.value(), time.monotonic() - started,
                stdout.dropped, stderr.dropped, Status.TIMEOUT, reason,
            )  # fmt: skip
        exit_code = channel.recv_exit_status()
    except (paramiko.SSHException, EOFError, OSError) as error:
        return RawOutput(
            None, stdout.value(), stderr.value(), time.monotonic() - started,
            stdout.dropped, stderr.dropped, Status.UNREACHABLE,
            f"the connection broke during the check: {error or type(error).__name__}",
            started=round_trip is not None,
        )  # fmt: skip
    finally:
        channel.close()
    failure, reason = classify_exit(exit_code, stderr.value(), request.timeout)
    if exit_code == -1:
        failure, reason = _no_exit_status(channel)
    return RawOutput(
        exit_code, stdout.value(), stderr.value(), time.monotonic() - started,
        stdout.dropped, stderr.dropped, failure, reason, started=True,
    )  # fmt: skip


def _collect(
    channel: paramiko.Channel, stdout: CappedBuffer, stderr: CappedBuffer, deadline: float
) -> bool:
    """Read until the command has exited and both streams are drained. False at the deadline.

    Waits in ``recv`` with a short timeout (paramiko wakes it as data arrives) rather than in
    select() on ``channel.fileno()``: that pipe is set by the transport thread while another
    thread may be closing it, and a closed descriptor number reused meanwhile (by a new
    channel's pipe, or a socket) got written into — it broke shared connections about once in
    a thousand checks under concurrency.
    """
    stdout_open = True
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        if channel.recv_stderr_ready():
            stderr.add(channel.recv_stderr(READ_SIZE))
            continue
        if stdout_open:
            channel.settimeout(min(remaining, POLL_SECONDS))
            try:
                data = channel.recv(READ_SIZE)
            except TimeoutError:
                continue
            if data:
                stdout.add(data)
                continue
            stdout_open = False  # EOF: the exit status follows
        if channel.status_event.wait(min(remaining, POLL_SECONDS)):
            _drain(channel, stdout, stderr)
            return True


def _drain(channel: paramiko.Channel, stdout: CappedBuffer, stderr: CappedBuffer) -> None:
    while channel.recv_ready():
        stdout.add(channel.recv(READ_SIZE))
    while channel.recv_stderr_ready():
        stderr.add(channel.recv_stderr(READ_SIZE))


def _no_exit_status(channel: paramiko.Channel) -> tuple[Status, str]:
    """Why a channel closed without an exit status: the whole connection went (sshd killed,
    host restarted), or the host ended the command some other way."""
    transport = channel.get_transport()
    if transport is None or not transport.is_active():
        return Status.UNREACHABLE, (
            "the connection closed during the check (sshd stopped or the host restarted?); "
            "what the check started ends at its own `timeout` on the host"
        )
    return Status.ERROR, "the host sent no exit status (killed by a signal?)"


def _terminate(
    channel: paramiko.Channel, stdout: CappedBuffer, stderr: CappedBuffer, within: float
) -> bool:
    """TERM, then KILL the remote process group; the host's `timeout -k` is the backstop.

    Returns False when the host did not acknowledge the TERM request ``within`` seconds: it
    has stopped answering, and waiting for the process to end would only delay the status (by
    TERM_GRACE_SECONDS + KILL_AFTER_SECONDS) for nothing.
    """
    if channel.closed or channel.exit_status_ready():
        return True
    if not _signal_acknowledged(channel, "TERM", stdout, stderr, within):
        _send_signal(channel, "KILL")  # in case the host is only slow; harmless otherwise
        return False
    if not _collect(channel, stdout, stderr, time.monotonic() + TERM_GRACE_SECONDS):
        _send_signal(channel, "KILL")
        _collect(channel, stdout, stderr, time.monotonic() + KILL_AFTER_SECONDS)
    return True


def _signal_acknowledged(
    channel: paramiko.Channel,
    signal_name: str,
    stdout: CappedBuffer,
    stderr: CappedBuffer,
    within: float,
) -> bool:
    """Send ``signal_name`` asking for a reply; True once the host shows it is alive (the reply,
    any output, the exit status or the channel's close) ``within`` seconds."""
    _drain(channel, stdout, stderr)  # output already here proves nothing about now
    _send_signal(channel, signal_name, want_reply=True)
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if channel.event.wait(POLL_SECONDS) or channel.closed or channel.exit_status_ready():
            return True
        if channel.recv_ready() or channel.recv_stderr_ready():
            _drain(channel, stdout, stderr)
            return True
    return False


def _start(channel: paramiko.Channel, command: str, deadline: float) -> float | None:
    """Send the exec request and wait for the host to accept it, until ``deadline``. Returns
    the round trip, or None when no reply came in time.

    paramiko's ``exec_command`` sends the same request but waits for the reply without any
    limit: a link that dies between the channel's open and that reply held the check until
    TCP gave up on the connection, a quarter of an hour later. Raises SSHException when the
    host refused the command or the channel closed.
    """
    sent = time.monotonic()
    _send_request(channel, "exec", command, want_reply=True)
    if not channel.event.wait(max(0.0, deadline - sent)):
        return None
    untyped: Any = channel  # ``event_ready`` is missing from paramiko's type stubs
    if not untyped.event_ready:
        transport = channel.get_transport()
        if transport is None or not transport.is_active():
            raise paramiko.SSHException("the connection closed")
        raise paramiko.SSHException("the host refused to run the command")
    return time.monotonic() - sent


def _send_signal(channel: paramiko.Channel, signal_name: str, want_reply: bool = False) -> None:
    """Send the RFC 4254 section 6.9 "signal" request (paramiko has no method for it)."""
    try:
        _send_request(channel, "signal", signal_name, want_reply)
    except (paramiko.SSHException, EOFError, OSError, AttributeError):
        return


def _send_request(channel: paramiko.Channel, kind: str, value: str, want_reply: bool) -> None:
    """Send a channel request carrying one string (RFC 4254 section 6.5, 6.9). paramiko sets
    the channel's ``event`` when the host answers one that wants a reply (success or failure):
    it is cleared first, as paramiko's own exec_command does."""
    message = Message()
    message.add_byte(cMSG_CHANNEL_REQUEST)
    message.add_int(channel.remote_chanid)
    message.add_string(kind)
    message.add_boolean(want_reply)
    message.add_string(value)
    untyped: Any = channel  # these internals are missing from paramiko's type stubs
    if want_reply:
        untyped._event_pending()  # noqa: SLF001
    untyped.transport._send_user_message(message)  # noqa: SLF001
