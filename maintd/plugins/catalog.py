"""Finding check plugins: the calendar's `plugin_dirs` first, then the built-in `checks/`.

A plugin is any file with a shebang and a metadata header. Its content is what gets sent to
the host, so the catalog keeps the bytes read at load time: a plugin edited on disk takes
effect on the next load or reload, never halfway through a run.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from maintd.errors import ConfigError, Problem, did_you_mean
from maintd.plugins.header import PluginSpec, parse_header


def _builtin_dir() -> Path:
    """Where the plugins shipped with maintd are: $MAINTD_CHECKS_DIR, else the checkout's
    `checks/` (running from source or an editable install), else /usr/share/maintd/checks
    (where an installation copies them; see README)."""
    configured = os.environ.get("MAINTD_CHECKS_DIR")
    if configured:
        return Path(configured)
    checkout = Path(__file__).resolve().parents[2] / "checks"
    return checkout if checkout.is_dir() else Path("/usr/share/maintd/checks")


BUILTIN_DIR = _builtin_dir()
MAX_PLUGIN_BYTES = 1024 * 1024  # the largest built-in plugin is 25 KB


@dataclass(frozen=True)
class Plugin:
    """A loaded plugin: what it declares, where it came from, how to run it."""

    spec: PluginSpec
    path: Path
    interpreter: tuple[str, ...]
    content: bytes


@dataclass
class Catalog:
    """Plugins by name, and the problems met while reading the directories."""

    plugins: dict[str, Plugin] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # A broken built-in plugin matters only to a calendar that uses it (by file name); the
    # site's own plugin directories are reported whole, as the site maintains them.
    builtin_problems: dict[str, list[Problem]] = field(default_factory=dict)

    def get(self, name: str) -> Plugin | None:
        """Return the plugin called ``name``, or None."""
        return self.plugins.get(name)

    def unknown_message(self, name: str) -> str:
        """Explain that no plugin is called ``name``, with the closest names."""
        hint = did_you_mean(name, sorted(self.plugins))
        return f"no check plugin named {name!r} in the plugin directories{hint}"


def load_catalog(plugin_dirs: list[str], builtin: Path | None = BUILTIN_DIR) -> Catalog:
    """Read every plugin of ``plugin_dirs`` and the built-in directory. A name found in an
    earlier directory wins over a later one (a site overrides a built-in plugin that way)."""
    catalog = Catalog()
    directories = [Path(directory) for directory in plugin_dirs]
    if builtin is not None and builtin.is_dir():
        directories.append(builtin)
    for directory in directories:
        if not directory.is_dir():
            catalog.problems.append(Problem("plugin directory does not exist", file=str(directory)))
            continue
        seen_here: dict[str, Path] = {}
        for path in sorted(directory.iterdir()):
            if not path.is_file() or path.name.startswith(".") or path.suffix in (".md", ".txt"):
                continue
            problems = (
                catalog.builtin_problems.setdefault(path.name, [])
                if directory == builtin
                else catalog.problems
            )
            _add_plugin(catalog, path, seen_here, problems)
    return catalog


def _add_plugin(
    catalog: Catalog, path: Path, seen_here: dict[str, Path], problems: list[Problem]
) -> None:
    try:
        plugin = read_plugin(path)
    except ConfigError as error:
        problems.extend(error.problems)
        return
    name = plugin.spec.name
    if name in seen_here:
        problems.append(
            Problem(f"plugin name {name!r} is also used by {seen_here[name]}", file=str(path))
        )
        return
    seen_here[name] = path
    catalog.plugins.setdefault(name, plugin)


def read_plugin(path: Path) -> Plugin:
    """Read one plugin file. Raises ConfigError when it cannot be read, is too large, or its
    shebang or header is wrong."""
    content = _read_content(path)
    first_line = content.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    if not first_line.startswith("#!") or not first_line[2:].strip():
        raise ConfigError(
            [Problem("a plugin starts with a shebang line (#!/bin/sh)", file=str(path), line=1)]
        )
    interpreter = tuple(shlex.split(first_line[2:]))
    return Plugin(parse_header(content, path), path, interpreter, content)


def _read_content(path: Path) -> bytes:
    """The plugin's bytes. A plugin is sent to the host on every run and kept in memory: a
    file far larger than any script (a binary, a log dropped in the directory) is refused."""
    try:
        with path.open("rb") as file:
            content = file.read(MAX_PLUGIN_BYTES + 1)
    except OSError as error:
        message = f"cannot read the plugin: {error.strerror or error}"
        raise ConfigError([Problem(message, file=str(path))]) from None
    if len(content) > MAX_PLUGIN_BYTES:
        message = (
            f"the file is larger than {MAX_PLUGIN_BYTES // 1024} KiB: not a plugin script "
            "(a binary or a data file in a plugin directory?)"
        )
        raise ConfigError([Problem(message, file=str(path))])
    return content
