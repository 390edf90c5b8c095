"""The one way every store of the application writes: ``BEGIN IMMEDIATE`` … ``COMMIT`` on SQLite,
``BEGIN`` … ``COMMIT`` on the practice server (PostgreSQL, read committed: rows are locked as
they are written, and the store's conditional UPDATEs re-check their condition after a wait).

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
from typing import TypeVar

from lap_app.storage.postgres import PgConnection

Conn = TypeVar("Conn", bound=sqlite3.Connection | PgConnection)


@contextlib.contextmanager
def write_transaction(conn: Conn, serialised_by: AbstractContextManager[object] | None = None) -> Iterator[Conn]:
    """One write transaction on ``conn``; ``serialised_by`` (a thread or file lock) is held
    around it when the connection is shared by several threads or processes."""
    with serialised_by if serialised_by is not None else contextlib.nullcontext():
        conn.execute("BEGIN IMMEDIATE" if isinstance(conn, sqlite3.Connection) else "BEGIN")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # SQLite may already have rolled back (disk full, I/O error)
                conn.execute("ROLLBACK")
            raise


@contextlib.contextmanager
def savepoint(conn: Conn) -> Iterator[Conn]:
    """A write inside a transaction already open (an outbox claim): undone alone when it fails."""
    conn.execute("SAVEPOINT store_write")
    try:
        yield conn
        conn.execute("RELEASE SAVEPOINT store_write")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK TO SAVEPOINT store_write")
        raise
