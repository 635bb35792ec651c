"""Fixtures shared by several proving-ground modules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.reliability.bad_input_helpers import write_figures
from tests.webhook import Webhook


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    """A webhook receiver on loopback that records every notification posted to it."""
    server = Webhook()
    yield server
    server.close()


@pytest.fixture(scope="session")
def bad_input_figures() -> Iterator[None]:
    """At the end of the session, the bad-input tests' tally in $MAINTD_FIGURES/bad_input.json
    (when that is set): requested by each tests/reliability/test_bad_*.py module."""
    yield
    write_figures()
