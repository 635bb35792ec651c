"""A transport that answers from a table, for tests of everything after execution."""

from __future__ import annotations

from collections.abc import Callable

from maintd.execute.request import ExecRequest
from maintd.execute.transport import RawOutput

Answer = RawOutput | Callable[[ExecRequest], RawOutput]


class FakeTransport:
    """Returns the RawOutput set for each host (or computed from the request), and keeps
    every request it was given in ``requests``."""

    def __init__(self, answers: dict[str, Answer] | None = None, default: Answer | None = None):
        self.answers = answers or {}
        self.default = default or RawOutput(0, b"OK - fake", b"", 0.0)
        self.requests: list[ExecRequest] = []
        self.closed = False

    def run(self, request: ExecRequest) -> RawOutput:
        self.requests.append(request)
        answer = self.answers.get(request.host, self.default)
        return answer(request) if callable(answer) else answer

    def close(self) -> None:
        self.closed = True
