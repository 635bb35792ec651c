"""What to run on a host, built purely: the fixed remote command and the script sent on stdin.

The remote command line never holds a parameter or a calendar value: it is always

    command -v timeout >/dev/null && exec [sudo -n] timeout -k K T /bin/sh -s || exec ...

and everything else travels over stdin to that shell: an environment preamble of
``export MAINTD_<NAME>='value'`` lines (each value through ``shlex.quote``), then either the
plugin handed to its interpreter as a here-document on file descriptor 3, or the argument list of
an existing program, each argument quoted. `timeout` on the host kills the whole process group
if maintd's own deadline and signals fail to reach it.
"""

from __future__ import annotations

import secrets
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

KILL_AFTER_SECONDS = 5
ENV_PREFIX = "MAINTD_"
SUDO_REFUSED_EXIT = 120
SUDO_REFUSED_MARK = "maintd: sudo -n refused"


@dataclass(frozen=True)
class ExecRequest:
    """One command for one host: the fixed shell line, its stdin, and the wall-clock limit."""

    host: str
    command: str
    stdin: bytes
    timeout: float


def remote_command(timeout: float, become: bool) -> str:
    """The shell line run on the host: /bin/sh reading its script from stdin, under `timeout`
    (when the host has it) and `sudo -n` (when the task or host says `become`)."""
    seconds = max(1, round(timeout))
    sudo = "sudo -n " if become else ""
    guarded = f"exec {sudo}timeout -k {KILL_AFTER_SECONDS} {seconds} /bin/sh -s"
    line = f"command -v timeout >/dev/null 2>&1 && {guarded} || exec {sudo}/bin/sh -s"
    if not become:
        return line
    # A sudo that wants a password would otherwise look like the plugin's exit code 1.
    refused = f"{{ echo '{SUDO_REFUSED_MARK} for' \"$(id -un)\" >&2; exit {SUDO_REFUSED_EXIT}; }}"
    return f"sudo -n true 2>/dev/null || {refused}; {line}"


def environment_preamble(params: Mapping[str, Any], context: Mapping[str, str]) -> str:
    """``export`` lines for the plugin's parameters (MAINTD_<NAME>) and maintd's context
    (MAINTD_TASK, MAINTD_HOST). Lists become newline-separated, booleans 1 or 0."""
    lines = []
    for name, value in [*context.items(), *params.items()]:
        variable = ENV_PREFIX + name.upper()
        lines.append(f"export {variable}={shlex.quote(format_value(value))}")
    return "\n".join(lines) + "\n" if lines else ""


def format_value(value: Any) -> str:
    """A parameter value as the plugin reads it from its environment."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(format_value(item) for item in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def plugin_script(interpreter: Sequence[str], content: bytes) -> bytes:
    """Run ``content`` with its interpreter: a quoted here-document on descriptor 3, so the
    script is never parsed by the shell. Its stdin is /dev/null: the shell starts it as soon as
    the here-document ends, without waiting for the end of the SSH channel's input (see
    channel.py for why maintd never sends that end)."""
    delimiter = _delimiter_not_in(content)
    command = " ".join(shlex.quote(word) for word in interpreter)
    body = content if content.endswith(b"\n") else content + b"\n"
    head = f"exec {command} /dev/fd/3 </dev/null 3<<'{delimiter}'\n".encode()
    return head + body + delimiter.encode() + b"\n"


def program_script(argv: Sequence[str]) -> bytes:
    """Run an existing program on the host with its arguments, each one quoted."""
    return ("exec " + " ".join(shlex.quote(word) for word in argv) + " </dev/null\n").encode()


def build_plugin_request(  # noqa: PLR0913 - each is one fact of the fire
    *,
    host: str,
    task: str,
    interpreter: Sequence[str],
    content: bytes,
    params: Mapping[str, Any],
    timeout: float,
    become: bool,
) -> ExecRequest:
    """The request that runs a check plugin with its parameters on ``host``."""
    preamble = environment_preamble(params, {"task": task, "host": host})
    stdin = preamble.encode() + plugin_script(interpreter, content)
    return ExecRequest(host, remote_command(timeout, become), stdin, timeout)


def build_program_request(
    *, host: str, task: str, argv: Sequence[str], timeout: float, become: bool
) -> ExecRequest:
    """The request that runs an existing program (a Nagios plugin by path) on ``host``."""
    preamble = environment_preamble({}, {"task": task, "host": host})
    stdin = preamble.encode() + program_script(argv)
    return ExecRequest(host, remote_command(timeout, become), stdin, timeout)


def _delimiter_not_in(content: bytes) -> str:
    while True:
        delimiter = f"MAINTD_PLUGIN_{secrets.token_hex(8)}"
        if delimiter.encode() not in content:
            return delimiter
