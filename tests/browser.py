"""Headless Chromium for the tests: the DOM a page has once loaded (scripts run, styles applied),
a screenshot of it, and the PDF it prints to, from Debian's `chromium` (installed by
scripts/test as root).

``Browser.find()`` returns None when no Chromium is installed; ``browser_or_skip()`` skips the
calling test with the reason. The browser never reaches the network: every host name resolves
to nothing, and background services (updates, sync, metrics) are off, so a page that tried
to fetch anything would show it as missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
OFFLINE_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-default-apps",
    "--disable-extensions", "--metrics-recording-only", "--mute-audio",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)  # fmt: skip
TIMEOUT = 60


@dataclass(frozen=True)
class Browser:
    """One Chromium binary, started afresh (with a throw-away profile) for each call."""

    binary: str

    @classmethod
    def find(cls) -> Browser | None:
        """The first Chromium on PATH, or None."""
        for name in CANDIDATES:
            found = shutil.which(name)
            if found:
                return cls(found)
        return None

    def dump_dom(self, page: Path) -> str:
        """The serialised DOM of ``page`` after it loaded."""
        return self._run(page, "--dump-dom").stdout

    def screenshot(self, page: Path, target: Path, size: tuple[int, int] = (1280, 2000)) -> Path:
        """A PNG of ``page`` at ``size`` (width, height) written to ``target``."""
        target.parent.mkdir(parents=True, exist_ok=True)
        self._run(page, f"--screenshot={target}", f"--window-size={size[0]},{size[1]}")
        assert target.exists() and target.stat().st_size > 0, f"no screenshot at {target}"
        return target

    def print_pdf(self, page: Path, target: Path) -> int:
        """Print ``page`` as the browser prints it (its print stylesheet, no header or
        footer) to the PDF ``target``; return how many pages it has."""
        target.parent.mkdir(parents=True, exist_ok=True)
        self._run(page, f"--print-to-pdf={target}", "--no-pdf-header-footer")
        return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", target.read_bytes()))

    def _run(self, page: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
        with tempfile.TemporaryDirectory(prefix="maintd-chromium-") as profile:
            done = subprocess.run(
                [self.binary, *OFFLINE_FLAGS, f"--user-data-dir={profile}", *arguments,
                 page.resolve().as_uri()],
                capture_output=True, text=True, timeout=TIMEOUT, check=False,
            )  # fmt: skip
        assert done.returncode == 0, f"{self.binary} failed ({done.returncode}): {done.stderr}"
        return done


def browser_or_skip() -> Browser:
    """A Chromium to drive, or skip the test saying what is missing."""
    browser = Browser.find()
    if browser is None:
        pytest.skip("headless Chromium not installed (scripts/test installs Debian's chromium)")
    return browser


def keep_artifact(path: Path) -> None:
    """Copy a test's screenshot into the directory ``$MAINTD_ARTIFACTS`` names (relative to
    where the tests run), when set: CI keeps what people want to look at."""
    directory = os.environ.get("MAINTD_ARTIFACTS")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(directory) / path.name)
