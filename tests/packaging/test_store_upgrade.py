"""An upgrade keeps the user's data: a store written by an older schema opens in this version.

- ``store-v1.sqlite3`` is the store as release 0.1 (schema version 1) wrote it: opened through
  ``LocalStore`` it is migrated to the current version and every ordonnance, outbox entry and
  reserved number is still there, read back through the store's own API.
- For every older version N (replaying only the first N steps), a store holding rows in every
  table is migrated and each of those rows comes out unchanged.
- A store written by a NEWER version is refused with a French message and left untouched.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from lap_app.domain.errors import UserError
from lap_app.storage import MIGRATIONS, LocalStore, connect

FIXTURE_V1 = Path(__file__).parent / "fixtures" / "store-v1.sqlite3"


def user_tables(conn: sqlite3.Connection) -> list[str]:
    """Tables in creation order (parents before the tables that reference them)."""
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                        " ORDER BY rowid").fetchall()
    return [row[0] for row in rows]


def snapshot(path: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every table's columns and rows, read with plain sqlite3."""
    conn = sqlite3.connect(path)
    try:
        out = {}
        for table in user_tables(conn):
            columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]
            rows = conn.execute(f'SELECT * FROM "{table}" ORDER BY rowid').fetchall()
            out[table] = (columns, rows)
        return out
    finally:
        conn.close()


def project(snap: dict[str, tuple[list[str], list[tuple]]], table: str, columns: list[str]) -> list[tuple]:
    """A table's rows restricted to ``columns`` (a later version may add columns)."""
    have, rows = snap[table]
    indexes = [have.index(column) for column in columns]
    return [tuple(row[i] for i in indexes) for row in rows]


def version_of(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def assert_rows_kept(before: dict, after: dict) -> None:
    for table, (columns, rows) in before.items():
        assert table in after, f"table {table} disappeared in the upgrade"
        assert rows, f"the old store should hold rows in {table}"
        assert project(after, table, columns) == rows, f"rows of {table} changed in the upgrade"


def test_release_01_store_opens_with_every_row(tmp_path: Path) -> None:
    path = tmp_path / "lap.sqlite3"
    shutil.copyfile(FIXTURE_V1, path)
    assert version_of(path) == 1
    before = snapshot(path)

    store = LocalStore(path)
    try:
        ordonnances = store.list()
        waiting = [entry.number for entry in store.outbox()]
        pool = store.available_numbers("810101234564")
        by_number = store.by_number(before["ordonnances"][1][0][1])
    finally:
        store.close()

    assert version_of(path) == len(MIGRATIONS)
    assert_rows_kept(before, snapshot(path))
    # what the user sees through the application: the same ordonnances, the same queue
    old_columns, old_rows = before["ordonnances"]
    assert sorted((o.number, o.status, o.patient_name) for o in ordonnances if o.number) == sorted(
        (row[old_columns.index("number")], row[old_columns.index("status")], row[old_columns.index("patient_name")])
        for row in old_rows if row[old_columns.index("number")])
    assert [o.status for o in ordonnances].count("paper") == 1
    assert waiting == [row[2] for row in before["outbox"][1]]
    assert pool == 4  # seven reserved numbers, three already given
    assert by_number is not None and by_number.bundle["identifier"]["value"] == by_number.number


def fill_every_table(conn: sqlite3.Connection, rows_per_table: int = 3) -> None:
    """Rows in every table, whatever its columns: what a user of that version had stored."""
    for table in user_tables(conn):
        info = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
        foreign = {row[3] for row in conn.execute(f'PRAGMA foreign_key_list("{table}")')}
        for i in range(1, rows_per_table + 1):
            names, values = [], []
            for _cid, name, declared, _notnull, _default, pk in info:
                declared = (declared or "").upper()
                if pk and "INT" in declared:
                    continue  # rowid alias: 1, 2, 3 as SQLite assigns them
                names.append(f'"{name}"')
                if name in foreign:
                    values.append(i)  # the referenced table was filled first with ids 1..n
                elif "INT" in declared:
                    values.append(i)
                elif any(word in declared for word in ("REAL", "FLOA", "DOUB")):
                    values.append(1_764_000_000.0 + i)
                elif "BLOB" in declared:
                    values.append(bytes([i]) * 16)
                else:
                    values.append(f"{table}.{name} n°{i} — é")
            marks = ",".join("?" * len(values))
            conn.execute(f'INSERT INTO "{table}" ({",".join(names)}) VALUES ({marks})', values)


@pytest.mark.parametrize("old_version", range(1, len(MIGRATIONS)))
def test_each_older_version_upgrades_keeping_every_row(tmp_path: Path, old_version: int) -> None:
    path = tmp_path / f"lap-v{old_version}.sqlite3"
    conn = connect(path, migrations=MIGRATIONS[:old_version])
    conn.execute("BEGIN")
    fill_every_table(conn)
    conn.execute("COMMIT")
    conn.close()
    before = snapshot(path)
    assert version_of(path) == old_version

    connect(path).close()

    assert version_of(path) == len(MIGRATIONS)
    assert_rows_kept(before, snapshot(path))


def test_store_from_a_newer_version_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "lap.sqlite3"
    shutil.copyfile(FIXTURE_V1, path)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    original = path.read_bytes()

    with pytest.raises(UserError) as refused:
        connect(path).close()

    assert "version plus récente" in refused.value.message
    assert version_of(path) == len(MIGRATIONS) + 1
    assert snapshot(path)["ordonnances"][1] == snapshot(FIXTURE_V1)["ordonnances"][1]
    assert len(path.read_bytes()) == len(original)
