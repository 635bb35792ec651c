"""The data path stays visible: each stage imports only from the stages before it, and each
heavy library is imported by exactly one package (STYLE.md, rules 1 and 2)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPOSITORY

PACKAGE = REPOSITORY / "maintd"
# The data path, in order (predict feeds incidents: DESIGN.md's diagram). `cli`, `pipeline`,
# `forecasting`, `service` and `service_endpoint` compose the stages and may import any of them.
STAGES = [
    "errors",
    "runtime",
    "status",
    "config",
    "plan",
    "schedule",
    "plugins",
    "execute",
    "results",
    "store",
    "predict",
    "respond",
    "report",
    "web",
]
COMPOSERS = {
    "cli",
    "pipeline",
    "forecasting",
    "service",
    "service_endpoint",
    "__main__",
    "__init__",
}
LIBRARY_TO_HOME = {
    "yaml": "maintd/config/source.py",
    "apscheduler": "maintd/schedule",
    "paramiko": "maintd/execute",
    "sqlalchemy": "maintd/store",
    "alembic": "maintd/store",
    "apprise": "maintd/respond",
}


def imports_of(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def stage_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


def test_no_stage_imports_a_later_one() -> None:
    backwards = []
    for path in PACKAGE.rglob("*.py"):
        stage = stage_of(path)
        if stage in COMPOSERS:
            continue
        assert stage in STAGES, f"{path}: add its stage to STAGES in the data-path order"
        for name in imports_of(path):
            parts = name.split(".")
            if parts[0] != "maintd" or len(parts) < 2:
                continue
            imported = parts[1]
            if imported in COMPOSERS or STAGES.index(imported) > STAGES.index(stage):
                backwards.append(f"{path.relative_to(REPOSITORY)} imports {name}")
    assert backwards == []


def test_each_heavy_library_is_imported_in_one_place() -> None:
    strays = []
    for path in PACKAGE.rglob("*.py"):
        relative = str(path.relative_to(REPOSITORY))
        for name in imports_of(path):
            home = LIBRARY_TO_HOME.get(name.split(".")[0])
            if home is not None and not relative.startswith(home):
                strays.append(f"{relative} imports {name} (belongs in {home})")
    assert strays == []
