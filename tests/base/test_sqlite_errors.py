"""SQLite failures are told apart by their result code, and each becomes the French message the
user can act on (real SQLite errors, provoked for real). SQLite only by nature: a practice
server's faults are in tests/practice_store/test_practice_server_faults.py."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from lap_app.storage.database import store_error
from lap_app.storage.sqlite_errors import SqliteFailure, sqlite_failure


def _raised(action) -> sqlite3.Error:
    with pytest.raises(sqlite3.Error) as caught:
        action()
    return caught.value


def _table(path) -> None:
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("CREATE TABLE t (x TEXT)")


def test_a_lock_held_elsewhere_is_busy(tmp_path):
    path = tmp_path / "s.sqlite3"
    _table(path)
    with closing(sqlite3.connect(path, isolation_level=None)) as holder, \
            closing(sqlite3.connect(path, isolation_level=None, timeout=0)) as other:
        holder.execute("BEGIN EXCLUSIVE")
        error = _raised(lambda: other.execute("INSERT INTO t VALUES ('x')"))
    assert sqlite_failure(error) is SqliteFailure.BUSY
    assert "occupée par un autre programme" in store_error(path, error).message


def test_a_full_database_is_full(tmp_path):
    path = tmp_path / "s.sqlite3"
    _table(path)
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA max_page_count = 3")  # the file may not grow: SQLite says SQLITE_FULL
        error = _raised(lambda: conn.execute("INSERT INTO t VALUES (?)", ("x" * 100_000,)))
    assert sqlite_failure(error) is SqliteFailure.FULL
    assert store_error(path, error).message.startswith("Disque plein")


def test_a_file_opened_for_reading_only_refuses_writes(tmp_path):
    path = tmp_path / "s.sqlite3"
    _table(path)
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)) as conn:
        error = _raised(lambda: conn.execute("INSERT INTO t VALUES ('x')"))
    assert sqlite_failure(error) is SqliteFailure.NO_ACCESS
    assert "inaccessible en écriture" in store_error(path, error).message


def test_a_folder_that_does_not_exist_cannot_be_opened(tmp_path):
    path = tmp_path / "absent" / "s.sqlite3"
    error = _raised(lambda: sqlite3.connect(path))
    assert sqlite_failure(error) is SqliteFailure.NO_ACCESS


def test_a_file_that_is_not_a_database_is_damaged(tmp_path):
    path = tmp_path / "s.sqlite3"
    path.write_bytes(b"ceci n'est pas une base SQLite " * 200)
    with closing(sqlite3.connect(path)) as conn:
        error = _raised(lambda: conn.execute("SELECT * FROM sqlite_master"))
    assert sqlite_failure(error) is SqliteFailure.DAMAGED
    assert "endommagée" in store_error(path, error).message


def test_the_wording_of_a_message_decides_nothing():
    # an error not from the SQLite library (no result code) whose text says "full" and "locked"
    error = sqlite3.OperationalError("database is locked because the disk is full")
    assert sqlite_failure(error) is SqliteFailure.OTHER
