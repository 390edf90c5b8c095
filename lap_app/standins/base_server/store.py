"""The base's SQLite database (WAL, synchronous=FULL: an acknowledged write survives a crash).

One writer connection behind a lock: SQLite serialises writers anyway, and the lock keeps each
API operation (checks + writes + audit row) one transaction. Registrations go through a group
commit (``submit``/``grouped``): a writer thread runs every operation queued meanwhile in one
transaction, so concurrent registrations share one fsync. An event loop awaits its
operations with ``run_grouped``: the batch's answers reach it in one call, not one wake-up each.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from lap_app.private_files import private_database, private_file
from lap_app.storage.transaction import write_transaction

try:
    import fcntl
except ImportError:  # Windows: the base runs as one process there
    fcntl = None  # type: ignore[assignment]

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS installations (
    id TEXT PRIMARY KEY,
    secret_sha256 TEXT NOT NULL,
    name TEXT NOT NULL,
    enrolled_by TEXT NOT NULL,
    enrolled_at REAL NOT NULL,
    revoked_at REAL
);
CREATE TABLE IF NOT EXISTS numbers (
    number TEXT PRIMARY KEY,
    prescriber TEXT NOT NULL,
    reserved_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'reserved'      -- reserved | used
);
CREATE INDEX IF NOT EXISTS numbers_by_prescriber ON numbers (prescriber, state, expires_at);
CREATE TABLE IF NOT EXISTS prescriptions (
    number TEXT PRIMARY KEY,
    prescriber TEXT NOT NULL,
    installation TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    bundle TEXT NOT NULL,                        -- the signed Bundle as received
    signer_certificate BLOB NOT NULL,
    opposition INTEGER NOT NULL,
    status TEXT NOT NULL,                        -- registered | partly_dispensed | dispensed | cancelled
    registered_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    cancel_requested_at REAL                     -- when the prescriber cancelled (under opposition: opposition.py)
);
CREATE TABLE IF NOT EXISTS dispensings (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL REFERENCES prescriptions(number),
    line INTEGER NOT NULL,
    quantity REAL NOT NULL,
    substituted INTEGER NOT NULL,
    dispensed_on TEXT NOT NULL,
    pharmacist TEXT NOT NULL,
    recorded_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS dispensings_by_number ON dispensings (number);
CREATE TABLE IF NOT EXISTS executions (         -- one execution sent by a prescrit: its id makes a retry a replay
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL REFERENCES prescriptions(number),
    actor TEXT NOT NULL,
    profession TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    recorded_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS execution_lines (    -- lines other than medicines (those go to ``dispensings``)
    id INTEGER PRIMARY KEY,
    execution TEXT NOT NULL REFERENCES executions(id),
    number TEXT NOT NULL REFERENCES prescriptions(number),
    line INTEGER NOT NULL,
    done INTEGER NOT NULL,
    amount REAL NOT NULL,                        -- what it used up of the line (0 when not done)
    done_on TEXT NOT NULL,
    detail TEXT NOT NULL                         -- JSON: count, reason, supply, until, act, code
);
CREATE INDEX IF NOT EXISTS execution_lines_by_number ON execution_lines (number);
CREATE TABLE IF NOT EXISTS adjustments (        -- a line changed with the prescriber's agreement; the Bundle stays as signed
    id TEXT PRIMARY KEY,                         -- chosen by the prescrit's software: a retry replays
    number TEXT NOT NULL REFERENCES prescriptions(number),
    line INTEGER NOT NULL,
    actor TEXT NOT NULL,
    profession TEXT NOT NULL,
    content TEXT NOT NULL,                       -- the signed JSON (canonical bytes)
    signature BLOB NOT NULL,                     -- RS256 by the prescrit's card (signature key)
    certificate BLOB NOT NULL,
    recorded_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS adjustments_by_number ON adjustments (number);
CREATE TABLE IF NOT EXISTS unknown_number_reads (   -- misses, for the rate limit (unknown_numbers.py)
    at REAL NOT NULL,
    actor TEXT NOT NULL,
    installation TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS unknown_reads_by_actor ON unknown_number_reads (actor, at);
CREATE INDEX IF NOT EXISTS unknown_reads_by_installation ON unknown_number_reads (installation, at);
CREATE TABLE IF NOT EXISTS used_challenges (value TEXT PRIMARY KEY, expires_at REAL NOT NULL);  -- nonce, hex
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    actor TEXT NOT NULL,
    profession TEXT NOT NULL,
    installation TEXT NOT NULL,
    number TEXT,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL
);
"""


class _Pending:
    """One queued operation and who waits for it: a thread (``future``) or an event loop (``loop``, ``awaited``)."""

    __slots__ = ("awaited", "future", "loop", "operation")

    def __init__(self, operation: Callable[[sqlite3.Connection], Any],
                 loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.operation = operation
        self.loop = loop
        if loop is None:
            self.future: Future[Any] = Future()
        else:
            self.awaited: asyncio.Future[Any] = loop.create_future()

    def settle(self, result: Any, failure: BaseException | None) -> None:
        """From the writer thread; the loop's waiters are settled by ``_settle_on_loop``."""
        if failure is not None:
            self.future.set_exception(failure)
        else:
            self.future.set_result(result)


def _settle_on_loop(settled: list[tuple[_Pending, Any, BaseException | None]]) -> None:
    for pending, result, failure in settled:
        if pending.awaited.cancelled():  # its request went away; the write stands
            continue
        if failure is not None:
            pending.awaited.set_exception(failure)
        else:
            pending.awaited.set_result(result)


_STOP = object()


class BaseStore:
    def __init__(self, path: Path) -> None:
        private_database(path)  # health data: directory 0700, files 0600
        self.path = path
        self._conn = self._connect()
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.executescript(SCHEMA)
        columns = {row["name"] for row in self._conn.execute("PRAGMA table_info(prescriptions)")}
        if "cancel_requested_at" not in columns:  # a data directory of an earlier version
            self._conn.execute("ALTER TABLE prescriptions ADD COLUMN cancel_requested_at REAL")
        self._lock = threading.Lock()
        # Several server processes may share the file (``--workers``): writers take this lock
        # in turn instead of meeting SQLite's busy handler, which polls with sleeps.
        self._lock_file = open(private_file(Path(f"{path}.write-lock")), "ab")  # noqa: SIM115 - held for the store's life
        # Reads: one connection per thread (no lock to wait for); in WAL each sees the last
        # commit without waiting for a batch being fsynced on the writer connection.
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        # Group commit: one writer thread drains the queue into one transaction per fsync.
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._writer_lock = threading.Lock()
        self._closed = False

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        conn.row_factory = sqlite3.Row
        return conn

    def transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """One serialised transaction; committed (and fsynced) when the block exits normally."""
        return write_transaction(self._conn, self._writing())

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        with self._lock:
            if fcntl is not None:
                fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                if fcntl is not None:
                    fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_UN)

    @contextlib.contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection for plain SELECTs (autocommit: each sees the latest commit)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise sqlite3.ProgrammingError("store closed")
            conn = self._local.conn = self._connect()
            with self._readers_lock:
                self._readers.append(conn)
        yield conn

    def submit(self, operation: Callable[[sqlite3.Connection], T]) -> Future[T]:
        """Queue ``operation`` for the next group commit; the future resolves once it is on disk.

        Each operation runs inside its own SAVEPOINT so that one refusal (an exception) rolls
        back only its own writes; one fsync acknowledges the whole batch.
        """
        item = _Pending(operation)
        if self._writer is None:
            self._start_writer()
        self._queue.put(item)
        return item.future

    def grouped(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        """``submit`` and wait: returns once committed (or raises the operation's error)."""
        return self.submit(operation).result()

    async def run_grouped(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        """``submit`` awaited on the running event loop (once committed, as ``grouped``)."""
        item = _Pending(operation, asyncio.get_running_loop())
        if self._writer is None:
            self._start_writer()
        self._queue.put(item)
        result: T = await item.awaited
        return result

    def _start_writer(self) -> None:
        with self._writer_lock:
            if self._writer is None:
                if self._closed:
                    raise sqlite3.ProgrammingError("store closed")
                self._writer = threading.Thread(target=self._write_loop, name="base-group-commit", daemon=True)
                self._writer.start()

    def _write_loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            stop = False
            while True:  # everything queued while the previous fsync ran joins this batch
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)
            self._commit_batch(batch)
            if stop:
                return

    def _commit_batch(self, batch: list[_Pending]) -> None:
        results: list[tuple[_Pending, Any, BaseException | None]] = []
        with self._writing():
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                for pending in batch:
                    self._conn.execute("SAVEPOINT one")
                    try:
                        results.append((pending, pending.operation(self._conn), None))
                    except BaseException as error:
                        if not self._conn.in_transaction:  # SQLite undid it all (disk full, I/O error)
                            raise
                        results.append((pending, None, error))
                        self._conn.execute("ROLLBACK TO one")
                    self._conn.execute("RELEASE one")
                self._conn.execute("COMMIT")
            except BaseException as commit_failure:  # noqa: BLE001 - the commit itself failed: nobody is acknowledged
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                results = [(pending, None, commit_failure) for pending in batch]
        self._settle(results)  # acknowledged only now: the batch is on disk (or refused as a whole)

    @staticmethod
    def _settle(results: list[tuple[_Pending, Any, BaseException | None]]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Pending, Any, BaseException | None]]] = {}
        for pending, result, failure in results:
            if pending.loop is None:
                pending.settle(result, failure)
            else:
                by_loop.setdefault(pending.loop, []).append((pending, result, failure))
        for loop, settled in by_loop.items():
            with contextlib.suppress(RuntimeError):  # its loop already closed: nobody waits any more
                loop.call_soon_threadsafe(_settle_on_loop, settled)

    def lock_number(self, conn: sqlite3.Connection, number: str) -> None:
        """Nothing to do: one writer at a time already (see ``PostgresBaseStore.lock_number``)."""

    def audit(self, conn: sqlite3.Connection, actor: str, profession: str, installation: str,
              number: str | None, action: str, outcome: str) -> None:
        conn.execute(
            "INSERT INTO audit (at, actor, profession, installation, number, action, outcome) VALUES (?,?,?,?,?,?,?)",
            (time.time(), actor, profession, installation, number, action, outcome),
        )

    def close(self) -> None:
        self._closed = True
        with self._writer_lock:
            writer, self._writer = self._writer, None
        if writer is not None:
            self._queue.put(_STOP)
            writer.join()
        with self._lock, self._readers_lock:
            self._conn.close()
            self._lock_file.close()
            for conn in self._readers:
                conn.close()
            self._readers.clear()
