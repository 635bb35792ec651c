"""The README's first command: `scripts/demo` runs the daemon on the example calendar."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from tests.conftest import REPOSITORY


def test_the_demo_runs_the_daemon_on_the_example_calendar(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "MAINTD_EXTRAS": "test",  # the virtualenv the tests run in: nothing to reinstall
        "DEMO_SECONDS": "3",
        "DEMO_DIR": str(tmp_path),
        "DAYS": "1",
    }
    env.pop("MAINTD_CONFIG", None)
    done = subprocess.run(  # noqa: S603
        [str(REPOSITORY / "scripts" / "demo")],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "== maintd run schedules for 3s" in done.stdout
    (day_log,) = (tmp_path / "logs").glob("*.log")
    text = day_log.read_text()
    assert re.search(r"EVENT       started: \d+ jobs from schedules", text), text
    assert "EVENT       stopped (0 checks still running" in text
    assert (tmp_path / "maintd.db").stat().st_mode & 0o777 == 0o600
