"""Fixtures with real servers live in tests/conftest.py (shared with the e2e tier)."""

from __future__ import annotations

from tests.conftest import PLUGINS

__all__ = ["PLUGINS"]
