"""Rate limit on reads of unknown numbers (prescriptions, DMP documents), per card and per installation.

Numbers are unguessable; this bounds how fast anyone can try. Every miss (an unknown
number, or one that is not the caller's to read: they answer alike) is recorded in the
base's database, so the limit holds across server processes and restarts. Past the limit,
every read by number is refused with 429 and ``Retry-After`` before any lookup, so a refused
guess tells nothing; each refusal is audited and logged as an alert.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lap_app.standins.base_server.errors import ApiError

if TYPE_CHECKING:
    import sqlite3

    from lap_app.standins.base_server.engines import Store

log = logging.getLogger(__name__)

RATE_LIMITED = "too_many_unknown_numbers"
MISS_CODES = frozenset({"unknown_prescription", "unknown_document"})


@dataclass(frozen=True, slots=True)
class UnknownNumberLimits:
    window: float = 300.0  # seconds
    per_card: int = 10
    per_installation: int = 30


class UnknownNumberLimiter:
    def __init__(self, store: Store, limits: UnknownNumberLimits) -> None:
        self._store = store
        self.limits = limits

    def check(self, actor: str, installation: str) -> None:
        """429 when this card or this installation read too many unknown numbers lately."""
        now = time.time()
        since = now - self.limits.window
        with self._store.reading() as conn:
            for column, value, limit in (("actor", actor, self.limits.per_card),
                                         ("installation", installation, self.limits.per_installation)):
                (count,) = conn.execute(
                    f"SELECT count(*) FROM unknown_number_reads WHERE {column} = ? AND at > ?",
                    (value, since)).fetchone()
                if count >= limit:
                    wait = max(1, math.ceil(self._release_time(conn, column, value, since, count, limit) - now))
                    log.warning("ALERT base: unknown-number reads rate-limited (%s %s: %d in %.0f s)",
                                "card" if column == "actor" else "installation", value, count, self.limits.window)
                    raise ApiError(429, RATE_LIMITED,
                                   f"Trop de lectures de numéros inconnus : réessayez dans {wait} s",
                                   headers={"Retry-After": str(wait)})

    def _release_time(self, conn: sqlite3.Connection, column: str, value: str, since: float,
                      count: int, limit: int) -> float:
        """When the count falls back under the limit: the (count − limit + 1)-th oldest miss leaves the window."""
        row = conn.execute(
            f"SELECT at FROM unknown_number_reads WHERE {column} = ? AND at > ? ORDER BY at LIMIT 1 OFFSET ?",
            (value, since, count - limit)).fetchone()
        return float(row[0]) + self.limits.window

    def record(self, conn: sqlite3.Connection, actor: str, installation: str) -> None:
        """One miss, inside the transaction that audits it (misses out of the window are dropped)."""
        now = time.time()
        conn.execute("DELETE FROM unknown_number_reads WHERE at < ?", (now - self.limits.window,))
        conn.execute("INSERT INTO unknown_number_reads (at, actor, installation) VALUES (?,?,?)",
                     (now, actor, installation))
