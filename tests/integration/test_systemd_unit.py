"""maintd.service passes `systemd-analyze verify` and stays well hardened."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPOSITORY

MAX_EXPOSURE = 2.0


@pytest.fixture
def unit(tmp_path: Path) -> Path:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze not installed (Debian's systemd package)")
    # verify fails when ExecStart's binary or a credential source is missing: point them at
    # this checkout's maintd and a stand-in key.
    maintd = Path(sys.executable).with_name("maintd")
    key = tmp_path / "id_ed25519"
    key.write_text("not a key")
    text = (REPOSITORY / "maintd.service").read_text()
    text = text.replace("/usr/local/bin/maintd", str(maintd))
    text = text.replace("id_ed25519:/etc/maintd/id_ed25519", f"id_ed25519:{key}")
    path = tmp_path / "maintd.service"
    path.write_text(text)
    return path


def test_the_unit_verifies(unit: Path) -> None:
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_unit_exposure_is_low(unit: Path) -> None:
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", "--no-pager", str(unit)],
        capture_output=True,
        text=True,
        check=False,
    )
    match = re.search(r"Overall exposure level for maintd\.service: ([0-9.]+)", result.stdout)
    assert match, result.stdout + result.stderr
    assert float(match.group(1)) <= MAX_EXPOSURE


def test_the_unit_speaks_the_notify_protocol_maintd_implements() -> None:
    text = (REPOSITORY / "maintd.service").read_text()
    for setting in ("Type=notify", "ExecReload=/bin/kill -HUP $MAINPID", "WatchdogSec=",
                    "Restart=on-failure", "StateDirectory=maintd", "LogsDirectory=maintd",
                    "ConfigurationDirectory=maintd", "LoadCredential=id_ed25519:"):  # fmt: skip
        assert setting in text


def test_the_unit_keeps_the_modes_maintd_creates_its_files_with() -> None:
    # maintd creates its database 0600 and its log files 0640 itself; UMask=0027 keeps the
    # log's group read, and the directories systemd makes are the group's to enter, not
    # everyone's (tests/reliability/test_security_files.py proves the files under any umask).
    text = (REPOSITORY / "maintd.service").read_text()
    for setting in ("UMask=0027", "StateDirectoryMode=0750", "LogsDirectoryMode=0750"):
        assert f"\n{setting}\n" in text
