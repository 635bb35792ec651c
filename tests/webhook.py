"""A real HTTP server on loopback that receives webhook notifications (apprise `json://`)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Webhook:
    """Collects every JSON body POSTed to it, with the path it was posted to."""

    def __init__(self) -> None:
        received: list[dict[str, Any]] = []
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server protocol
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                received.append({"path": self.path, **body})
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def titles(self, path: str | None = None) -> list[str]:
        return [item["title"] for item in list(self.received) if path in (None, item["path"])]

    def wait_for(self, text: str, path: str | None = None, seconds: float = 20.0) -> dict[str, Any]:
        """The first notification whose title holds ``text`` (posted to ``path``, if given)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for item in list(self.received):
                if text in item["title"] and path in (None, item["path"]):
                    return item
            time.sleep(0.1)
        raise AssertionError(f"no notification {text!r} at {path}: got {self.titles()}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
