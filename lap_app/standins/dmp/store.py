"""The DMP stand-in's own SQLite file (WAL, synchronous=FULL): documents and an access trace."""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from lap_app.private_files import private_database
from lap_app.storage.transaction import write_transaction

DMP_DATABASE = "dmp.sqlite3"

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,                 -- DocumentReference.masterIdentifier.value
    patient_ins TEXT NOT NULL,           -- 15 characters, key checked
    number TEXT NOT NULL UNIQUE,         -- the prescription number (one DMP copy per ordonnance)
    author TEXT NOT NULL,                -- national identifier of the filing professional
    installation TEXT NOT NULL,
    pdf_sha256 TEXT NOT NULL,
    reference TEXT NOT NULL,             -- the DocumentReference as received, without the data
    pdf BLOB NOT NULL,
    filed_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_by_patient ON documents (patient_ins, filed_at);
CREATE TABLE IF NOT EXISTS access_log (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    actor TEXT NOT NULL,
    profession TEXT NOT NULL,
    installation TEXT NOT NULL,
    patient_ins TEXT,
    document TEXT,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL
);
"""


class DmpStore:
    def __init__(self, path: Path) -> None:
        private_database(path)  # health data: directory 0700, files 0600
        self.path = path
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")  # a 201 means the copy survives a crash
        self._conn.executescript(SCHEMA)
        self._lock = threading.Lock()

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return write_transaction(self._conn, self._lock)

    def log(self, conn: sqlite3.Connection, caller: Any, action: str, outcome: str, *,
            patient_ins: str | None = None, document: str | None = None) -> None:
        conn.execute("INSERT INTO access_log (at, actor, profession, installation, patient_ins, document, action,"
                     " outcome) VALUES (?,?,?,?,?,?,?,?)",
                     (time.time(), caller.holder.national_id, caller.holder.profession, caller.installation,
                      patient_ins, document, action, outcome))

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def install_dmp(app: Any, data_dir: Path) -> None:
    """Give ``app`` (the reference base's app) the DMP's storage; its router is in ``routes``."""
    app.state.dmp = DmpStore(data_dir / DMP_DATABASE)
