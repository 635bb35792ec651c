"""Check plugins: discovery in the plugin directories, header parsing, parameter checks.

Takes the calendar's `plugin_dirs`; hands on a ``Catalog`` of ``Plugin`` values (spec,
interpreter, content) and the problems of tasks whose parameters do not fit their plugin.
"""

from maintd.plugins.catalog import BUILTIN_DIR, Catalog, Plugin, load_catalog, read_plugin
from maintd.plugins.header import ParamSpec, PluginSpec
from maintd.plugins.loading import load_checked
from maintd.plugins.params import check_calendar_plugins, resolve_params

__all__ = [
    "BUILTIN_DIR",
    "Catalog",
    "ParamSpec",
    "Plugin",
    "PluginSpec",
    "check_calendar_plugins",
    "load_catalog",
    "load_checked",
    "read_plugin",
    "resolve_params",
]
