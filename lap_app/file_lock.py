"""An exclusive lock on a file, between processes (fcntl on Unix, msvcrt on Windows).

Used by the drug database build, the demo PKI and the vpcd emulator's slot lock.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt


class LockBusy(Exception):
    pass


def try_lock(handle: IO[str]) -> bool:
    if fcntl is not None:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False
    handle.seek(0)
    try:
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        return True
    except OSError:
        return False


def unlock(handle: IO[str]) -> None:
    if fcntl is not None:
        fcntl.flock(handle, fcntl.LOCK_UN)
    else:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)


def acquire(path: Path, timeout: float | None) -> IO[str]:
    """Open and lock ``path``; wait up to ``timeout`` s (None: for ever), else ``LockBusy``."""
    # private (0600) like the files it guards: a lock beside the store lies among health data
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    handle = os.fdopen(descriptor, "a+")
    deadline = None if timeout is None else time.monotonic() + timeout
    while not try_lock(handle):
        if deadline is not None and time.monotonic() >= deadline:
            handle.close()
            raise LockBusy(os.fspath(path))
        time.sleep(0.05)
    return handle


def release(handle: IO[str]) -> None:
    unlock(handle)
    handle.close()


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    handle = acquire(path, None)
    try:
        yield
    finally:
        release(handle)
