"""Searching the NABM and LPP nomenclatures, and telling validation whether a code is open.

Search is forgiving: every word is a prefix (« hemog » finds HEMOGRAMME), accents are not
needed, the abbreviations GPs type come first (``abbreviations.csv``), a code or its start
finds the code (NABM with or without its leading zero). Closed codes are found and marked
``closed``: validation refuses them with the date they closed.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from lap_app.domain.care_validation import LPP, NABM, CodeState, CodeStatus
from lap_app.nomenclatures.abbreviations import AbbreviationIndex, fold_query, load_abbreviations
from lap_app.nomenclatures.importer import build_database, connect
from lap_app.nomenclatures.schema import SCHEMA_VERSION

BIOLOGY = "biologie"
DEVICES = "dispositifs"
_TABLES = {BIOLOGY: "nabm", DEVICES: "lpp"}
_SYSTEMS = {NABM: BIOLOGY, LPP: DEVICES}
_CODE_DIGITS = {BIOLOGY: 4, DEVICES: 7}
# Words too common to narrow a search (« bas de contention », « glycémie à jeun »).
_STOP_WORDS = {"de", "du", "des", "d", "la", "le", "les", "l", "a", "au", "aux", "en", "et", "pour", "par"}


@dataclass(frozen=True, slots=True)
class NomenclatureEntry:
    code: str
    label: str
    closed_on: date | None
    detail: str = ""  # NABM: physio-pathological group; LPP: chapter
    supply_type: str = ""  # LPP: A achat, L location, S service, R réparation…

    def closed_on_day(self, day: date) -> bool:
        return self.closed_on is not None and self.closed_on <= day

    @property
    def closed(self) -> bool:
        return self.closed_on_day(date.today())

    def as_json(self) -> dict[str, object]:
        return {"code": self.code, "label": self.label, "closed": self.closed}


class NomenclatureDatabase:
    """Read access to the nomenclature database (one connection, used under a lock)."""

    def __init__(self, path: Path, abbreviations: AbbreviationIndex | None = None) -> None:
        self.path = path
        self._conn = connect(path)
        self._conn.execute("PRAGMA query_only = ON")
        self._lock = threading.Lock()
        self.abbreviations = abbreviations or AbbreviationIndex(load_abbreviations())

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> NomenclatureDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _entry(self, nomenclature: str, row: tuple[object, ...]) -> NomenclatureEntry:
        code, label, closed_on, detail, supply = row
        return NomenclatureEntry(str(code), str(label), date.fromisoformat(str(closed_on)) if closed_on else None,
                                 str(detail or ""), str(supply or ""))

    def _columns(self, nomenclature: str) -> str:
        if nomenclature == BIOLOGY:
            return "code, label, closed_on, grp, ''"
        return "code, label, closed_on, CASE WHEN section_label != '' THEN section_label ELSE chapter_label END, supply_type"

    def get(self, nomenclature: str, code: str) -> NomenclatureEntry | None:
        table = _TABLES[nomenclature]
        code = code.strip()
        if code.isdigit():
            code = code.zfill(_CODE_DIGITS[nomenclature])
        with self._lock:
            row = self._conn.execute(
                f"SELECT {self._columns(nomenclature)} FROM {table} WHERE code = ?", (code,)
            ).fetchone()
        return self._entry(nomenclature, row) if row else None

    def code_status(self, nomenclature: str, code: str) -> CodeStatus:
        """For validation (``CodeCatalogue``): ``nomenclature`` is "NABM" or "LPP"."""
        entry = self.get(_SYSTEMS[nomenclature], code)
        if entry is None:
            return CodeStatus(CodeState.UNKNOWN)
        if entry.closed:
            return CodeStatus(CodeState.CLOSED, entry.label, entry.closed_on)
        return CodeStatus(CodeState.OPEN, entry.label)

    def count(self, nomenclature: str) -> int:
        with self._lock:
            return int(self._conn.execute(f"SELECT count(*) FROM {_TABLES[nomenclature]}").fetchone()[0])

    def search(self, nomenclature: str, query: str, limit: int = 20) -> list[NomenclatureEntry]:
        """Best first: the abbreviations' codes, then codes starting with a typed number,
        then label matches (every word a prefix) in rank order, labels starting with the
        first word first."""
        if nomenclature not in _TABLES or limit <= 0:
            return []
        table = _TABLES[nomenclature]
        columns = self._columns(nomenclature)
        found: dict[str, NomenclatureEntry] = {}
        with self._lock:
            for abbreviation in self.abbreviations.matching(nomenclature, query):
                for code in abbreviation.codes:
                    row = self._conn.execute(f"SELECT {columns} FROM {table} WHERE code = ?", (code,)).fetchone()
                    if row and code not in found:
                        found[code] = self._entry(nomenclature, row)
                for words in abbreviation.words.split("|"):  # "a b|c": (a AND b) then c
                    if words.strip():
                        self._add_words(nomenclature, words, found, limit)
                if len(found) >= limit:
                    return list(found.values())[:limit]
            digits = query.strip().replace(" ", "")
            if digits.isdigit():
                self._add_code_prefix(nomenclature, digits, found, limit)
            else:
                self._add_words(nomenclature, query, found, limit)
        return list(found.values())[:limit]

    def _add_code_prefix(self, nomenclature: str, digits: str, found: dict[str, NomenclatureEntry], limit: int) -> None:
        table, columns = _TABLES[nomenclature], self._columns(nomenclature)
        prefixes = [digits]
        if nomenclature == BIOLOGY and len(digits) < 4:
            prefixes.insert(0, digits.zfill(4) if len(digits) == 3 else "0" + digits)
        for prefix in prefixes:
            rows = self._conn.execute(
                f"SELECT {columns} FROM {table} WHERE code >= ? AND code < ? ORDER BY code LIMIT ?",
                (prefix, prefix + ":", limit),  # ":" sorts right after "9"
            ).fetchall()
            for row in rows:
                found.setdefault(str(row[0]), self._entry(nomenclature, row))

    def _add_words(self, nomenclature: str, text: str, found: dict[str, NomenclatureEntry], limit: int) -> None:
        words = [w for w in fold_query(text).split() if w]
        useful = [w for w in words if w not in _STOP_WORDS] or words
        if not useful:
            return
        table, columns = _TABLES[nomenclature], self._columns(nomenclature)
        terms = [f'"{w}"*' for w in useful]
        # labels starting with the first word typed first (FTS5 ``^``: first token), then the rest
        for match in (" ".join(["^" + terms[0], *terms[1:]]), " ".join(terms)):
            wanted = limit - len(found)
            if wanted <= 0:
                return
            try:
                rows = self._conn.execute(
                    f"SELECT {columns} FROM {table} WHERE rank IN "
                    f"(SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH ? ORDER BY rowid LIMIT ?) ORDER BY rank",
                    (match, wanted + len(found)),
                ).fetchall()
            except sqlite3.OperationalError:  # a query FTS5 cannot parse finds nothing
                return
            for row in rows:
                found.setdefault(str(row[0]), self._entry(nomenclature, row))

def open_nomenclatures(path: Path | None = None) -> NomenclatureDatabase:
    """The nomenclature database at ``path`` (default: the user data folder), built from the
    shipped files when missing or of an older schema."""
    if path is None:
        from lap_app.paths import user_data_dir

        path = user_data_dir() / "nomenclatures.sqlite"
    if not path.exists() or _schema_version(path) != SCHEMA_VERSION:
        build_database(path)
    return NomenclatureDatabase(path)


def _schema_version(path: Path) -> int:
    try:
        conn = sqlite3.connect(path)
        try:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return -1
