"""The DMP copies in the local store (table ``dmp_filings``): the only SQL on that table.

A copy is queued when its PDF is printed; a numbered ordonnance that has no row yet (the
application stopped between signing and printing) is found by ``queue_missing``, so no copy
is ever lost, and the document id drawn once (opaque) and kept here means it is never filed twice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from lap_app.storage.engine import StoreConnection
from lap_app.storage.ordonnances import LocalStore

FINAL_STATES = ("filed", "no_ins", "not_filed")


@dataclass(frozen=True, slots=True)
class DmpFiling:
    ordonnance_id: int
    document_id: str
    state: str
    pdf: bytes | None
    attempts: int
    next_attempt_at: float
    last_error: str | None
    filed_at: float | None


def _filing(row: Any) -> DmpFiling:
    pdf = row["pdf"]
    return DmpFiling(row["ordonnance_id"], row["document_id"], row["state"], None if pdf is None else bytes(pdf),
                     row["attempts"],
                     row["next_attempt_at"], row["last_error"], row["filed_at"])


def queue_in(conn: StoreConnection, ordonnance_id: int, document_id: str, pdf: bytes | None,
             state: str = "pending", error: str | None = None) -> None:
    """``DmpFilings.queue`` inside a transaction already open (the one that saves the ordonnance)."""
    now = time.time()
    conn.execute(
        "INSERT INTO dmp_filings (ordonnance_id, document_id, state, pdf, next_attempt_at, last_error,"
        " updated_at) VALUES (?,?,?,?,?,?,?) ON CONFLICT(ordonnance_id) DO UPDATE SET"
        " pdf = COALESCE(dmp_filings.pdf, excluded.pdf), updated_at = excluded.updated_at",
        (ordonnance_id, document_id, state, pdf, now, error, now))


class DmpFilings:
    def __init__(self, store: LocalStore) -> None:
        self.store = store

    def queue(self, ordonnance_id: int, document_id: str, pdf: bytes | None, state: str = "pending",
              error: str | None = None) -> None:
        """Queue a copy; a copy already queued keeps its state and the first PDF printed."""
        with self.store.transaction() as conn:
            queue_in(conn, ordonnance_id, document_id, pdf, state, error)

    def unqueued_ordonnances(self) -> list[tuple[int, str]]:
        """(id, number) of the numbered ordonnances with no DMP row yet."""
        with self.store.transaction() as conn:
            rows = conn.execute(
                "SELECT o.id, o.number FROM ordonnances o LEFT JOIN dmp_filings d ON d.ordonnance_id = o.id"
                " WHERE o.number IS NOT NULL AND d.ordonnance_id IS NULL ORDER BY o.id").fetchall()
        return [(r["id"], r["number"]) for r in rows]

    def get(self, ordonnance_id: int) -> DmpFiling | None:
        with self.store.transaction() as conn:
            row = conn.execute("SELECT * FROM dmp_filings WHERE ordonnance_id = ?", (ordonnance_id,)).fetchone()
        return _filing(row) if row else None

    def pending(self, due_only: bool = False) -> list[DmpFiling]:
        sql = "SELECT * FROM dmp_filings WHERE state = 'pending'"
        args: tuple[float, ...] = ()
        if due_only:
            sql, args = sql + " AND next_attempt_at <= ?", (time.time(),)
        with self.store.transaction() as conn:
            rows = conn.execute(sql + " ORDER BY ordonnance_id", args).fetchall()
        return [_filing(r) for r in rows]

    def all(self, limit: int = 200) -> list[DmpFiling]:
        with self.store.transaction() as conn:
            rows = conn.execute("SELECT * FROM dmp_filings ORDER BY ordonnance_id DESC LIMIT ?", (limit,)).fetchall()
        return [_filing(r) for r in rows]

    def document_id_of_number(self, number: str) -> str | None:
        """The DMP document id of this workstation's copy of ordonnance ``number``, if queued."""
        with self.store.transaction() as conn:
            row = conn.execute("SELECT d.document_id FROM dmp_filings d JOIN ordonnances o ON o.id = d.ordonnance_id"
                               " WHERE o.number = ?", (number,)).fetchone()
        return str(row["document_id"]) if row else None

    def set_pdf(self, ordonnance_id: int, pdf: bytes) -> None:
        with self.store.transaction() as conn:
            conn.execute("UPDATE dmp_filings SET pdf = COALESCE(pdf, ?) WHERE ordonnance_id = ?", (pdf, ordonnance_id))

    def finish(self, ordonnance_id: int, state: str, error: str | None = None) -> None:
        if state not in FINAL_STATES:
            raise ValueError(f"not a final DMP filing state: {state!r}")
        now = time.time()
        with self.store.transaction() as conn:
            conn.execute("UPDATE dmp_filings SET state = ?, last_error = ?, filed_at = ?, updated_at = ?"
                         " WHERE ordonnance_id = ?", (state, error, now if state == "filed" else None, now,
                                                      ordonnance_id))

    def retry_later(self, ordonnance_id: int, error: str, delay: float) -> None:
        now = time.time()
        with self.store.transaction() as conn:
            conn.execute("UPDATE dmp_filings SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?,"
                         " updated_at = ? WHERE ordonnance_id = ?", (now + delay, error, now, ordonnance_id))
