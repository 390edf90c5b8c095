"""Favourite lines, ordonnance templates and each patient's draft in the local store (tables
``favourites``, ``templates``, ``drafts``): the only SQL on them.

Lines are stored as the JSON that ``lap_app.services.drafting.line_to_dict`` gives; this module
stores and returns those dicts. An SQLite failure (locked, disk full…) becomes a French
``UserError`` the editor shows, the lines staying in memory.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from lap_app.domain.errors import UserError
from lap_app.i18n import _
from lap_app.storage.transaction import write_transaction

LineData = dict[str, Any]


class DraftingTables:
    """On one connection to the store (used from the GUI thread)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    # ---- favourites: one line each --------------------------------------------------------------

    def add_favourite(self, name: str, line: LineData) -> int:
        with _store_errors():
            cursor = self._db.execute("INSERT INTO favourites (name, line, created_at) VALUES (?, ?, ?)",
                                      (name, _json(line), _now()))
        if cursor.lastrowid is None:  # sqlite3 sets it after every INSERT
            raise RuntimeError("favourite stored without a row id")
        return cursor.lastrowid

    def favourites(self) -> list[tuple[int, str, LineData]]:
        with _store_errors():
            rows = self._db.execute("SELECT id, name, line FROM favourites ORDER BY name COLLATE NOCASE").fetchall()
        return [(i, n, json.loads(data)) for i, n, data in rows]

    def remove_favourite(self, favourite_id: int) -> None:
        with _store_errors():
            self._db.execute("DELETE FROM favourites WHERE id = ?", (favourite_id,))

    # ---- templates: several lines, one per name ---------------------------------------------------

    def save_template(self, name: str, lines: list[LineData]) -> int:
        """Create or replace the template called ``name``; returns its id."""
        with _store_errors(), write_transaction(self._db):
            self._db.execute("INSERT INTO templates (name, lines, created_at) VALUES (?, ?, ?) "
                             "ON CONFLICT(name) DO UPDATE SET lines = excluded.lines", (name, _json(lines), _now()))
            (template_id,) = self._db.execute("SELECT id FROM templates WHERE name = ?", (name,)).fetchone()
        return int(template_id)

    def templates(self) -> list[tuple[int, str, list[LineData]]]:
        with _store_errors():
            rows = self._db.execute("SELECT id, name, lines FROM templates ORDER BY name COLLATE NOCASE").fetchall()
        return [(i, n, json.loads(data)) for i, n, data in rows]

    def remove_template(self, template_id: int) -> None:
        with _store_errors():
            self._db.execute("DELETE FROM templates WHERE id = ?", (template_id,))

    # ---- templates of the other kinds (biology, nursing…) -------------------------------------

    def save_care_template(self, kind: str, name: str, lines: list[LineData]) -> int:
        with _store_errors(), write_transaction(self._db):
            self._db.execute("INSERT INTO care_templates (kind, name, lines, created_at) VALUES (?, ?, ?, ?) "
                             "ON CONFLICT(kind, name) DO UPDATE SET lines = excluded.lines",
                             (kind, name, _json(lines), _now()))
            (template_id,) = self._db.execute("SELECT id FROM care_templates WHERE kind = ? AND name = ?",
                                              (kind, name)).fetchone()
        return int(template_id)

    def care_templates(self) -> list[tuple[int, str, str, list[LineData]]]:
        """(id, kind, name, lines), by name."""
        with _store_errors():
            rows = self._db.execute("SELECT id, kind, name, lines FROM care_templates "
                                    "ORDER BY name COLLATE NOCASE").fetchall()
        return [(i, k, n, json.loads(data)) for i, k, n, data in rows]

    # ---- each patient's draft ---------------------------------------------------------------------

    def save_draft(self, patient_id: int, lines: list[LineData]) -> None:
        with _store_errors():
            self._db.execute(
                "INSERT INTO drafts (patient_id, lines, updated_at) VALUES (?, ?, ?) ON CONFLICT(patient_id) "
                "DO UPDATE SET lines = excluded.lines, updated_at = excluded.updated_at",
                (patient_id, _json(lines), _now()))

    def draft(self, patient_id: int) -> str | None:
        """The patient's draft as stored (JSON text), or None; the caller reads it."""
        with _store_errors():
            row = self._db.execute("SELECT lines FROM drafts WHERE patient_id = ?", (patient_id,)).fetchone()
        return None if row is None else str(row[0])

    def delete_draft(self, patient_id: int) -> None:
        with _store_errors():
            self._db.execute("DELETE FROM drafts WHERE patient_id = ?", (patient_id,))

    def patients_with_draft(self) -> set[int]:
        with _store_errors():
            return {patient_id for (patient_id,) in self._db.execute("SELECT patient_id FROM drafts")}


@contextlib.contextmanager
def _store_errors() -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as error:
        raise UserError(_("base locale indisponible ({error})").format(error=error)) from error


def _json(data: object) -> str:
    return json.dumps(data, ensure_ascii=False)


def _now() -> str:
    return datetime.now(UTC).isoformat()
