"""Process-level helpers every stage may use."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import logging
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while building many objects at once.

    Reading a large calendar or planning a month allocates hundreds of thousands of small,
    acyclic objects; each allocation burst triggers collections that scan all of them again
    (measured: 75% of the time to read a 10k-task calendar). Reference counting still frees
    everything; cycles made meanwhile are collected once the collector is back on.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def release_free_memory() -> None:
    """Hand memory freed after a burst of allocations (loading a large calendar) back to the
    operating system. glibc keeps it otherwise: 70 MB of a daemon's RSS after loading 10k tasks.
    A no-op where the C library has no malloc_trim."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        return


def kill_child_process_groups() -> int:
    """SIGKILL every child process of this one, with its process group (a check started in a
    session of its own takes its children along); return how many children there were. Linux
    only (it reads /proc); elsewhere nothing is killed."""
    me = os.getpid()
    killed = 0
    for child in _children(me):
        try:
            if os.getpgid(child) == child:  # a group of its own: the whole check goes
                os.killpg(child, signal.SIGKILL)
            else:
                os.kill(child, signal.SIGKILL)
            killed += 1
        except ProcessLookupError:
            continue
    return killed


def exit_now(code: int = 0) -> NoReturn:
    """End the process at once: kill the checks it started, flush the logs, and exit without
    joining worker threads that are still inside a check (the interpreter would otherwise
    wait for each of them to reach its own timeout)."""
    kill_child_process_groups()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            stat = entry.read_text()
        except OSError:
            continue  # gone meanwhile
        # The command name is in parentheses and may hold spaces: fields follow the last ')'.
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1 and int(fields[1]) == parent:
            found.append(int(entry.parent.name))
    return found


def make_directories(path: Path, mode: int) -> None:
    """Create ``path`` and every missing directory above it with ``mode`` (less the umask).

    Unlike ``mkdir -p`` (``Path.mkdir(parents=True)``), which gives the parents 0777 less the
    umask: world-writable under umask 000.
    """
    missing = [directory for directory in (path, *path.parents) if not directory.exists()]
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            directory.mkdir(mode)
