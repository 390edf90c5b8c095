"""One workstation at a time sends a given outbox entry of the practice server.

Sending holds the entry's row lock (``SELECT … FOR UPDATE SKIP LOCKED``) in a transaction on a
connection of its own, and the entry's outcome (registered, refused, retry later) is written in
that same transaction: another workstation's flush skips a locked entry instead of sending it
again meanwhile. A workstation killed in the middle (kill -9, power cut) loses its connection;
the server rolls its transaction back and releases the lock, so the entry is still queued and the
next flush, anywhere, sends it again: the base answers a replayed registration with the same
result, so it is never registered twice. On an SQLite file there is one workstation: no claim.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from lap_app.storage.errors import STORE_FAILURES
from lap_app.storage.postgres import PgConnection


class OutboxClaims:
    def __init__(self, url: str, ca_path: str) -> None:
        self._url = url
        self._ca_path = ca_path
        self._local = threading.local()  # each sending thread: its own connection, its claim
        self._opened: list[PgConnection] = []
        self._guard = threading.Lock()

    def _connection(self) -> PgConnection:
        conn: PgConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = PgConnection(self._url, self._ca_path)
            self._local.conn = conn
            with self._guard:
                self._opened.append(conn)
        return conn

    def active(self) -> PgConnection | None:
        """The connection holding this thread's claim, while one is held."""
        conn: PgConnection | None = getattr(self._local, "active", None)
        return conn

    @contextlib.contextmanager
    def claim(self, entry_id: int) -> Iterator[bool]:
        """True: this thread alone holds the entry until the block ends (its writes then commit,
        even when the block raises — a "retry later" must stay); False: another workstation is
        sending it, or it has left the outbox."""
        conn = self._connection()
        conn.execute("BEGIN")
        try:
            row = conn.execute("SELECT id FROM outbox WHERE id = ? FOR UPDATE SKIP LOCKED", (entry_id,)).fetchone()
        except BaseException:
            _rollback(conn)
            raise
        if row is None:
            _rollback(conn)
            yield False
            return
        self._local.active = conn
        try:
            yield True
        except STORE_FAILURES:
            _rollback(conn)  # the server failed under us: its transaction is gone anyway
            raise
        except BaseException:
            conn.execute("COMMIT")
            raise
        else:
            conn.execute("COMMIT")
        finally:
            self._local.active = None

    def close(self) -> None:
        with self._guard:
            for conn in self._opened:
                conn.close()
            self._opened.clear()


def _rollback(conn: PgConnection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")
