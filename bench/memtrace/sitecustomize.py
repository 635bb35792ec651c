"""Memory experiments on a process started with this directory on PYTHONPATH.

Trace the Python heap of a process started with this directory on PYTHONPATH and
MAINTD_MEMTRACE_DIR set (bench.soak --trace-memory): tracemalloc from the first import on, and
a snapshot written to that directory every MAINTD_MEMTRACE_EVERY seconds as PID-NNN.snap, with
a line in PID-sqlite.txt: the time and the bytes SQLite holds (sqlite3_status64
SQLITE_STATUS_MEMORY_USED: its page caches and statements, which tracemalloc cannot see).
Without the variable, nothing happens. Snapshots pause the process while taken: a traced run
measures where memory goes, not how fast the daemon is.

With MAINTD_MEMTRIM_EVERY=SECONDS, call glibc's malloc_trim(0) that often; with
MAINTD_MALLOCSTATS_EVERY=SECONDS, write sys._debugmallocstats() to stderr that often.
"""

import ctypes
import os

_directory = os.environ.get("MAINTD_MEMTRACE_DIR")
if _directory:
    import threading
    import time
    import tracemalloc

    tracemalloc.start(int(os.environ.get("MAINTD_MEMTRACE_FRAMES", "1")))
    _every = float(os.environ.get("MAINTD_MEMTRACE_EVERY", "30"))

    def _dump_snapshots() -> None:
        index = 0
        while True:
            time.sleep(_every)
            path = os.path.join(_directory, f"{os.getpid()}-{index:03d}.snap")
            tracemalloc.take_snapshot().dump(path + ".tmp")
            os.replace(path + ".tmp", path)
            with open(os.path.join(_directory, f"{os.getpid()}-sqlite.txt"), "a") as sqlite:
                sqlite.write(f"{time.time()} {_sqlite_memory()}\n")
            index += 1

    def _sqlite_memory() -> int:
        used, highest = ctypes.c_int64(), ctypes.c_int64()
        library = ctypes.CDLL("libsqlite3.so.0")  # the copy Python's sqlite3 module uses
        library.sqlite3_status64(0, ctypes.byref(used), ctypes.byref(highest), 0)
        return used.value

    threading.Thread(target=_dump_snapshots, name="memtrace", daemon=True).start()


_trim_every = float(os.environ.get("MAINTD_MEMTRIM_EVERY", "0"))
if _trim_every:
    # An experiment, not a fix: hand glibc's free memory back every few seconds, to tell
    # memory that is retained by the allocator from memory that is still in use.
    import threading
    import time

    def _trim() -> None:
        library = ctypes.CDLL("libc.so.6")
        while True:
            time.sleep(_trim_every)
            library.malloc_trim(0)

    threading.Thread(target=_trim, name="memtrim", daemon=True).start()

_stats_every = float(os.environ.get("MAINTD_MALLOCSTATS_EVERY", "0"))
if _stats_every:
    # An experiment: CPython's own allocator statistics (arenas held, bytes in use) written
    # to stderr, to tell memory held by live objects from arenas kept by fragmentation.
    import sys
    import threading
    import time

    def _malloc_stats() -> None:
        while True:
            time.sleep(_stats_every)
            sys.stderr.write(f"MALLOCSTATS {time.time()}\n")
            sys._debugmallocstats()

    threading.Thread(target=_malloc_stats, name="mallocstats", daemon=True).start()
