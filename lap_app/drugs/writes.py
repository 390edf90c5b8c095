"""Where an import sends its SQL: straight to the connection, or to a thread of its own.

A first build writes into a temporary file that nobody reads until it is renamed over the
target, so its writes can run beside the parsing and derivation: ``sqlite3`` releases the GIL
while a statement steps, and SQLite's own work (b-trees, sorts for the indexes, the full-text
index) then runs on a second core. Either way the statements run in the order they are given,
in one transaction; a read is answered once the writes given before it have run.
"""

from __future__ import annotations

import queue
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from itertools import chain
from typing import Any, Protocol


class Writes(Protocol):
    def execute(self, sql: str, params: tuple = ()) -> None: ...

    def executemany(self, sql: str, rows: Iterable[tuple]) -> None: ...

    def insert_many(self, sql: str, rows: Iterable[tuple]) -> None:
        """``executemany`` of an ``INSERT … VALUES (?,…)`` into an ordinary table: the rows may go
        several to a statement. Only before a full-text index is written in the transaction: a
        statement of several rows opens a savepoint, at which FTS5 writes out the words it holds
        (other segments: another file)."""

    def query(self, sql: str, params: tuple = ()) -> Future[list[tuple]]: ...


class DirectWrites:
    """Each statement run at once on the caller's connection (an import into the live file)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: tuple = ()) -> None:
        self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[tuple]) -> None:
        self.conn.executemany(sql, rows)

    def insert_many(self, sql: str, rows: Iterable[tuple]) -> None:
        self.conn.executemany(sql, rows)

    def query(self, sql: str, params: tuple = ()) -> Future[list[tuple]]:
        answer: Future[list[tuple]] = Future()
        answer.set_result(self.conn.execute(sql, params).fetchall())
        return answer


_Job = tuple[Callable[..., Any], tuple, "Future[Any] | None"]
_VALUES = re.compile(r"^(.* VALUES )(\([?,]+\))$", re.DOTALL)
_ROWS_A_STATEMENT = 50


def _insert_many(conn: sqlite3.Connection, sql: str, rows: Iterable[tuple]) -> None:
    """``executemany`` of an ``INSERT … VALUES (?,…)``, 50 rows a statement: the same rows
    inserted in the same order, but the writes thread takes the GIL back once per 50 rows
    instead of once per row (while the derivation holds it, each take waits for a switch)."""
    values = _VALUES.match(sql)
    rows = rows if isinstance(rows, list) else list(rows)
    whole = len(rows) - len(rows) % _ROWS_A_STATEMENT
    if values is None or not whole:
        conn.executemany(sql, rows)
        return
    head, one = values.groups()
    conn.executemany(f"{head}{','.join([one] * _ROWS_A_STATEMENT)}",
                     (tuple(chain.from_iterable(rows[start:start + _ROWS_A_STATEMENT]))
                      for start in range(0, whole, _ROWS_A_STATEMENT)))
    if whole < len(rows):
        conn.executemany(sql, rows[whole:])


class WriterThread:
    """Statements run in order by one thread that owns the connection until ``finish``/``abort``.

    The first failure stops the writes: later statements are dropped, a pending ``query``
    fails with it, and ``finish`` raises it in the caller's thread. ``abort`` (a failure or
    Ctrl+C in the caller) interrupts the statement running and waits for the thread, so the
    caller may close the connection and delete the file.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="drug-base-writes", daemon=True)
        self._thread.start()

    def execute(self, sql: str, params: tuple = ()) -> None:
        self._put((self._conn.execute, (sql, params), None))

    def executemany(self, sql: str, rows: Iterable[tuple]) -> None:
        self._put((self._conn.executemany, (sql, rows), None))

    def insert_many(self, sql: str, rows: Iterable[tuple]) -> None:
        self._put((_insert_many, (self._conn, sql, rows), None))

    def query(self, sql: str, params: tuple = ()) -> Future[list[tuple]]:
        answer: Future[list[tuple]] = Future()
        self._put((lambda: self._conn.execute(sql, params).fetchall(), (), answer))
        return answer

    def _put(self, job: _Job) -> None:
        if self._error is not None:  # a write has failed (disk full…): no use deriving further
            raise self._error
        self._jobs.put(job)

    def finish(self) -> None:
        """Wait until every statement given has run; raise the first failure."""
        self._jobs.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def abort(self) -> None:
        """Stop at once: the statement running is interrupted, the rest dropped."""
        self._stopping = True
        self._conn.interrupt()
        self._jobs.put(None)
        self._thread.join()

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            run, args, answer = job
            if self._error is not None or self._stopping:
                if answer is not None:
                    answer.set_exception(self._error or InterruptedError())
                continue
            try:
                result = run(*args)
            except BaseException as error:  # noqa: BLE001 - handed to the caller's thread by finish()
                self._error = error
                if answer is not None:
                    answer.set_exception(error)
            else:
                if answer is not None:
                    answer.set_result(result)
