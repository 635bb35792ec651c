"""Fixtures with real servers: a cluster of loopback sshd hosts, shared by the session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sshd import SshdCluster, sshd_available

PLUGINS = Path(__file__).resolve().parent.parent / "plugins"


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshdCluster]:
    """Eight loopback SSH hosts h1 … h8 (127.0.0.2 …), logged in as root with a test key."""
    reason = sshd_available()
    if reason:
        pytest.skip(reason)
    started = SshdCluster(tmp_path_factory.mktemp("sshd"), hosts=8).start()
    yield started
    started.stop()
