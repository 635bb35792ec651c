"""The HTTP endpoint's server on real loopback sockets: only its paths, only GET and HEAD, no
caching, a slow client cut off without holding up the others, a taken port refused with a
clear error, and a move to another address that frees the old one."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from maintd import __version__
from maintd.errors import EndpointError
from maintd.web import HttpEndpoint, Reply
from maintd.web.server import parse_listen
from tests.fetch import fetch
from tests.sshd import free_port


def request(port: int, method: str = "GET", path: str = "/hello", body: str | None = None,
            host: str = "127.0.0.1") -> tuple[int, dict[str, str], str]:  # fmt: skip
    status, headers, answer = fetch(port, path, method, body=body, host=host)
    return status, headers, answer.decode()


def broken() -> Reply:
    raise RuntimeError("boom")


@pytest.fixture
def endpoint() -> Iterator[HttpEndpoint]:
    served = HttpEndpoint({"/hello": lambda: Reply(200, "hi\n"), "/broken": broken})
    served.start(f"127.0.0.1:{free_port()}")
    yield served
    served.stop()


def port_of(endpoint: HttpEndpoint) -> int:
    assert endpoint.address is not None
    return endpoint.address[1]


def test_only_its_paths_and_only_get_and_head_are_answered(endpoint: HttpEndpoint) -> None:
    port = port_of(endpoint)
    status, headers, body = request(port, path="/hello?x=1")
    assert (status, body) == (200, "hi\n")
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    assert headers["Server"] == f"maintd/{__version__}"  # no Python version given away
    status, headers, body = request(port, "HEAD")
    assert (status, headers["Content-Length"], body) == (200, "3", "")
    status, _, body = request(port, path="/")
    assert status == 404 and "/hello" in body  # no listing, no files
    assert request(port, path="/../../etc/passwd")[0] == 404
    for method in ("POST", "PUT", "DELETE", "OPTIONS", "BREW"):
        status, headers, body = request(port, method, body="x=1")
        assert (status, headers["Allow"]) == (405, "GET, HEAD"), method
    status, _, body = request(port, path="/broken")
    assert (status, body) == (500, "internal error; see the daemon's log\n")
    assert request(port)[0] == 200  # the failure took nothing down


def test_a_slow_client_is_cut_off_and_does_not_hold_up_the_others() -> None:
    endpoint = HttpEndpoint({"/hello": lambda: Reply(200, "hi\n")}, request_timeout=0.5)
    endpoint.start(f"127.0.0.1:{free_port()}")
    port = port_of(endpoint)
    try:
        with socket.create_connection(("127.0.0.1", port)) as slow:
            slow.sendall(b"GET /hel")  # and nothing more
            assert request(port)[0] == 200  # meanwhile, others are served
            slow.settimeout(5)
            started = time.monotonic()
            assert slow.recv(1024) == b""  # the server closed it
            assert time.monotonic() - started < 2
    finally:
        endpoint.stop()


def test_a_taken_port_is_a_clear_error_and_a_move_frees_the_old_address() -> None:
    endpoint = HttpEndpoint({"/hello": lambda: Reply(200, "hi\n")})
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = f"127.0.0.1:{squatter.getsockname()[1]}"
        with pytest.raises(EndpointError, match=f"cannot listen on {taken} for HTTP: Address"):
            endpoint.follow(taken)
    assert endpoint.listen is None and endpoint.address is None
    try:
        first, second = free_port(), free_port()
        assert endpoint.follow(f"127.0.0.1:{first}")
        assert not endpoint.follow(f"127.0.0.1:{first}")  # unchanged: left alone
        assert request(first)[0] == 200
        assert endpoint.follow(f"127.0.0.1:{second}")
        assert request(second)[0] == 200
        with pytest.raises(ConnectionRefusedError):
            request(first)
        assert endpoint.follow(None)
        with pytest.raises(ConnectionRefusedError):
            request(second)
    finally:
        endpoint.stop()


def test_an_ipv6_address_is_bound_as_written() -> None:
    assert parse_listen("[::1]:9108") == (socket.AF_INET6, "::1", 9108)
    assert parse_listen("127.0.0.1:9108") == (socket.AF_INET, "127.0.0.1", 9108)
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    endpoint = HttpEndpoint({"/hello": lambda: Reply(200, "hi\n")})
    try:
        endpoint.start(f"[::1]:{free_port()}")
    except EndpointError as error:
        pytest.skip(f"no IPv6 loopback here: {error}")
    try:
        assert endpoint.address is not None and endpoint.address[0] == "::1"
        assert request(endpoint.address[1], host="::1")[0] == 200
    finally:
        endpoint.stop()
