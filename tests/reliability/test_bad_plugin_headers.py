"""Fuzzed plugin headers never crash the command line: a plugin file whose header is broken in
its structure or its values (wrong types, unknown keys, broken YAML or fences, no shebang, bytes
that are not UTF-8), or an odd plugin file (huge, binary, empty, NUL bytes), makes `maintd
validate` exit 0 or exit 2 with a problem naming the plugin file; never a Python traceback.

The fuzz target runs a fixed number of derandomised examples (`MAINTD_FUZZ_EXAMPLES` scales
them) and counts what it tried (with `MAINTD_FIGURES` set, in bad_input.json there).
"""

from __future__ import annotations

import copy
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from maintd.errors import ConfigError
from maintd.plugins.catalog import read_plugin
from tests.calendar_fuzz import leaf_values, paths_of
from tests.reliability.bad_input_helpers import (
    FUZZ_COUNTS,
    assert_clear_outcome,
    assert_located_json,
    fuzz_settings,
    invoke,
    run_maintd,
)

pytestmark = pytest.mark.usefixtures("bad_input_figures")

PLUGIN_NAME = "fuzzed_plugin"
PARAM_TYPES = ["str", "int", "float", "bool", "list"]


def plugin_calendar(plugin_dir: Path) -> str:
    return textwrap.dedent(f"""\
        timezone: UTC
        plugin_dirs: [{plugin_dir}]
        hosts:
          self: {{transport: local}}
        tasks:
          - {{name: fuzzed, check: {PLUGIN_NAME}, hosts: [self], schedule: {{every: 1h}}}}
        """)


param_specs = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from([*PARAM_TYPES, "string", "", "INT"]) | leaf_values,
            "default": leaf_values,
            "required": st.booleans() | leaf_values,
            "description": st.text(max_size=20) | leaf_values,
            "choices": st.lists(leaf_values, max_size=3) | leaf_values,
            "bogus": leaf_values,
        },
    ),
    leaf_values,
)
param_names = st.sampled_from(["path", "warn", "task", "host", "Bad-Name", "", "9x"]) | st.text(
    max_size=8
)
header_data = st.fixed_dictionaries(
    {},
    optional={
        "name": st.just(PLUGIN_NAME) | st.sampled_from(["Bad Name", "", "a" * 300]) | leaf_values,
        "summary": st.text(max_size=40) | leaf_values,
        "description": st.text(max_size=40) | leaf_values,
        "params": st.dictionaries(param_names, param_specs, max_size=4) | leaf_values,
        "perfdata": st.lists(st.text(max_size=8), max_size=3) | leaf_values,
        "disruptive": st.booleans() | leaf_values,
        "unknown_key": leaf_values,
    },
)


VALID_HEADER = {
    "name": PLUGIN_NAME,
    "summary": "a plugin whose header is fuzzed",
    "params": {"path": {"type": "str", "default": "/"}, "warn": {"type": "float", "default": 80}},
    "perfdata": ["used"],
}


def rarely(draw: st.DrawFn, one_in: int) -> bool:
    """True once in ``one_in`` draws. Not on 0: hypothesis favours the smallest value."""
    return draw(st.integers(1, one_in)) == one_in // 2 + 1


def mutate_header(draw: st.DrawFn) -> Any:
    """A valid header with up to three values replaced, deleted or added (wrong types, unknown
    keys), or one built from scratch out of the header's keys with any values."""
    if rarely(draw, 4):
        return draw(header_data)
    header: Any = copy.deepcopy(VALID_HEADER)
    for _ in range(draw(st.integers(0, 3))):
        target = draw(st.sampled_from(paths_of(header)[1:]))
        parent = header
        for part in target[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[target[-1]] = draw(leaf_values | param_specs)
        elif action == "delete":
            del parent[target[-1]]
        elif isinstance(parent, dict):
            parent[draw(param_names)] = draw(leaf_values | param_specs)
        else:
            parent.append(draw(leaf_values))
    return header


def break_yaml(draw: st.DrawFn, header: str) -> str:
    position = draw(st.integers(0, len(header)))
    cut = draw(st.integers(0, 10))
    insert = draw(
        st.sampled_from(["[", ": ", "\t", "'", "&a *b", "- ", "\n", "{"]) | st.text(max_size=4)
    )
    return header[:position] + insert + header[position + cut :]


@st.composite
def plugin_files(draw: st.DrawFn) -> bytes:
    """A plugin file whose header is fuzzed in its structure and its values: wrong types,
    unknown keys, broken YAML, broken fences, no shebang, bytes that are not UTF-8."""
    header = yaml.safe_dump(mutate_header(draw), allow_unicode=True, default_flow_style=False)
    if rarely(draw, 4):
        header = break_yaml(draw, header)
    fence = "# ---"
    if rarely(draw, 10):
        fence = draw(st.sampled_from(["#---", "# --- ", "# ----", "#  ---", "// ---"]))
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    if rarely(draw, 10):
        lines.insert(draw(st.integers(0, len(lines))), "not a comment")
    shebang = "#!/bin/sh"
    if rarely(draw, 6):
        shebang = draw(st.sampled_from(["#!", "", "#!/usr/bin/env python3", "#! ", "#!/bin/sh\r"]))
    padding = [""] * (4 if rarely(draw, 10) else 0)  # the fence opens too late
    closing = [] if rarely(draw, 10) else [fence]
    text = "\n".join([shebang, *padding, fence, *lines, *closing, "echo OK", "exit 0", ""])
    content = text.encode("utf-8", errors="surrogatepass")
    if rarely(draw, 8):
        position = draw(st.integers(0, len(content)))
        bad = draw(st.sampled_from([b"\xff", b"\xc3(", b"\xed\xa0\x80", b"\x00"]))
        content = content[:position] + bad + content[position:]
    return content


@fuzz_settings()
@given(content=plugin_files())
def test_fuzzed_plugin_headers_give_exit_0_or_a_problem_naming_the_plugin_file(
    content: bytes, tmp_path: Path
) -> None:
    base = Path(tempfile.mkdtemp(dir=tmp_path))
    plugin_dir = base / "plugins"
    plugin_dir.mkdir()
    plugin = plugin_dir / "fuzzed"
    plugin.write_bytes(content)
    calendar = base / "calendar.yaml"
    calendar.write_text(plugin_calendar(plugin_dir))
    try:
        read_plugin(plugin)
        broken = False
    except ConfigError as error:
        assert all(problem.file == str(plugin) for problem in error.problems), error.show()
        broken = True
    FUZZ_COUNTS[f"plugin header {'broken' if broken else 'valid'}"] += 1
    result = invoke("validate", str(calendar))
    assert_clear_outcome(result, [calendar, plugin], "plugin validate")
    if broken:
        assert result.exit_code == 2
        assert f"\n{plugin}" in f"\n{result.stderr}", result.stderr
    assert_located_json(invoke("validate", str(calendar), "--format", "json"), [calendar, plugin])


def test_odd_plugin_files_are_refused_naming_the_file(tmp_path: Path) -> None:
    header = f"#!/bin/sh\n# ---\n# name: {PLUGIN_NAME}\n# summary: odd\n# ---\n"
    cases = {
        "huge": header.encode() + b"#" * (64 * 1024 * 1024) + b"\n",
        "huge_header": (
            f"#!/bin/sh\n# ---\n# name: {PLUGIN_NAME}\n# summary: odd\n# params:\n".encode()
            + b"".join(f"#   p{index}: {{type: int}}\n".encode() for index in range(20_000))
            + b"# ---\n"
        ),
        "binary": b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 100,
        "empty": b"",
        "no_shebang": header.split("\n", 1)[1].encode(),
        "nul_in_header": header.replace("odd", "o\0dd").encode(),
    }
    for name, content in cases.items():
        plugin_dir = tmp_path / name
        plugin_dir.mkdir()
        (plugin_dir / name).write_bytes(content)
        calendar = tmp_path / f"{name}.yaml"
        calendar.write_text(plugin_calendar(plugin_dir))
        result = invoke("validate", str(calendar))
        assert_clear_outcome(result, [calendar, plugin_dir / name], "odd plugin file")
        if name == "huge_header":  # large, yet a valid plugin under the size limit
            assert result.exit_code == 0, result.stderr
        else:
            assert result.exit_code == 2, (name, result.stdout)
            assert f"\n{plugin_dir / name}" in f"\n{result.stderr}", (name, result.stderr)
    # The real command, once: exit status 2 and the plugin file named on stderr.
    done = run_maintd("validate", str(tmp_path / "binary.yaml"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert str(tmp_path / "binary" / "binary") in done.stderr
