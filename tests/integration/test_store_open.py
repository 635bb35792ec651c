"""A database that cannot be opened is one clear line naming the URL (its password hidden) and
exit 1, never a traceback: a server that refuses, a port that is not a number, an unknown
scheme, a directory that cannot exist, a file that is not a database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.sshd import free_port


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql+psycopg://ops:S3CRET@127.0.0.1:{port}/x", "ops:***@127.0.0.1"),
        ("postgresql+psycopg://ops:S3CRET@127.0.0.1:notaport/x", "ops:***@127.0.0.1:notaport"),
        ("nosuch://ops:S3CRET@host/x", "Can't load plugin"),
        ("/proc/no/such/maintd.db", "/proc/no"),
        ("{not_a_database}", "file is not a database"),
    ],
)
def test_a_database_that_cannot_be_opened_is_one_line(url: str, says: str, tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not SQLite\n" * 100)
    url = url.format(port=free_port(), not_a_database=junk)
    done = subprocess.run(
        [sys.executable, "-m", "maintd", "history", "--db", url],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("maintd: cannot open the database "), done.stderr
    assert says in done.stderr and "S3CRET" not in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1
