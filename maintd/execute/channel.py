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
# normal way a check times out is the host killing it and telling us (exit 124).
DEADLINE_MARGIN_SECONDS = 1.0
POLL_SECONDS = 0.05  # stderr-only data and the exit status do not wake select()
READ_SIZE = 65536


def run_on_channel(channel: paramiko.Channel, request: ExecRequest, started: float) -> RawOutput:
    """Run ``request`` on ``channel`` (closed afterwards) and collect its output."""
    stdout, stderr = CappedBuffer(), CappedBuffer()
    deadline = started + request.timeout + DEADLINE_MARGIN_SECONDS
    try:
        channel.exec_command(request.command)
        channel.sendall(request.stdin)
        # No shutdown_write(): paramiko builds the EOF message under the channel lock but sends
        # it after releasing it, so a command that ends quickly can have its channel closed in
        # between, and an EOF for a closed channel makes OpenSSH drop the whole connection
        # ("ieof packet referred to nonexistent channel"). The script needs no EOF: every
        # command it runs has stdin from /dev/null.
        finished = _collect(channel, stdout, stderr, deadline)
        if not finished:
            _terminate(channel, stdout, stderr)
            return RawOutput(
                None, stdout.value(), stderr.value(), time.monotonic() - started,
                stdout.dropped, stderr.dropped, Status.TIMEOUT, timed_out_reason(request.timeout),
            )  # fmt: skip
        exit_code = channel.recv_exit_status()
    except (paramiko.SSHException, EOFError, OSError) as error:
        return RawOutput(
            None, stdout.value(), stderr.value(), time.monotonic() - started,
            stdout.dropped, stderr.dropped, Status.UNREACHABLE,
            f"the connection broke during the check: {error or type(error).__name__}",
        )  # fmt: skip
    finally:
        channel.close()
    failure, reason = classify_exit(exit_code, stderr.value(), request.timeout)
    if exit_code == -1:
        failure, reason = Status.ERROR, "the host sent no exit status (killed by a signal?)"
    return RawOutput(
        exit_code, stdout.value(), stderr.value(), time.monotonic() - started,
        stdout.dropped, stderr.dropped, failure, reason,
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


def _terminate(channel: paramiko.Channel, stdout: CappedBuffer, stderr: CappedBuffer) -> None:
    """TERM, then KILL the remote process group; the host's `timeout -k` is the backstop."""
    for signal_name, wait in (("TERM", TERM_GRACE_SECONDS), ("KILL", float(KILL_AFTER_SECONDS))):
        if channel.closed or channel.exit_status_ready():
            return
        _send_signal(channel, signal_name)
        if _collect(channel, stdout, stderr, time.monotonic() + wait):
            return


def _send_signal(channel: paramiko.Channel, signal_name: str) -> None:
    """Send the RFC 4254 section 6.9 "signal" request (paramiko has no method for it)."""
    message = Message()
    message.add_byte(cMSG_CHANNEL_REQUEST)
    message.add_int(channel.remote_chanid)
    message.add_string("signal")
    message.add_boolean(False)
    message.add_string(signal_name)
    transport: Any = channel.transport
    try:
        transport._send_user_message(message)  # noqa: SLF001 - see the docstring
    except (paramiko.SSHException, EOFError, OSError, AttributeError):
        return
