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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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

    def save_draft_part(self, patient_id: int, part: str, data: Any, read_version: int | None = None,
                        readable: Callable[[dict[str, Any]], object] | None = None) -> int:
        """Replace one part of the patient's draft (``"lines"``: the medicines, ``"care"``: the
        other kinds), keeping the other part: read and written in one transaction so that the
        two editors never overwrite each other. The row goes when every part is empty. A draft
        stored as a plain list (before the care part existed) is its medicine lines.

        ``read_version``: the draft's version this workstation last read or wrote (0: it had
        none); when another workstation changed it since, nothing is written and ``EditConflict``
        says so. None: no check. ``readable``: the caller's reading of every part (raises
        ``ValueError``, ``KeyError``, ``TypeError`` or ``AttributeError`` when it cannot): a
        stored draft that cannot be read is set aside (``set_aside_drafts``), never overwritten,
        and this part starts a new draft. Returns the draft's new version (0: no draft left)."""
        with _store_errors(), write_transaction(self._db):
            row = self._db.execute("SELECT lines, row_version FROM drafts WHERE patient_id = ?",
                                   (patient_id,)).fetchone()
            stored_version = int(row[1]) if row is not None else 0
            if read_version is not None and read_version != stored_version:
                raise draft_conflict()
            try:
                parts = draft_parts(row[0]) if row is not None else {}
                if readable is not None and row is not None:
                    readable(parts)
            except UNREADABLE as error:
                log.warning("stored draft of patient %s unreadable, set aside before saving: %s", patient_id,
                            why(error))
                self._set_aside(patient_id, stored_version, error)
                parts = {}
            parts[part] = data
            if not any(value for key, value in parts.items() if key != "format"):
                self._db.execute("DELETE FROM drafts WHERE patient_id = ?", (patient_id,))
                return 0
            (version,) = self._db.execute(
                "INSERT INTO drafts (patient_id, lines, updated_at, row_version) VALUES (?, ?, ?, 1) "
                "ON CONFLICT(patient_id) DO UPDATE SET lines = excluded.lines, updated_at = excluded.updated_at, "
                "row_version = drafts.row_version + 1 RETURNING row_version",
                (patient_id, _json(parts), _now())).fetchone()
        return int(version)

    def set_aside_draft(self, patient_id: int, version: int, cause: Exception) -> None:
        """Move the patient's stored draft, as it is, to the drafts set aside (``cause``: why it
        could not be read) — unless another workstation changed it since it was read at
        ``version``: that one is read afresh next time."""
        with _store_errors(), write_transaction(self._db):
            self._set_aside(patient_id, version, cause)

    def _set_aside(self, patient_id: int, version: int, cause: Exception) -> None:
        self._db.execute("INSERT INTO drafts_set_aside (patient_id, lines, row_version, reason, set_aside_at) "
                         "SELECT patient_id, lines, row_version, ?, ? FROM drafts WHERE patient_id = ? AND "
                         "row_version = ?", (why(cause), _now(), patient_id, version))
        self._db.execute("DELETE FROM drafts WHERE patient_id = ? AND row_version = ?", (patient_id, version))

    def set_aside_drafts(self, patient_id: int | None = None) -> list[SetAsideDraft]:
        """The drafts set aside (of one patient, or all), oldest first: what support reads."""
        sql = "SELECT patient_id, lines, row_version, reason, set_aside_at FROM drafts_set_aside"
        with _store_errors():
            rows = (self._db.execute(sql + " ORDER BY id").fetchall() if patient_id is None else
                    self._db.execute(sql + " WHERE patient_id = ? ORDER BY id", (patient_id,)).fetchall())
        return [SetAsideDraft(int(p), str(content), int(version), str(reason), str(at))
                for p, content, version, reason, at in rows]

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


class UnreadableDraft(ValueError):
    """A stored draft that is not a draft of this version's format."""


# What reading a stored draft raises when it cannot (the JSON, its format, a line's fields).
UNREADABLE = (ValueError, KeyError, TypeError, AttributeError)
DRAFT_FORMAT = 1  # a later version that changes what a draft holds writes "format": 2 (or more)


@dataclass(frozen=True, slots=True)
class SetAsideDraft:
    patient_id: int
    content: str  # the draft as it was stored
    version: int
    reason: str  # technical, for support
    set_aside_at: str  # ISO 8601, UTC


def draft_parts(stored: str) -> dict[str, Any]:
    """The parts of a stored draft: ``{"lines": [...], "care": {kind: [...]}, "open": {...}}``;
    the former format (a plain list) is the medicine lines. Raises ``UnreadableDraft`` for
    damaged JSON, or a draft of a later format."""
    try:
        data = json.loads(stored)
    except ValueError as error:
        raise UnreadableDraft(f"damaged JSON: {error}") from error
    if isinstance(data, list):
        return {"lines": data}
    if not isinstance(data, dict):
        raise UnreadableDraft(f"a draft is a JSON object, not {type(data).__name__}")
    if data.get("format", DRAFT_FORMAT) != DRAFT_FORMAT:
        raise UnreadableDraft(f"draft format {data['format']!r}: this version reads {DRAFT_FORMAT}")
    return data


def draft_set_aside() -> UserError:
    """What the physician reads when the patient's stored draft could not be read back (damaged,
    or written by a newer version) and was set aside; Python's own words go to the log."""
    return UserError(_("Le brouillon enregistré de ce patient n'a pas pu être rouvert (abîmé, ou écrit par une "
                       "version plus récente de LAP) : il est mis de côté, intact, pour le support, et l'ordonnance "
                       "repart vide."))


def why(cause: Exception) -> str:
    """``cause`` in Python's words, for the log and for support (never shown to the physician)."""
    return f"{type(cause).__name__}: {cause}"[:1000]


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
