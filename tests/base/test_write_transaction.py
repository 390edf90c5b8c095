"""The one write transaction every store uses (``lap_app.storage.transaction``): all or nothing,
the write lock taken at BEGIN, and a failed COMMIT rolled back rather than left open."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing

import pytest

from lap_app.storage.transaction import write_transaction


def _open(path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=0.05)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


@pytest.fixture()
def conn(tmp_path):
    with closing(_open(tmp_path / "t.sqlite3")) as conn:
        conn.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
        conn.execute("CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER"
                     " REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)")
        yield conn


def _rows(conn) -> list[tuple]:
    return conn.execute("SELECT id FROM parent UNION ALL SELECT -id FROM child").fetchall()


def test_the_block_commits_when_it_ends_normally(conn, tmp_path):
    with write_transaction(conn) as same:
        same.execute("INSERT INTO parent VALUES (1)")
        assert conn.in_transaction
    with closing(_open(tmp_path / "t.sqlite3")) as other:  # on disk, seen by another connection
        assert _rows(other) == [(1,)]


def test_an_exception_in_the_block_undoes_every_write(conn):
    with pytest.raises(RuntimeError, match="interrupted"):
        with write_transaction(conn):
            conn.execute("INSERT INTO parent VALUES (1)")
            conn.execute("INSERT INTO parent VALUES (2)")
            raise RuntimeError("interrupted")
    assert _rows(conn) == [] and not conn.in_transaction


def test_a_failed_commit_is_rolled_back_not_left_open(conn):
    # a deferred foreign key is checked at COMMIT: the COMMIT itself fails
    with pytest.raises(sqlite3.IntegrityError):
        with write_transaction(conn):
            conn.execute("INSERT INTO parent VALUES (1)")
            conn.execute("INSERT INTO child VALUES (1, 99)")
    assert not conn.in_transaction and _rows(conn) == []
    with write_transaction(conn):  # the connection is usable again
        conn.execute("INSERT INTO parent VALUES (3)")
    assert _rows(conn) == [(3,)]


def test_the_write_lock_is_taken_at_begin(conn, tmp_path):
    with closing(_open(tmp_path / "t.sqlite3")) as other:
        with write_transaction(conn):
            # another writer is refused at its BEGIN (after its busy timeout), before it has read anything
            with pytest.raises(sqlite3.OperationalError) as refused:
                with write_transaction(other):
                    pytest.fail("entered the block while another transaction held the write lock")
            assert refused.value.sqlite_errorname == "SQLITE_BUSY"
            assert not other.in_transaction


def test_the_given_lock_serialises_the_threads_of_one_connection(conn):
    lock = threading.Lock()
    order: list[str] = []
    inside = threading.Event()

    def second() -> None:
        inside.wait(5)
        with write_transaction(conn, lock):
            order.append("second")
            conn.execute("INSERT INTO parent VALUES (2)")

    thread = threading.Thread(target=second)
    thread.start()
    with write_transaction(conn, lock):
        inside.set()
        thread.join(0.2)  # it waits for the lock instead of sharing our transaction
        assert thread.is_alive()
        order.append("first")
        conn.execute("INSERT INTO parent VALUES (1)")
    thread.join(5)
    assert order == ["first", "second"] and _rows(conn) == [(1,), (2,)]
