"""The prescrit's journal of executions not yet acknowledged by the base.

An execution is written here, with the id it will be sent under, before it leaves; it is
removed once the base answered (recorded, replayed, or refused for good). A client killed at any
point finds it again at its next command and sends it under the same id: the base replays what
it already recorded, so nothing is lost and nothing is recorded twice. One small SQLite file
(WAL, synchronous=FULL: a written entry survives a kill -9 or a power cut).
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
    written_at REAL NOT NULL
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

    def close(self) -> None:
        self._conn.close()

    def pending(self) -> list[PendingExecution]:
        rows = self._conn.execute("SELECT id, number, content FROM pending_executions ORDER BY written_at").fetchall()
        return [PendingExecution(*row) for row in rows]

    def keep(self, number: str, content: str) -> str:
        """The id of this execution: the pending one with the same content (sent before, its
        answer never seen), else a new one, written durably before anything is sent."""
        with write_transaction(self._conn) as conn:
            row = conn.execute("SELECT id FROM pending_executions WHERE number = ? AND content = ?",
                               (number, content)).fetchone()
            if row is not None:
                return str(row[0])
            execution_id = uuid.uuid4().hex
            conn.execute("INSERT INTO pending_executions VALUES (?,?,?,?)", (execution_id, number, content, time.time()))
            return execution_id

    def answered(self, execution_id: str) -> None:
        with write_transaction(self._conn) as conn:
            conn.execute("DELETE FROM pending_executions WHERE id = ?", (execution_id,))
