"""Fixtures of the integration tests: the store on both databases it supports.

``store_url`` runs a test twice: on a fresh SQLite file, and on a fresh database of the
session's real PostgreSQL server (skipped, with the reason, where PostgreSQL cannot start).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from maintd.store import Ledger, open_store

_DATABASES = itertools.count(1)
Opener = Callable[[str], Ledger]


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "m.db")
    server = request.getfixturevalue("postgres")
    name = f"ledger_{next(_DATABASES)}"
    server.sql(f"CREATE DATABASE {name}")
    return str(server.url(name))


@pytest.fixture
def open_ledger() -> Iterator[Opener]:
    """``open_store``, with every ledger it opened closed after the test."""
    opened: list[Ledger] = []

    def open_(url: str) -> Ledger:
        opened.append(open_store(url))
        return opened[-1]

    yield open_
    for ledger in opened:
        ledger.close()
