"""Mutated calendars never crash the loader: they load, or raise ConfigError with located
problems. Text-level mutations exercise the YAML reader, data-level ones the model."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maintd.config import load_calendar
from maintd.errors import ConfigError
from maintd.plan import Planner
from tests.calendar_fuzz import SEED_TEXT, mutate_data


def check_outcome(path: Path) -> None:
    try:
        loaded = load_calendar(path)
    except ConfigError as error:
        assert error.problems
        for problem in error.problems:
            assert problem.message
            assert problem.file is not None
        return
    # A calendar that loads must also plan: the planner trusts the model.
    start = datetime(2026, 3, 28, tzinfo=UTC)
    planner = Planner(loaded.calendar)
    planner.plan(start, start + timedelta(days=2))
    planner.next_fire(start)


FUZZ_SETTINGS = settings(
    max_examples=int(os.environ.get("MAINTD_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ_SETTINGS
@given(data=st.data())
def test_data_mutations_load_or_give_located_problems(data: st.DataObject, tmp_path: Path) -> None:
    mutated = mutate_data(data)
    path = tmp_path / "fuzz.yaml"
    path.write_text(yaml.safe_dump(mutated, allow_unicode=True), encoding="utf-8")
    check_outcome(path)


@FUZZ_SETTINGS
@given(
    cuts=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(SEED_TEXT)),
            st.integers(0, 40),
            st.text(max_size=6),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_text_mutations_load_or_give_located_problems(
    cuts: list[tuple[int, int, str]], tmp_path: Path
) -> None:
    text = SEED_TEXT
    for position, length, insert in cuts:
        text = text[:position] + insert + text[position + length :]
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    check_outcome(path)


def test_the_seed_itself_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "seed.yaml"
    path.write_text(SEED_TEXT, encoding="utf-8")
    assert len(load_calendar(path).calendar.tasks) >= 10
