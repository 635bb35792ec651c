"""Helpers shared by every tier of the suite."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent


@pytest.fixture
def write_calendar(tmp_path: Path) -> Callable[..., Path]:
    """Write dedented YAML to a file in a temporary directory and return its path."""

    def write(text: str, name: str = "calendar.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write
