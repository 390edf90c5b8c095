"""Favourite lines, ordonnance templates and each patient's draft in the local store (tables
``favourites``, ``templates``, ``drafts``): the only SQL on them.

Lines are stored as the JSON that ``lap_app.services.drafting.line_to_dict`` gives; this module
stores and returns those dicts. An SQLite failure (locked, disk full…) becomes a French
``UserError`` the editor shows, the lines staying in memory.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from lap_app.domain.errors import UserError
from lap_app.i18n import _
from lap_app.storage.engine import StoreConnection
from lap_app.storage.errors import STORE_FAILURES, EditConflict
from lap_app.storage.transaction import write_transaction

log = logging.getLogger(__name__)

LineData = dict[str, Any]


class DraftingTables:
    """On one connection to the store (used from the GUI thread)."""

    def __init__(self, connection: StoreConnection) -> None:
        self._db = connection

    # ---- favourites: one line each --------------------------------------------------------------

    def add_favourite(self, name: str, line: LineData) -> int:
        with _store_errors():
            (favourite_id,) = self._db.execute(
                "INSERT INTO favourites (name, line, created_at) VALUES (?, ?, ?) RETURNING id",
                (name, _json(line), _now())).fetchone()
        return int(favourite_id)

    def favourites(self) -> list[tuple[int, str, LineData]]:
        with _store_errors():
            rows = self._db.execute("SELECT id, name, line FROM favourites ORDER BY lower(name), name").fetchall()
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
            rows = self._db.execute("SELECT id, name, lines FROM templates ORDER BY lower(name), name").fetchall()
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
                                    "ORDER BY lower(name), name").fetchall()
        return [(i, k, n, json.loads(data)) for i, k, n, data in rows]

    # ---- each patient's draft ---------------------------------------------------------------------

    def save_draft_part(self, patient_id: int, part: str, data: Any, read_version: int | None = None) -> int:
        """Replace one part of the patient's draft (``"lines"``: the medicines, ``"care"``: the
        other kinds), keeping the other part: read and written in one transaction so that the
        two editors never overwrite each other. The row goes when every part is empty. A draft
        stored as a plain list (before the care part existed) is its medicine lines.

        ``read_version``: the draft's version this workstation last read or wrote (0: it had
        none); when another workstation changed it since, nothing is written and ``EditConflict``
        says so. None: no check. Returns the draft's new version (0: no draft left)."""
        with _store_errors(), write_transaction(self._db):
            row = self._db.execute("SELECT lines, row_version FROM drafts WHERE patient_id = ?",
                                   (patient_id,)).fetchone()
            stored_version = int(row[1]) if row is not None else 0
            if read_version is not None and read_version != stored_version:
                raise draft_conflict()
            parts = draft_parts(row[0]) if row is not None else {}
            parts[part] = data
            if not any(parts.values()):
                self._db.execute("DELETE FROM drafts WHERE patient_id = ?", (patient_id,))
                return 0
            (version,) = self._db.execute(
                "INSERT INTO drafts (patient_id, lines, updated_at, row_version) VALUES (?, ?, ?, 1) "
                "ON CONFLICT(patient_id) DO UPDATE SET lines = excluded.lines, updated_at = excluded.updated_at, "
                "row_version = drafts.row_version + 1 RETURNING row_version",
                (patient_id, _json(parts), _now())).fetchone()
        return int(version)

    def draft(self, patient_id: int) -> str | None:
        """The patient's draft as stored (JSON text), or None; the caller reads it."""
        found = self.draft_and_version(patient_id)
        return None if found is None else found[0]

    def draft_and_version(self, patient_id: int) -> tuple[str, int] | None:
        with _store_errors():
            row = self._db.execute("SELECT lines, row_version FROM drafts WHERE patient_id = ?",
                                   (patient_id,)).fetchone()
        return None if row is None else (str(row[0]), int(row[1]))

    def draft_version(self, patient_id: int) -> int:
        with _store_errors():
            row = self._db.execute("SELECT row_version FROM drafts WHERE patient_id = ?", (patient_id,)).fetchone()
        return 0 if row is None else int(row[0])

    def delete_draft(self, patient_id: int) -> None:
        with _store_errors():
            self._db.execute("DELETE FROM drafts WHERE patient_id = ?", (patient_id,))

    def patients_with_draft(self) -> set[int]:
        with _store_errors():
            return {patient_id for (patient_id,) in self._db.execute("SELECT patient_id FROM drafts")}


def draft_conflict() -> EditConflict:
    return EditConflict(_("Le brouillon d'ordonnance de ce patient a été modifié sur un autre poste : vos dernières "
                          "modifications n'ont pas été enregistrées et rien n'a été écrasé ; rouvrez le patient pour "
                          "voir le brouillon enregistré"))


def draft_parts(stored: str) -> dict[str, Any]:
    """The parts of a stored draft: ``{"lines": [...], "care": {kind: [...]}}``; the former
    format (a plain list) is the medicine lines. Unreadable JSON raises a French ``UserError``
    (the row is left as it is: nothing is overwritten)."""
    try:
        data = json.loads(stored)
    except ValueError as error:
        raise unreadable_draft(error) from error
    if isinstance(data, list):
        return {"lines": data}
    if not isinstance(data, dict):
        raise unreadable_draft(TypeError(f"a draft is a JSON object, not {type(data).__name__}"))
    return data


def unreadable_draft(cause: Exception) -> UserError:
    """What the GP reads when a stored draft cannot be read back (damaged, or written by a newer
    version): French only; Python's own words for the cause go to the log."""
    log.warning("stored draft unreadable: %s: %s", type(cause).__name__, cause)
    return UserError(_("Le brouillon enregistré de ce patient est illisible (abîmé, ou écrit par une version plus "
                       "récente de LAP) ; le détail technique est dans le journal."))


@contextlib.contextmanager
def _store_errors() -> Iterator[None]:
    try:
        yield
    except STORE_FAILURES as error:
        if isinstance(error, UserError):  # the practice server's own French message
            raise
        raise UserError(_("base locale indisponible ({error})").format(error=error)) from error


def _json(data: object) -> str:
    return json.dumps(data, ensure_ascii=False)


def _now() -> str:
    return datetime.now(UTC).isoformat()
