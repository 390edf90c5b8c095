"""Ordonnances, their outbox and the reserved-number pool in the local store.

``LocalStore`` is the only code that runs SQL on these tables. A signed ordonnance and its
outbox entry are written in ONE transaction, before any network attempt, and its number is
taken from the pool in that same transaction: a crash at any point loses nothing and never
gives a number twice.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lap_app.domain.status import OrdonnanceStatus
from lap_app.storage.engine import (
    StoreConnection,
    StoreLocation,
    default_store_ca,
    default_store_location,
    is_postgres,
    open_store,
    taken_numbers_path,
)
from lap_app.storage.errors import STORE_FAILURES
from lap_app.storage.outbox_claim import OutboxClaims
from lap_app.storage.patient_link import bundle_patient_ref
from lap_app.storage.taken_numbers import TakenNumbers
from lap_app.storage.transaction import savepoint, write_transaction

if TYPE_CHECKING:  # (read back with an ordonnance, not needed to open the store)
    from lap_app.domain.acknowledgement import Acknowledgement

log = logging.getLogger(__name__)

# The patient's opposition: the prescriber's workstation never records dispensing progress, whatever
# an answer says (the base hides it too). Parameters: ``_shown(status)``.
_SHOWN_STATUS = "CASE WHEN opposition <> 0 AND ? THEN ? ELSE ? END"


def _shown(status: OrdonnanceStatus) -> tuple[bool, str, str]:
    status = OrdonnanceStatus(status)
    return status.tells_dispensing, OrdonnanceStatus.REGISTERED.value, status.value


@dataclass(frozen=True, slots=True)
class StoredOrdonnance:
    id: int
    number: str | None
    status: OrdonnanceStatus
    prescriber: str
    patient_name: str
    opposition: bool
    bundle: dict[str, Any]
    signer_certificate: bytes | None
    created_at: float
    updated_at: float
    last_error: str | None
    patient_ref: str | None = None  # the FHIR Patient fullUrl (stable across renamings)


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    id: int
    ordonnance_id: int
    number: str
    attempts: int
    next_attempt_at: float
    last_error: str | None


def _ordonnance(row: Any) -> StoredOrdonnance:
    certificate = row["signer_certificate"]
    return StoredOrdonnance(row["id"], row["number"], OrdonnanceStatus(row["status"]), row["prescriber"], row["patient_name"],
                            bool(row["opposition"]), json.loads(row["bundle"]),
                            None if certificate is None else bytes(certificate),
                            row["created_at"], row["updated_at"], row["last_error"], row["patient_ref"])


def _outbox_entry(row: Any) -> OutboxEntry:
    return OutboxEntry(row["id"], row["ordonnance_id"], row["number"], row["attempts"], row["next_attempt_at"],
                       row["last_error"])


class LocalStore:
    """The practice store: an SQLite file (``location`` a path; default: this user's) or the
    practice's PostgreSQL server (``location`` a ``postgresql://`` URL, ``ca_path`` its CA)."""

    def __init__(self, location: StoreLocation | None = None, ca_path: str | None = None) -> None:
        self.location: StoreLocation = default_store_location() if location is None else location
        ca_path = default_store_ca() if ca_path is None else ca_path
        self.conn: StoreConnection = open_store(self.location, ca_path)
        self._lock = threading.RLock()
        self._taken = TakenNumbers(taken_numbers_path(self.location))
        self._claims = OutboxClaims(str(self.location), ca_path) if is_postgres(self.conn) else None
        if not self._taken.exists():
            self._start_taken_numbers()

    def _start_taken_numbers(self) -> None:
        """A first start, or one from before the list existed: what the store knows as taken."""
        with self._lock:
            rows = self.conn.execute("SELECT prescriber, number, expires_at FROM number_pool"
                                     " WHERE taken_at IS NOT NULL AND expires_at > ?", (time.time(),)).fetchall()
        by_prescriber: dict[str, list[tuple[str, float]]] = {}
        for row in rows:
            by_prescriber.setdefault(row["prescriber"], []).append((row["number"], float(row["expires_at"])))
        try:
            self._taken.record(by_prescriber)
        except OSError as error:  # the next number taken fails to record the same way, and says so
            log.warning("list of taken numbers not written (%s): %s", self._taken.path, error)

    def close(self) -> None:
        if self._claims is not None:
            self._claims.close()
        self.conn.close()

    def transaction(self) -> AbstractContextManager[StoreConnection]:
        claim = self._claims.active() if self._claims is not None else None
        if claim is not None:  # inside an outbox claim: the entry's outcome commits with it
            return savepoint(claim)
        return write_transaction(self.conn, self._lock)

    def claimed(self, entry: OutboxEntry) -> AbstractContextManager[bool]:
        """Held while this workstation sends ``entry`` (``storage.outbox_claim``): False when
        another workstation is sending it now, or it has already left the outbox."""
        if self._claims is None:
            return contextlib.nullcontext(True)
        return self._claims.claim(entry.id)

    # --- number pool -----------------------------------------------------------------------

    def add_numbers(self, prescriber: str, numbers: list[str], expires_at: float) -> None:
        with self.transaction() as conn:
            conn.executemany("INSERT INTO number_pool (number, prescriber, expires_at) VALUES (?,?,?)"
                             " ON CONFLICT DO NOTHING", [(n, prescriber, expires_at) for n in numbers])

    def available_numbers(self, prescriber: str, margin: float = 3600.0) -> int:
        with self._lock:
            count: int = self.conn.execute(
                "SELECT COUNT(*) FROM number_pool WHERE prescriber = ? AND taken_at IS NULL AND expires_at > ?",
                (prescriber, time.time() + margin)).fetchone()[0]
        return count

    def _take_number(self, conn: StoreConnection, prescriber: str, margin: float = 3600.0,
                     excluded: frozenset[str] = frozenset()) -> str | None:
        """The free number that expires first, taken by a conditional UPDATE: on the practice
        server two workstations may pick the same candidate; the second one's UPDATE waits for
        the first to commit, finds it taken (``taken_at IS NULL`` re-checked) and tries the next.
        ``excluded``: numbers never to take (this workstation took them already)."""
        candidates = conn.execute(
            "SELECT number, expires_at FROM number_pool WHERE prescriber = ? AND taken_at IS NULL AND expires_at > ?"
            " ORDER BY expires_at, number", (prescriber, time.time() + margin)).fetchall()
        for row in candidates:
            number: str = row["number"]
            if number in excluded:
                continue
            taken = conn.execute("UPDATE number_pool SET taken_at = ? WHERE number = ? AND taken_at IS NULL",
                                 (time.time(), number)).rowcount
            if taken == 1:
                # Written before the commit: never handed out twice, even from a restored store.
                self._taken.record({prescriber: [(number, float(row["expires_at"]))]})
                return number
        return None

    def unused_numbers(self, prescriber: str) -> builtins.list[str]:
        with self._lock:
            rows = self.conn.execute("SELECT number FROM number_pool WHERE prescriber = ? AND taken_at IS NULL"
                                     " ORDER BY number", (prescriber,)).fetchall()
        return [r["number"] for r in rows]

    def burn_numbers(self, numbers: builtins.list[str]) -> int:
        """Take these numbers out of the pool for good (the base says they are used or unknown)."""
        with self.transaction() as conn:
            burnt = sum(conn.execute("UPDATE number_pool SET taken_at = ? WHERE number = ? AND taken_at IS NULL",
                                     (time.time(), n)).rowcount for n in numbers)
        return max(0, burnt)

    # --- ordonnances -----------------------------------------------------------------------

    def reserve_number_for_signing(self, prescriber: str) -> str | None:
        """Take a number out of the pool (it will never be offered again, even if signing fails),
        never one this workstation already took (``TakenNumbers``: the store may be a restored
        backup, and offline the base cannot say)."""
        excluded = self._taken.of(prescriber)
        with self.transaction() as conn:
            return self._take_number(conn, prescriber, excluded=excluded)

    def save_signed(self, *, number: str, prescriber: str, patient_name: str, opposition: bool,
                    bundle: dict[str, Any], signer_certificate: bytes,
                    acknowledgements: Sequence[Acknowledgement] = (),
                    also: Callable[[StoreConnection, int], None] | None = None) -> int:
        """Record a signed ordonnance, the alerts acknowledged for it, and queue it in the
        outbox, atomically.

        ``also(conn, ordonnance_id)`` writes in the same transaction (the DMP copy with the
        printed PDF): everything the ordonnance needs is on disk before the base hears of it,
        so a disk full after the registration cannot cost the user the PDF."""
        now = time.time()
        with self.transaction() as conn:
            ordonnance_id = int(conn.execute(
                "INSERT INTO ordonnances (number, status, prescriber, patient_name, patient_ref, opposition, bundle,"
                " signer_certificate, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id",
                (number, OrdonnanceStatus.WAITING.value, prescriber, patient_name, bundle_patient_ref(bundle), int(opposition),
                 json.dumps(bundle, ensure_ascii=False), signer_certificate, now, now)).fetchone()[0])
            conn.execute("INSERT INTO outbox (ordonnance_id, number, next_attempt_at, created_at) VALUES (?,?,?,?)",
                         (ordonnance_id, number, now, now))
            _record_acknowledgements(conn, ordonnance_id, acknowledgements)
            if also is not None:
                also(conn, ordonnance_id)
        return ordonnance_id

    def save_paper(self, *, prescriber: str, patient_name: str, opposition: bool, bundle: dict[str, Any],
                   reason: str, acknowledgements: Sequence[Acknowledgement] = ()) -> int:
        now = time.time()
        with self.transaction() as conn:
            ordonnance_id = int(conn.execute(
                "INSERT INTO ordonnances (number, status, prescriber, patient_name, patient_ref, opposition, bundle,"
                " created_at, updated_at, last_error) VALUES (NULL,?,?,?,?,?,?,?,?,?) RETURNING id",
                (OrdonnanceStatus.PAPER.value, prescriber, patient_name, bundle_patient_ref(bundle), int(opposition),
                 json.dumps(bundle, ensure_ascii=False), now, now, reason)).fetchone()[0])
            _record_acknowledgements(conn, ordonnance_id, acknowledgements)
            return ordonnance_id

    def acknowledgements(self, ordonnance_id: int) -> list[Acknowledgement]:
        """The safety alerts the physician acknowledged to sign this ordonnance."""
        from lap_app.domain.acknowledgement import Acknowledgement

        with self._lock:
            rows = self.conn.execute(
                "SELECT alert_id, level, alert_text, acknowledged_by, acknowledged_at FROM alert_acknowledgements"
                " WHERE ordonnance_id = ? ORDER BY id", (ordonnance_id,)).fetchall()
        return [Acknowledgement(r["alert_id"], r["level"], r["alert_text"], r["acknowledged_by"],
                                datetime.fromisoformat(r["acknowledged_at"])) for r in rows]

    def get(self, ordonnance_id: int) -> StoredOrdonnance | None:
        with self._lock:
            row = self.conn.execute("SELECT * FROM ordonnances WHERE id = ?", (ordonnance_id,)).fetchone()
        return _ordonnance(row) if row else None

    def by_number(self, number: str) -> StoredOrdonnance | None:
        with self._lock:
            row = self.conn.execute("SELECT * FROM ordonnances WHERE number = ?", (number,)).fetchone()
        return _ordonnance(row) if row else None

    def list(self, status: OrdonnanceStatus | None = None, limit: int = 200) -> list[StoredOrdonnance]:
        with self._lock:
            if status:
                rows = self.conn.execute("SELECT * FROM ordonnances WHERE status = ? ORDER BY id DESC LIMIT ?",
                                         (OrdonnanceStatus(status).value, limit)).fetchall()
            else:
                rows = self.conn.execute("SELECT * FROM ordonnances ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [_ordonnance(r) for r in rows]

    def for_patient(self, patient_ref: str, limit: int = 200) -> builtins.list[StoredOrdonnance]:
        """A patient's ordonnances (by the FHIR Patient id of their Bundle), newest first."""
        with self._lock:
            rows = self.conn.execute("SELECT * FROM ordonnances WHERE patient_ref = ? ORDER BY id DESC LIMIT ?",
                                     (patient_ref, limit)).fetchall()
        return [_ordonnance(r) for r in rows]

    def set_status(self, number: str, status: OrdonnanceStatus, error: str | None = None) -> None:
        with self.transaction() as conn:
            conn.execute(f"UPDATE ordonnances SET status = {_SHOWN_STATUS}, updated_at = ?, last_error = ?"
                         " WHERE number = ?", (*_shown(status), time.time(), error, number))

    # --- outbox ----------------------------------------------------------------------------

    def outbox(self, due_only: bool = False) -> builtins.list[OutboxEntry]:  # `list` is a method here
        with self._lock:
            sql = "SELECT * FROM outbox"
            args: tuple[float, ...] = ()
            if due_only:
                sql += " WHERE next_attempt_at <= ?"
                args = (time.time(),)
            rows = self.conn.execute(sql + " ORDER BY id", args).fetchall()
        return [_outbox_entry(r) for r in rows]

    def outbox_entry(self, ordonnance_id: int) -> OutboxEntry | None:
        """The outbox entry of one ordonnance (None: never queued, or already gone)."""
        with self._lock:
            row = self.conn.execute("SELECT * FROM outbox WHERE ordonnance_id = ?", (ordonnance_id,)).fetchone()
        return _outbox_entry(row) if row else None

    def outbox_done(self, entry: OutboxEntry, status: OrdonnanceStatus, error: str | None = None) -> None:
        """The base answered for good (registered, or refused): leave the outbox."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM outbox WHERE id = ?", (entry.id,))
            conn.execute(f"UPDATE ordonnances SET status = {_SHOWN_STATUS}, updated_at = ?, last_error = ? WHERE id = ?",
                         (*_shown(status), time.time(), error, entry.ordonnance_id))

    def outbox_number_expiries(self) -> builtins.list[tuple[OutboxEntry, float | None]]:
        """Each outbox entry with its number's reservation expiry (None: not from this pool)."""
        with self._lock:
            rows = self.conn.execute(
                "SELECT o.*, p.expires_at AS number_expires_at FROM outbox o"
                " LEFT JOIN number_pool p ON p.number = o.number ORDER BY o.id").fetchall()
        return [(_outbox_entry(r), r["number_expires_at"]) for r in rows]

    def outbox_done_if_possible(self, entry: OutboxEntry, status: OrdonnanceStatus) -> bool:
        """``outbox_done`` after the base registered it; False when the store cannot be written
        (disk full): the entry stays and the next flush replays it (the base answers 200)."""
        try:
            self.outbox_done(entry, status)
        except STORE_FAILURES as error:
            log.warning("registration of %s not recorded locally yet: %s", entry.number, error)
            return False
        return True

    def outbox_retry_later(self, entry: OutboxEntry, error: str, delay: float) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?",
                         (time.time() + delay, error, entry.id))
            conn.execute("UPDATE ordonnances SET last_error = ?, updated_at = ? WHERE id = ?",
                         (error, time.time(), entry.ordonnance_id))


def _record_acknowledgements(conn: StoreConnection, ordonnance_id: int,
                             acknowledgements: Sequence[Acknowledgement]) -> None:
    conn.executemany(
        "INSERT INTO alert_acknowledgements (ordonnance_id, alert_id, level, alert_text, acknowledged_by,"
        " acknowledged_at) VALUES (?,?,?,?,?,?)",
        [(ordonnance_id, a.alert_id, a.level, a.text, a.by, a.at.isoformat()) for a in acknowledgements])
