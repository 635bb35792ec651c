"""The execute stage: a task on its hosts -> raw outputs.

Takes a Task, its hosts and the plugin catalog; hands on ``RawOutput`` per host (exit code,
capped stdout/stderr, duration, and maintd's TIMEOUT / UNREACHABLE / ERROR when the command
could not answer). Transports: ``local`` (subprocess) and ``ssh`` (pooled paramiko); tests use
``FakeTransport``.
"""

from maintd.execute.request import ExecRequest
from maintd.execute.runner import HostRun, Runner
from maintd.execute.transport import LocalTransport, RawOutput, Transport

__all__ = ["ExecRequest", "HostRun", "LocalTransport", "RawOutput", "Runner", "Transport"]
