"""The daemon's HTTP endpoint: a small read-only server on one address, in its own thread.

The standard library's ``ThreadingHTTPServer``, not prometheus_client's ``start_http_server``,
which answers every path with metrics and listens on every interface (NOTES.md). It binds
exactly the address of the calendar's ``http.listen``, answers GET and HEAD on the paths it is
given, fixed ones first, then those its route recognises (path parameters, query strings; 404
elsewhere, 405 for other methods), and never lists or serves files. A client gets a
few seconds per request before its socket times out, and only so many are served at once, so a
slow or idle client cannot hold the threads. Requests are logged at DEBUG: a scrape every few
seconds is not news.
"""

from __future__ import annotations

import logging
import socket
import socketserver
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from maintd import __version__
from maintd.errors import EndpointError

log = logging.getLogger("maintd.web")
REQUEST_TIMEOUT_SECONDS = 5.0
MAX_CLIENTS = 16
ALLOWED_METHODS = ("GET", "HEAD")
PLAIN_TEXT = "text/plain; charset=utf-8"
STOP_WAIT_SECONDS = 5.0
MAX_DISCARDED_BODY = 64 * 1024


@dataclass(frozen=True)
class Reply:
    """What a page answers: an HTTP status and a text body."""

    status: int
    body: str
    content_type: str = PLAIN_TEXT


@dataclass(frozen=True)
class Request:
    """What a route is given: the path, still percent-encoded (so an encoded ``/`` inside a
    parameter stays one segment), and the query parameters (the last value of each)."""

    path: str
    query: Mapping[str, str]


Page = Callable[[], Reply]
Route = Callable[[Request], Reply | None]  # None: not one of its paths (the server says 404)


def parse_listen(listen: str) -> tuple[socket.AddressFamily, str, int]:
    """``"127.0.0.1:9108"`` → (AF_INET, "127.0.0.1", 9108); ``"[::1]:9108"`` → (AF_INET6,
    "::1", 9108). The calendar's validator has already checked the shape."""
    host, _, port = listen.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        return socket.AF_INET6, host[1:-1], int(port)
    return socket.AF_INET, host, int(port)


class HttpEndpoint:
    """Serves ``pages`` (path → page) on one address at a time, started, moved and stopped as
    the calendar's ``http.listen`` comes, changes and goes."""

    def __init__(
        self,
        pages: Mapping[str, Page],
        request_timeout: float = REQUEST_TIMEOUT_SECONDS,
        *,
        route: Route | None = None,
    ) -> None:
        """``pages``: fixed paths; ``route``: asked about every other path."""
        self.pages = dict(pages)
        self.route = route
        self.request_timeout = request_timeout  # seconds a client has for its request
        self.listen: str | None = None  # the address served now, None when not serving
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int] | None:
        """The (host, port) bound, or None when not serving."""
        if self._server is None:
            return None
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def follow(self, listen: str | None) -> bool:
        """Serve on ``listen``, or nowhere when it is None; return whether that changed
        anything. An address that failed before is tried again. Raises EndpointError when it
        cannot listen there (it then serves nowhere)."""
        if listen == self.listen:
            return False
        self.stop()
        if listen is not None:
            self.start(listen)
        return True

    def start(self, listen: str) -> None:
        """Bind ``listen`` and serve from a thread named "maintd-http". Raises EndpointError."""
        family, host, port = parse_listen(listen)
        try:
            server = _Server(family, (host, port), self.pages, self.route, self.request_timeout)
        except OSError as error:
            reason = error.strerror or str(error)
            raise EndpointError(f"cannot listen on {listen} for HTTP: {reason}") from error
        self._server, self.listen = server, listen
        self._thread = threading.Thread(
            target=server.serve_forever, name="maintd-http", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and release the address (requests in progress end by themselves)."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        self.listen = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(STOP_WAIT_SECONDS)


class _Server(ThreadingHTTPServer):
    allow_reuse_address = True  # a restart rebinds while old connections sit in TIME_WAIT
    allow_reuse_port = False  # a second listener on the port must fail, not share the traffic
    block_on_close = False  # stopping does not wait for slow clients; their sockets time out
    request_queue_size = MAX_CLIENTS  # the listen backlog (socketserver's default is 5)

    def __init__(
        self,
        family: socket.AddressFamily,
        address: tuple[str, int],
        pages: Mapping[str, Page],
        route: Route | None,
        request_timeout: float,
    ) -> None:
        self.address_family = family
        self.pages = pages
        self.route = route
        self.request_timeout = request_timeout
        self.clients = threading.BoundedSemaphore(MAX_CLIENTS)
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind asks DNS for the address's full name (getfqdn), which can hang
        # a start on a host without a resolver; nothing here needs the name.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.clients.acquire(blocking=False):
            self.shutdown_request(request)  # too many at once: dropped, the client retries
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.clients.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.clients.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up or stalls mid-answer is its own problem, not the daemon's:
        # socketserver would print a traceback to stderr.
        log.debug("HTTP client %s failed", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = f"maintd/{__version__}"

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.request_timeout)  # reads and writes alike

    def version_string(self) -> str:
        return self.server_version  # no Python version in the Server header

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False  # the error is sent already
        if self.command not in ALLOWED_METHODS:
            self._discard_body()
            reply = Reply(405, f"{self.command} is not allowed: this endpoint is read-only\n")
            self._send(reply, body=True, headers={"Allow": ", ".join(ALLOWED_METHODS)})
            return False
        return True

    def do_GET(self) -> None:  # noqa: N802 - the http.server protocol
        self._send(self._reply(), body=True)

    def do_HEAD(self) -> None:  # noqa: N802 - the http.server protocol
        self._send(self._reply(), body=False)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("HTTP %s %s", self.address_string(), format % args)

    def _discard_body(self) -> None:
        # Closing a socket with unread data sends a reset, which can cost the client the
        # answer: read a small body first (a large one is not worth the wait).
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return
        if 0 < length <= MAX_DISCARDED_BODY:
            self.rfile.read(length)

    def _reply(self) -> Reply:
        target = urlsplit(self.path)
        page = self.server.pages.get(target.path)
        try:
            if page is not None:
                return page()
            if self.server.route is not None:
                request = Request(target.path, dict(parse_qsl(target.query)))
                reply = self.server.route(request)
                if reply is not None:
                    return reply
        except Exception:  # one broken page must not take the endpoint down
            log.exception("HTTP %s failed", target.path)
            return Reply(500, "internal error; see the daemon's log\n")
        known = ", ".join(sorted(self.server.pages))
        return Reply(404, f"not found; this endpoint serves {known}\n")

    def _send(self, reply: Reply, *, body: bool, headers: Mapping[str, str] | None = None) -> None:
        data = reply.body.encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(data)
