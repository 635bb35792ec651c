"""What the calendar fuzzers start from and how they mutate it: the example calendar as one
file, hypothesis strategies for odd values, and a data-level mutation (shared by the loader's
fuzz test and the command line's proving ground)."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import yaml
from hypothesis import strategies as st

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


def mutate_data(data: st.DataObject) -> Any:
    """The example calendar with one to four values replaced, deleted or added."""
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
    return mutated
