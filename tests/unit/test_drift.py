"""Drift tests: the tree stays honest about itself."""

from __future__ import annotations

import subprocess
import sys

from pydantic import BaseModel

from maintd.config import load_calendar
from maintd.config.model import Calendar
from maintd.config.reference import _models_in_order, render_reference
from maintd.plugins import load_catalog
from tests.conftest import REPOSITORY


def test_the_example_calendars_validate_as_they_are() -> None:
    loaded = load_calendar(REPOSITORY / "schedules")
    assert len(loaded.calendar.tasks) >= 10
    checks = {task.check for task in loaded.calendar.tasks}
    for kind in ("backup_postgres", "patch_scan", "db_optimise_postgres", "disk_usage"):
        assert kind in checks


def test_every_built_in_plugin_has_a_valid_header() -> None:
    catalog = load_catalog([])
    broken = {name: [str(problem) for problem in problems]
              for name, problems in catalog.builtin_problems.items() if problems}  # fmt: skip
    assert broken == {}
    names = {path.name for path in (REPOSITORY / "checks").iterdir() if path.is_file()}
    assert names == set(catalog.plugins), "a plugin's file name should be its header name"
    for plugin in catalog.plugins.values():
        assert plugin.path.stat().st_mode & 0o111, f"{plugin.path} should be executable"


def test_each_example_file_teaches_with_comments() -> None:
    for path in sorted((REPOSITORY / "schedules").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert text.startswith("#"), f"{path.name} should open with a comment saying what it holds"


def test_the_calendar_reference_is_generated_from_the_current_models() -> None:
    committed = (REPOSITORY / "docs" / "calendar.md").read_text(encoding="utf-8")
    assert committed == render_reference(), (
        "docs/calendar.md is stale: run `python -m maintd.config.reference > docs/calendar.md`"
    )


def test_every_calendar_key_is_described() -> None:
    models: list[type[BaseModel]] = _models_in_order(Calendar)
    undocumented = [
        f"{model.__name__}.{name}"
        for model in models
        for name, field in model.model_fields.items()
        if not field.description
    ]
    assert undocumented == []
    assert all(model.__doc__ for model in models)


def test_the_package_runs_as_a_module_without_a_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "maintd", "validate", str(REPOSITORY / "schedules")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: ")


def test_the_readme_lists_every_built_in_plugin_with_its_metrics() -> None:
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    rows = {
        line.split("|")[1].strip().strip("`"): line
        for line in readme.splitlines()
        if line.startswith("| `")
    }
    catalog = load_catalog([])
    for name, plugin in catalog.plugins.items():
        assert name in rows, f"README's plugin table has no row for {name}"
        for label in plugin.spec.perfdata:
            assert f"`{label}`" in rows[name], f"README's row for {name} misses {label}"
        changes = rows[name].rstrip().rstrip("|").rsplit("|", 1)[1].strip() == "yes"
        assert changes == plugin.spec.disruptive, f"README's 'changes the host' for {name}"
