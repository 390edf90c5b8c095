"""Health data stays with its owner: data directories 0700, database files 0600 (POSIX).

SQLite creates a database with 0644 less the umask (world-readable under the usual 022) and
gives its -wal and -shm files the database's mode: creating the file 0600 first covers all
three. A directory or file that already exists is tightened when we own it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600


def private_directory(path: Path) -> Path:
    """``path`` (and missing parents) created; ``path`` itself readable by its owner only."""
    path.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    _tighten(path, DIRECTORY_MODE)
    return path


def private_file(path: Path) -> Path:
    """``path`` created empty if missing (never truncated), readable by its owner only."""
    fd = os.open(path, os.O_RDONLY | os.O_CREAT, FILE_MODE)
    os.close(fd)
    _tighten(path, FILE_MODE)
    return path


def private_database(path: Path) -> Path:
    """A SQLite file and its directory, private before SQLite first opens them."""
    private_directory(path.parent)
    private_file(path)
    for suffix in ("-wal", "-shm"):  # left by an earlier version with the old mode
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            _tighten(companion, FILE_MODE)
    return path


def _tighten(path: Path, mode: int) -> None:
    if os.name != "posix":
        return
    try:
        info = path.stat()
        if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & 0o077:
            os.chmod(path, stat.S_IMODE(info.st_mode) & ~0o077 | (mode & 0o700))
    except OSError:  # not ours to change: leave it as it is
        pass
