"""Building the nomenclature database from the shipped files, and importing newer extracts.

As for the BDPM: every file is parsed before any write (an unusable file refuses the whole
import, naming its first bad line as ``file:line``); the tables of a nomenclature are then
replaced in ONE transaction, so a failure leaves the previous data serving. The first build
writes a temporary file renamed over the target.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from lap_app.domain.errors import UserError, os_error_reason
from lap_app.i18n import _
from lap_app.nomenclatures import formats as f
from lap_app.nomenclatures.schema import LPP_SQL, META_SQL, NABM_SQL, SCHEMA_VERSION
from lap_app.paths import resources_dir
from lap_app.storage.transaction import write_transaction

_LOST_ACCENT = "\ufffd"  # 52 LPP labels lost an accent: « R\ufffdDUCTEUR » indexed as « RDUCTEUR »
MAX_BAD_ROW_SHARE = 0.2  # more unreadable rows than this: not the expected file


class ImportFailed(UserError):
    """The import was refused or failed; the previous nomenclature data are unchanged."""


@dataclass(slots=True)
class ImportReport:
    files: list[str]
    rows: dict[str, int] = field(default_factory=dict)  # table → rows
    problems: list[f.LineProblem] = field(default_factory=list)  # rows skipped
    seconds: float = 0.0


def shipped_source() -> Path:
    return resources_dir() / "nomenclatures"


def read_files(source: Path) -> dict[str, bytes]:
    """The known nomenclature files under ``source`` (searched in its sub-folders too)."""
    if not source.is_dir():
        raise ImportFailed(_("Dossier des nomenclatures introuvable : {path}").format(path=source))
    found: dict[str, bytes] = {}
    try:
        for path in sorted(source.rglob("*.csv")):
            if path.name in f.KNOWN_FILES and path.name not in found:
                found[path.name] = path.read_bytes()
    except OSError as error:
        raise ImportFailed(
            _("Lecture impossible de {path} : {reason} ; import annulé, les nomenclatures précédentes "
              "restent en service.").format(path=source, reason=os_error_reason(error))
        ) from error
    if f.NABM_FILE not in found and f.LPP_FILE not in found:
        raise ImportFailed(_("Aucun fichier de nomenclature reconnu ({nabm} ou {lpp}) dans {path}.")
                           .format(nabm=f.NABM_FILE, lpp=f.LPP_FILE, path=source))
    return found


def _usable(parsed: f.Parsed) -> f.Parsed:
    bad = len(parsed.problems)
    total = bad + len(parsed.rows)
    if not parsed.rows:
        first = f" ({parsed.problems[0].render()})" if parsed.problems else ""
        raise ImportFailed(_("{file} : aucune ligne lisible{first} ; import annulé, les nomenclatures "
                             "précédentes restent en service.").format(file=parsed.name, first=first))
    if bad > MAX_BAD_ROW_SHARE * total:
        raise ImportFailed(_("{file} : {bad} lignes illisibles sur {total} (première : {first}) ; import "
                             "annulé, les nomenclatures précédentes restent en service.")
                           .format(file=parsed.name, bad=bad, total=total, first=parsed.problems[0].render()))
    return parsed


@dataclass(slots=True)
class _Release:
    nabm: list[f.NabmRow] | None = None
    lpp: list[f.LppRow] | None = None
    lpp_labels: dict[str, str] = field(default_factory=dict)
    billed: set[str] = field(default_factory=set)
    problems: list[f.LineProblem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def parse_files(files: dict[str, bytes]) -> _Release:
    """Parse every file, or raise ``ImportFailed`` before any write."""
    release = _Release(files=sorted(files))
    if f.NABM_FILE in files:
        main = _usable(f.parse_nabm(files[f.NABM_FILE]))
        rows: list[f.NabmRow] = list(main.rows)
        release.problems += main.problems
        if f.NABM_EXTRA_FILE in files:
            extra = f.parse_nabm_extra(files[f.NABM_EXTRA_FILE])
            release.problems += extra.problems
            known = {row.code for row in rows}
            rows += [row for row in extra.rows if row.code not in known]
        release.nabm = rows
    if f.LPP_FILE in files:
        main = _usable(f.parse_lpp(files[f.LPP_FILE]))
        release.lpp = list(main.rows)
        release.problems += main.problems
        for name in (f.LPP_TITLES_FILE, f.LPP_CHAPTERS_FILE, f.LPP_SECTIONS_FILE):
            if name in files:
                key, label = {"openlpp_TITRE.csv": ("TITRE", "LIB_TITRE"),
                              "openlpp_sc1.csv": ("sc1", "LIB_sc1"),
                              "openlpp_sc2.csv": ("sc2", "LIB_sc2")}[name]
                labels = f.parse_labels(files[name], name, key, label)
                release.problems += labels.problems
                release.lpp_labels.update(labels.rows)
        if f.LPP_BILLED_FILE in files:
            billed = f.parse_labels(files[f.LPP_BILLED_FILE], f.LPP_BILLED_FILE, "CODE_LPP", "LIB_CODE_LPP")
            release.problems += billed.problems
            release.billed = {key.zfill(7) for key, _label in billed.rows}
    return release


def _closed(closed_on: date | None, today: date) -> bool:
    return closed_on is not None and closed_on <= today


def _write_nabm(conn: sqlite3.Connection, rows: list[f.NabmRow], today: date) -> int:
    for statement in NABM_SQL.split(";"):
        if statement.strip():
            conn.execute(statement)
    ordered = sorted(rows, key=lambda r: (_closed(r.closed_on, today), len(r.label), r.code))
    conn.executemany(
        "INSERT INTO nabm VALUES (?,?,?,?,?,?,?,?)",
        [(rank, r.code, r.label, r.closed_on.isoformat() if r.closed_on else None, r.chapter, r.coefficient,
          r.group, r.source) for rank, r in enumerate(ordered, 1)],
    )
    conn.executemany(
        "INSERT INTO nabm_fts(rowid, words) VALUES (?, ?)",
        [(rank, f"{r.label} {r.code} {r.code.lstrip('0')}") for rank, r in enumerate(ordered, 1)],
    )
    return len(ordered)


def _write_lpp(conn: sqlite3.Connection, release: _Release, today: date) -> int:
    if release.lpp is None:  # the caller checks it
        raise ValueError("no LPP file in this release")
    for statement in LPP_SQL.split(";"):
        if statement.strip():
            conn.execute(statement)
    billed = release.billed
    ordered = sorted(release.lpp, key=lambda r: (_closed(r.closed_on, today), r.code not in billed, len(r.label), r.code))
    labels = release.lpp_labels

    def row(rank: int, r: f.LppRow) -> tuple[object, ...]:
        chapter = labels.get(f"{r.title}_{r.chapter}", "") if r.title and r.chapter else ""
        section = labels.get(f"{r.title}_{r.chapter}_{r.section}", "") if r.section not in ("", "0") else ""
        return (rank, r.code, r.label, r.closed_on.isoformat() if r.closed_on else None, r.supply_type, r.max_age,
                labels.get(r.title, ""), chapter, section, int(r.code in billed))

    conn.executemany("INSERT INTO lpp VALUES (?,?,?,?,?,?,?,?,?,?)", [row(rank, r) for rank, r in enumerate(ordered, 1)])
    conn.executemany(
        "INSERT INTO lpp_fts(rowid, words) VALUES (?, ?)",
        [(rank, f"{r.label.replace(_LOST_ACCENT, '')} {r.code}") for rank, r in enumerate(ordered, 1)],
    )
    return len(ordered)


def _write(conn: sqlite3.Connection, release: _Release, report: ImportReport) -> None:
    today = date.today()
    conn.execute(META_SQL)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    if release.nabm is not None:
        report.rows["nabm"] = _write_nabm(conn, release.nabm, today)
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('nabm_imported_at', ?)", (now,))
    if release.lpp is not None:
        report.rows["lpp"] = _write_lpp(conn, release, today)
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('lpp_imported_at', ?)", (now,))


def connect(path: Path) -> sqlite3.Connection:
    """Autocommit mode: transactions are opened explicitly with BEGIN."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 5000")
    return conn


def build_database(target: Path, source: Path | None = None) -> ImportReport:
    """A complete database at ``target`` from ``source`` (default: the shipped files),
    written beside it and renamed over it: a crash never leaves half a database."""
    started = time.perf_counter()
    files = read_files(source or shipped_source())
    release = parse_files(files)
    if release.nabm is None or release.lpp is None:
        raise ImportFailed(_("La première construction demande les deux nomenclatures ({nabm} et {lpp}).")
                           .format(nabm=f.NABM_FILE, lpp=f.LPP_FILE))
    report = ImportReport(files=release.files, problems=release.problems)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=".nomenclatures-", suffix=".building", dir=target.parent)
    os.close(handle)
    temp = Path(temp_name)
    try:
        conn = connect(temp)
        try:
            conn.execute("PRAGMA journal_mode = OFF")  # a temporary file: atomicity comes from the rename
            conn.execute("PRAGMA synchronous = OFF")  # one fsync of the whole file below instead
            with write_transaction(conn):
                _write(conn, release, report)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("PRAGMA journal_mode = WAL")
        finally:
            conn.close()
        with open(temp, "rb+") as written:
            os.fsync(written.fileno())
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    report.seconds = time.perf_counter() - started
    return report


def import_files(db_path: Path, source: Path) -> ImportReport:
    """Replace the nomenclature(s) found under ``source`` in the live database, in one
    transaction; on any failure the previous data keep serving."""
    started = time.perf_counter()
    release = parse_files(read_files(source))
    report = ImportReport(files=release.files, problems=release.problems)
    conn = connect(db_path)
    try:
        with write_transaction(conn):
            _write(conn, release, report)
    except sqlite3.Error as error:
        raise ImportFailed(_("Import impossible ({error}) ; les nomenclatures précédentes restent en service.")
                           .format(error=error)) from error
    finally:
        conn.close()
    report.seconds = time.perf_counter() - started
    return report
