"""The prescrit's journal of executions not yet acknowledged by the base.

An execution is written here, with the id it will be sent under, before it leaves; it is
removed once the base answered (recorded, replayed, or refused for good). A client killed at any
point finds it again at its next command and sends it under the same id: the base replays what
it already recorded, so nothing is lost and nothing is recorded twice. One small SQLite file
(WAL, synchronous=FULL: a written entry survives a kill -9 or a power cut).

One id per real act: the base recognises a replay by the id alone. An entry the prescrit was
never told about (the client killed, or its answer lost, before it could say anything) is the
act that the same command typed again retries: that command finds it by its content and sends
it under its id. Once the prescrit was told the execution is kept for later (``told_kept``),
the same content recorded again is another act (a second box, a second visit the same day): a
new id. Entries of a journal written before the distinction are taken as never told, as those
clients took every pending entry.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from lap_app.private_files import private_database
from lap_app.storage.transaction import write_transaction

JOURNAL_NAME = "prescrit-executions.sqlite3"  # one a prescrit's workstation (its data folder)

SCHEMA = """
CREATE TABLE IF NOT EXISTS pending_executions (
    id TEXT PRIMARY KEY,          -- the execution id sent to the base
    number TEXT NOT NULL,
    content TEXT NOT NULL,        -- the request's JSON, as sent
    written_at REAL NOT NULL,
    told_kept INTEGER NOT NULL DEFAULT 0  -- 1: the prescrit was told it is kept for later
);
"""


@dataclass(frozen=True, slots=True)
class PendingExecution:
    id: str
    number: str
    content: str


class ExecutionJournal:
    def __init__(self, path: Path) -> None:
        private_database(path)  # health data: directory 0700, file 0600
        self._conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.executescript(SCHEMA)
        columns = {row[1] for row in self._conn.execute("PRAGMA table_info(pending_executions)")}
        if "told_kept" not in columns:  # a journal of a version before it: its entries never told
            self._conn.execute("ALTER TABLE pending_executions ADD COLUMN told_kept INTEGER NOT NULL DEFAULT 0")

    def close(self) -> None:
        self._conn.close()

    def pending(self) -> list[PendingExecution]:
        rows = self._conn.execute("SELECT id, number, content FROM pending_executions ORDER BY written_at").fetchall()
        return [PendingExecution(*row) for row in rows]

    def keep(self, number: str, content: str) -> str:
        """The id of this execution: the pending one with the same content that the prescrit
        was never told about (sent before, its answer never seen: this is its retry), else a new
        one, written durably before anything is sent."""
        with write_transaction(self._conn) as conn:
            row = conn.execute("SELECT id FROM pending_executions WHERE number = ? AND content = ? AND told_kept = 0"
                               " ORDER BY written_at LIMIT 1", (number, content)).fetchone()
            if row is not None:
                return str(row[0])
            execution_id = uuid.uuid4().hex
            conn.execute("INSERT INTO pending_executions (id, number, content, written_at) VALUES (?,?,?,?)",
                         (execution_id, number, content, time.time()))
            return execution_id

    def told_kept(self, execution_id: str) -> None:
        """The prescrit is about to read that this execution is kept for later: the same content
        recorded again is another act."""
        with write_transaction(self._conn) as conn:
            conn.execute("UPDATE pending_executions SET told_kept = 1 WHERE id = ?", (execution_id,))

    def answered(self, execution_id: str) -> None:
        with write_transaction(self._conn) as conn:
            conn.execute("DELETE FROM pending_executions WHERE id = ?", (execution_id,))
