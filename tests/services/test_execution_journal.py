"""The prescrit's journal chooses one execution id per real act: the same command typed again
after a crash (never answered, never told) is its retry; once the prescrit was told an execution
is kept for later, the same content recorded again is another act. A journal written by an
earlier version opens with its entries, taken as never told (as that version took them)."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from lap_app.storage.execution_journal import ExecutionJournal

CONTENT = '{"complete": false, "lines": [{"count": 1, "date": "2026-12-02", "line": 2, "quantity": 1.0}]}'


def test_a_retry_gets_the_same_id_and_an_act_told_kept_a_new_one(tmp_path) -> None:
    journal = ExecutionJournal(tmp_path / "journal.sqlite3")
    try:
        first = journal.keep("2026112500004292", CONTENT)
        assert journal.keep("2026112500004292", CONTENT) == first  # typed again after a crash: its retry
        journal.told_kept(first)  # « L'exécution n'est pas perdue : elle est conservée sur ce poste… »
        second = journal.keep("2026112500004292", CONTENT)  # a second box, the same day
        assert second != first
        assert [p.id for p in journal.pending()] == [first, second]  # both leave, each under its own id
        assert journal.keep("2026112500004292", CONTENT) == second
    finally:
        journal.close()


def test_a_journal_of_an_earlier_version_keeps_its_entries(tmp_path) -> None:
    path = tmp_path / "journal.sqlite3"
    with closing(sqlite3.connect(path)) as old, old:
        old.execute("CREATE TABLE pending_executions (id TEXT PRIMARY KEY, number TEXT NOT NULL, content TEXT NOT NULL,"
                    " written_at REAL NOT NULL)")
        old.execute("INSERT INTO pending_executions VALUES ('a1b2c3d4e5f6', '2026112500004292', ?, 1.0)", (CONTENT,))
    journal = ExecutionJournal(path)
    try:
        assert [(p.id, p.content) for p in journal.pending()] == [("a1b2c3d4e5f6", CONTENT)]
        assert journal.keep("2026112500004292", CONTENT) == "a1b2c3d4e5f6"  # as that version retried it
    finally:
        journal.close()
