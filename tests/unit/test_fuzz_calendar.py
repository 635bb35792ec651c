"""Mutated calendars never crash the loader: they load, or raise ConfigError with located
problems. Text-level mutations exercise the YAML reader, data-level ones the model."""

from __future__ import annotations

import copy
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maintd.config import load_calendar
from maintd.errors import ConfigError
from maintd.plan import Planner
from tests.conftest import REPOSITORY

EXAMPLES = REPOSITORY / "schedules"


def seed_text() -> str:
    """The example calendar as one file: the site, then every file's task list under one key."""
    site = (EXAMPLES / "site.yaml").read_text(encoding="utf-8")
    task_lists = [
        path.read_text(encoding="utf-8").split("tasks:\n", 1)[1]
        for path in sorted(EXAMPLES.glob("*.yaml"))
        if path.name != "site.yaml"
    ]
    return site + "\ntasks:\n" + "".join(task_lists)


SEED_TEXT = seed_text()
SEED_DATA = yaml.safe_load(SEED_TEXT)

leaf_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(["5m", "0s", "*/5 * * * *", "61 * * * *", "all", "01:30", "@daily", "CN", ""]),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 1, 1)),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def paths_of(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found.extend(paths_of(value, (*prefix, key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found.extend(paths_of(value, (*prefix, index)))
    return found


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
    mutated = copy.deepcopy(SEED_DATA)
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        paths = paths_of(mutated)[1:]
        if not paths:
            break
        target = data.draw(st.sampled_from(paths))
        parent = mutated
        for part in target[:-1]:
            parent = parent[part]
        action = data.draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[target[-1]] = data.draw(leaf_values)
        elif action == "delete":
            del parent[target[-1]]
        elif isinstance(parent, dict):
            parent[data.draw(st.text(max_size=8))] = data.draw(leaf_values)
        else:
            parent.append(data.draw(leaf_values))
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
