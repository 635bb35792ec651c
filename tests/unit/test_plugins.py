"""Plugin headers, discovery and task parameters."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from maintd.config import load_calendar
from maintd.errors import ConfigError
from maintd.plugins import check_calendar_plugins, load_catalog, read_plugin, resolve_params

DISK = """\
#!/bin/sh
# ---
# name: disk_usage
# summary: Used space of one filesystem
# params:
#   path: {type: str, default: /}
#   warn: {type: float, default: 80}
#   crit: {type: float, default: 90}
#   mode: {type: str, default: space, choices: [space, inodes]}
#   label: {type: str, required: true}
# ---
echo "DISK OK"
"""


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(textwrap.dedent(text))
    return path


def test_a_header_declares_name_summary_and_typed_params(tmp_path: Path) -> None:
    plugin = read_plugin(write(tmp_path, "disk_usage", DISK))
    assert plugin.spec.name == "disk_usage"
    assert plugin.interpreter == ("/bin/sh",)
    assert plugin.spec.params["warn"].type == "float"
    assert plugin.spec.params["label"].required
    assert plugin.content.startswith(b"#!/bin/sh")


def test_an_env_shebang_is_split_into_its_words(tmp_path: Path) -> None:
    plugin = read_plugin(write(tmp_path, "p", DISK.replace("#!/bin/sh", "#!/usr/bin/env python3")))
    assert plugin.interpreter == ("/usr/bin/env", "python3")


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("echo hi\n", "shebang", 1),
        ("#!/bin/sh\necho hi\n", "no metadata header", None),
        ("#!/bin/sh\n# ---\n# name: x\n# ---\n", "missing required key 'summary'", 3),
        (
            "#!/bin/sh\n# ---\n# name: x\n# summary: y\n"
            "# params:\n#   n: {type: int, default: a}\n# ---\n",
            "default: expected int",
            6,
        ),
        (
            "#!/bin/sh\n# ---\n# name: x\n# summary: y\n# parms: {}\n# ---\n",
            "did you mean 'params'",
            5,
        ),
        ("#!/bin/sh\n# ---\n# name: x\n# summary: [\n# ---\n", "YAML syntax", 5),
    ],
)
def test_header_mistakes_point_at_the_plugin_file_line(
    tmp_path: Path, text: str, message: str, line: int | None
) -> None:
    path = write(tmp_path, "bad", text)
    with pytest.raises(ConfigError) as caught:
        read_plugin(path)
    (problem,) = caught.value.problems
    assert message in str(problem)
    assert problem.file == str(path)
    assert problem.line == line


def test_site_plugins_override_built_in_ones_and_problems_are_collected(tmp_path: Path) -> None:
    site, builtin = tmp_path / "site", tmp_path / "builtin"
    write(site, "disk", DISK.replace("Used space", "Site version"))
    write(builtin, "disk", DISK)
    write(builtin, "broken", "no shebang\n")
    catalog = load_catalog([str(site), str(tmp_path / "missing")], builtin=builtin)
    plugin = catalog.get("disk_usage")
    assert plugin is not None and plugin.spec.summary == "Site version of one filesystem"
    messages = [str(problem) for problem in catalog.problems]
    assert any("plugin directory does not exist" in message for message in messages)
    assert not any("shebang" in message for message in messages)  # built-in: only when used
    assert "shebang" in str(catalog.builtin_problems["broken"][0])
    assert catalog.unknown_message("disk_usge").endswith("did you mean 'disk_usage'?")


def test_task_params_are_checked_against_the_header(tmp_path: Path) -> None:
    write(tmp_path / "plugins", "disk", DISK)
    calendar = write(
        tmp_path,
        "c.yaml",
        """\
        plugin_dirs: [plugins]
        hosts: {h1: {vars: {mount: /srv}}, h2: {}}
        tasks:
          - name: a
            check: disk_usage
            hosts: [all]
            schedule: {every: 5m}
            params: {label: x, warn: high, mode: blocks, pth: /, extra: "${vars.mount}"}
          - name: b
            check: disk_usag
            hosts: [h1]
            schedule: {every: 5m}
          - name: c
            check: disk_usage
            hosts: [all]
            schedule: {every: 5m}
            params: {label: "${vars.mount}"}
          - name: d
            check: disk_usage
            hosts: [h1]
            schedule: {every: 5m}
        """,
    )
    loaded = load_calendar(calendar)
    problems = [
        str(problem)
        for problem in check_calendar_plugins(
            loaded, load_catalog(loaded.calendar.plugin_dirs, None)
        )
    ]
    assert problems == [
        f"{calendar}:8:30: tasks[0].params.warn: expected float, got str 'high'",
        f"{calendar}:8:42: tasks[0].params.mode: 'blocks' is not one of ['space', 'inodes']",
        f"{calendar}:8:55: tasks[0].params.pth: disk_usage has no parameter 'pth'; did you mean "
        "'path'? (it takes: crit, label, mode, path, warn)",
        f"{calendar}:8:65: tasks[0].params.extra: disk_usage has no parameter 'extra' (it takes: "
        "crit, label, mode, path, warn)",
        f"{calendar}:10:12: tasks[1].check: no check plugin named 'disk_usag' in the plugin "
        "directories; did you mean 'disk_usage'?",
        f"{calendar}:17:21: tasks[2].params.label: host h2 has no vars.mount",
        f"{calendar}:18:5: tasks[3].params: disk_usage needs the parameter 'label'",
    ]


def test_resolved_params_fill_defaults_and_host_variables(tmp_path: Path) -> None:
    write(tmp_path / "plugins", "disk", DISK)
    calendar = write(
        tmp_path,
        "c.yaml",
        """\
        plugin_dirs: [plugins]
        hosts: {h1: {vars: {mount: /srv}}}
        tasks:
          - {name: a, check: disk_usage, hosts: [h1], schedule: {every: 5m},
             params: {label: "data on ${vars.mount}", warn: 70}}
        """,
    )
    loaded = load_calendar(calendar)
    plugin = load_catalog(loaded.calendar.plugin_dirs, None).get("disk_usage")
    assert plugin is not None
    task, host = loaded.calendar.tasks[0], loaded.calendar.hosts["h1"]
    assert resolve_params(task, plugin.spec, host) == {
        "path": "/",
        "warn": 70,
        "crit": 90,
        "mode": "space",
        "label": "data on /srv",
    }
