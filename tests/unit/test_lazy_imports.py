"""apprise (and its ~450 plugin modules, 16-18 MB of the daemon's memory) is imported at the
first delivery, not when the daemon or a command starts: a site that never notifies never
pays for it."""

from __future__ import annotations

import subprocess
import sys


def test_the_daemon_and_its_notifier_start_without_apprise(tmp_path: object) -> None:
    program = f"""
import sys
import maintd.cli, maintd.service
from maintd.respond.notify import Notifier
from maintd.store import DeliveryBook, open_store
ledger = open_store({str(tmp_path)!r} + "/maintd.db")
notifier = Notifier(DeliveryBook(ledger.engine), lambda name: [])
notifier.start()
notifier.stop()
print(sorted(name for name in sys.modules if name.split(".")[0] == "apprise"))
"""
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]", done.stdout
