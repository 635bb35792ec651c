"""One HTTP request to a server the test started on a loopback address."""

from __future__ import annotations

import http.client


def fetch(  # noqa: PLR0913 - a request's parts, each with the usual default
    port: int,
    path: str,
    method: str = "GET",
    *,
    body: str | None = None,
    host: str = "127.0.0.1",
    timeout: float = 5.0,
) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of one request; the connection is closed after it."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request(method, path, body=body)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()
