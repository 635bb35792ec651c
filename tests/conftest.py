"""Helpers shared by every tier of the suite."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.postgres import PostgresServer, postgres_available
from tests.sshd import SshdCluster, sshd_available

REPOSITORY = Path(__file__).resolve().parent.parent
PLUGINS = REPOSITORY / "tests" / "plugins"


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshdCluster]:
    """Eight loopback SSH hosts h1 … h8 (127.0.0.2 …) with a test account and key."""
    reason = sshd_available()
    if reason:
        pytest.skip(reason)
    started = SshdCluster(tmp_path_factory.mktemp("sshd"), hosts=8).start()
    yield started
    started.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server on 127.0.0.1 (superuser postgres, trust on loopback)."""
    reason = postgres_available()
    if reason:
        pytest.skip(reason)
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture
def write_calendar(tmp_path: Path) -> Callable[..., Path]:
    """Write dedented YAML to a file in a temporary directory and return its path."""

    def write(text: str, name: str = "calendar.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write
