"""The one way every SQLite store of the application writes: ``BEGIN IMMEDIATE`` … ``COMMIT``.

IMMEDIATE takes the write lock at the start, so a transaction that reads then writes never meets
SQLITE_BUSY halfway (another writer waits at ``BEGIN``, within the connection's timeout). Any
exception in the block, or a failed COMMIT (disk full, I/O error), rolls everything back and
is raised as is. The connections are opened with ``isolation_level=None`` (autocommit outside
these blocks).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager


@contextlib.contextmanager
def write_transaction(conn: sqlite3.Connection,
                      serialised_by: AbstractContextManager[object] | None = None) -> Iterator[sqlite3.Connection]:
    """One write transaction on ``conn``; ``serialised_by`` (a thread or file lock) is held
    around it when the connection is shared by several threads or processes."""
    with serialised_by if serialised_by is not None else contextlib.nullcontext():
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # SQLite may already have rolled back (disk full, I/O error)
                conn.execute("ROLLBACK")
            raise
