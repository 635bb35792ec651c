"""Fixtures of the end-to-end tests: a real HTTP server receiving notifications, and a
directory the loopback hosts' test account shares with the test."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.webhook import Webhook


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    server = Webhook()
    yield server
    server.close()


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory the hosts' test account can read and write (the loopback hosts share the
    file system with the test)."""
    directory = Path(tempfile.mkdtemp(prefix="maintd-e2e-"))
    directory.chmod(0o777)
    yield directory
    for path in directory.iterdir():
        path.unlink()
    directory.rmdir()
