"""What went wrong in SQLite, read from its result code (``sqlite_errorname``, Python 3.11+), never
from the wording of the message, which SQLite may change."""

from __future__ import annotations

import sqlite3
from enum import Enum


class SqliteFailure(Enum):
    BUSY = "busy"  # another connection holds the lock past the timeout
    FULL = "full"  # the disk (or the file's size limit) is full
    NO_ACCESS = "no_access"  # cannot open the file, or only for reading
    IO = "io"  # the disk failed a read or a write
    DAMAGED = "damaged"  # not a database, or a corrupt one
    OTHER = "other"  # a bug of ours, a closed connection…


# primary result codes; an extended one (SQLITE_IOERR_WRITE, SQLITE_BUSY_SNAPSHOT…) starts with its primary
_BY_CODE = {
    "SQLITE_BUSY": SqliteFailure.BUSY,
    "SQLITE_LOCKED": SqliteFailure.BUSY,
    "SQLITE_FULL": SqliteFailure.FULL,
    "SQLITE_CANTOPEN": SqliteFailure.NO_ACCESS,
    "SQLITE_READONLY": SqliteFailure.NO_ACCESS,
    "SQLITE_PERM": SqliteFailure.NO_ACCESS,
    "SQLITE_AUTH": SqliteFailure.NO_ACCESS,
    "SQLITE_IOERR": SqliteFailure.IO,
    "SQLITE_NOTADB": SqliteFailure.DAMAGED,
    "SQLITE_CORRUPT": SqliteFailure.DAMAGED,
}


def sqlite_failure(error: sqlite3.Error) -> SqliteFailure:
    name: str = getattr(error, "sqlite_errorname", None) or ""
    primary = name if name in _BY_CODE else "_".join(name.split("_")[:2])
    return _BY_CODE.get(primary, SqliteFailure.OTHER)
