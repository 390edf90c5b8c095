"""Building the drug database from the shipped release, and importing newer releases.

- ``build_database``: a fresh database from a full BDPM set plus the ANSM thesaurus, written
  to a temporary file beside the target and renamed over it at the end, so a crash never
  leaves a half-built database.
- ``import_release``: updates a live database with all or some files of a newer release, in
  one transaction: on any failure the previous content keeps serving.
"""

from __future__ import annotations

import gc
import json
import lzma
import os
import sqlite3
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from lap_app.domain.errors import UserError, os_error_reason
from lap_app.drugs.bdpm_format import FILE_SPECS, SPECS_BY_NAME, LineProblem, ParsedFile, parse_bdpm_bytes
from lap_app.drugs.derive import DeriveStats, ThesaurusKeys, derive_release, rebuild_derived, run_script
from lap_app.drugs.schema import SCHEMA_VERSION, SOURCE_INDEXES_SQL, SOURCE_TABLES_SQL
from lap_app.drugs.thesaurus import ThesaurusRows, load_thesaurus, thesaurus_rows
from lap_app.drugs.writes import DirectWrites, WriterThread, Writes
from lap_app.i18n import _
from lap_app.paths import resources_dir
from lap_app.storage.transaction import write_transaction

SHIPPED_RELEASE = "2021-05"
SHIPPED_THESAURUS = "2020-10"
# Refuse a file when more than this share of its lines cannot be read: it is not a BDPM file.
MAX_BAD_LINE_SHARE = 0.2
_ARCHIVE_SUFFIXES = (".tar.xz", ".tar.gz", ".tar")


class ImportFailed(UserError):
    """The import was refused or failed; the previous database is unchanged."""


def shipped_bdpm_archive() -> Path:
    return resources_dir() / "bdpm" / f"{SHIPPED_RELEASE}.tar.xz"


def shipped_thesaurus_archive() -> Path:
    return resources_dir() / "bdpm" / f"ansm-interactions-{SHIPPED_THESAURUS}.tar.xz"


@dataclass(slots=True)
class ImportReport:
    release: str
    files: list[str]
    rows: dict[str, int]  # table → rows imported
    problems: list[LineProblem]  # skipped lines
    warnings: list[LineProblem]
    added: list[tuple[str, str]] = field(default_factory=list)  # (cis, name)
    removed: list[tuple[str, str]] = field(default_factory=list)
    renamed: list[tuple[str, str, str]] = field(default_factory=list)  # (cis, old, new)
    ignored_files: list[str] = field(default_factory=list)
    stats: DeriveStats | None = None
    seconds: float = 0.0


def read_source_files(source: Path) -> tuple[dict[str, bytes], list[str]]:
    """The known BDPM files of a directory or a .tar.xz, by name; and the names ignored.

    An unreadable folder or a damaged archive is an ``ImportFailed`` (before any write)."""
    try:
        return _read_source_files(source)
    except (OSError, EOFError, tarfile.TarError, lzma.LZMAError, zlib.error) as error:
        reason = os_error_reason(error) if isinstance(error, OSError) else _("archive endommagée ou tronquée")
        raise ImportFailed(_("Lecture impossible de {path} : {reason} ; import annulé, la base précédente "
                             "reste en service.").format(path=source, reason=reason)) from error


def _read_source_files(source: Path) -> tuple[dict[str, bytes], list[str]]:
    files: dict[str, bytes] = {}
    ignored: list[str] = []
    if source.is_dir():
        for path in sorted(source.iterdir()):
            if path.name in SPECS_BY_NAME:
                files[path.name] = path.read_bytes()
            elif path.is_file():
                ignored.append(path.name)
    elif source.is_file() and source.name.endswith(_ARCHIVE_SUFFIXES):
        with tarfile.open(source, "r|*") as archive:  # one pass: a member read as it streams by
            for member in archive:
                name = Path(member.name).name
                if member.isfile() and name in SPECS_BY_NAME:
                    files[name] = archive.extractfile(member).read()  # type: ignore[union-attr]
                elif member.isfile():
                    ignored.append(name)
    else:
        raise ImportFailed(_("Dossier BDPM introuvable : {path}").format(path=source))
    return files, ignored


def _release_name(source: Path) -> str:
    """"2026-04" for a folder ``2026-04`` or an archive ``2026-04.tar.xz``."""
    for suffix in _ARCHIVE_SUFFIXES:
        if source.name.endswith(suffix):
            return source.name.removesuffix(suffix)
    return source.name


def read_thesaurus(archive: Path) -> tuple[list[dict], list[dict]]:
    wanted = {"thesaurus.json": b"", "substances.json": b""}
    with tarfile.open(archive, "r|*") as tar:  # one pass: a member read as it streams by
        for member in tar:
            name = Path(member.name).name
            if member.isfile() and name in wanted:
                wanted[name] = tar.extractfile(member).read()  # type: ignore[union-attr]
    return json.loads(wanted["thesaurus.json"]), json.loads(wanted["substances.json"])


def parse_release(files: dict[str, bytes]) -> list[tuple[ParsedFile, str]]:
    """Parse every file, or raise ``ImportFailed`` (before any write) when one is unusable."""
    if not files:
        raise ImportFailed(_("Aucun fichier BDPM reconnu (CIS_bdpm.txt, CIS_CIP_bdpm.txt, …)."))
    parsed = []
    for spec in FILE_SPECS:
        if spec.name not in files:
            continue
        result = parse_bdpm_bytes(spec, files[spec.name])
        bad = len(result.problems)
        if not result.rows:
            reason = _("aucune ligne lisible") if bad else _("fichier vide")
            raise ImportFailed(_("{file} : {reason} ; import annulé, la base précédente reste en service.")
                               .format(file=spec.name, reason=reason))
        if bad > MAX_BAD_LINE_SHARE * (bad + len(result.rows)):
            first = result.problems[0].render()
            raise ImportFailed(_("{file} : {bad} lignes illisibles sur {total} (première : {first}) ;"
                                 " import annulé, la base précédente reste en service.")
                               .format(file=spec.name, bad=bad, total=bad + len(result.rows), first=first))
        parsed.append((result, spec.table))
    return parsed


_INSERTS = {
    "drug": "INSERT OR REPLACE INTO drug VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
    "presentation": "INSERT INTO presentation VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "composition": "INSERT INTO composition VALUES (?,?,?,?,?,?,?,?)",
    "generic_group": "INSERT INTO generic_group VALUES (?,?,?,?,?)",
    "prescribing_condition": "INSERT INTO prescribing_condition VALUES (?,?)",
}


def _write_release(writes: Writes, parsed: list[tuple[ParsedFile, str]], release: str, report: ImportReport,
                   derive: Callable[[dict[str, list[tuple]]], DeriveStats]) -> None:
    """The release's rows, then what ``derive`` makes of them; the report once all has run."""
    before = writes.query("SELECT cis, name FROM drug")
    counts = {}
    for result, table in parsed:
        writes.execute(f"DELETE FROM {table}")  # table names come from FILE_SPECS only
        writes.insert_many(_INSERTS[table], result.rows)
        counts[table] = writes.query(f"SELECT count(*) FROM {table}")
        report.problems += result.problems
        report.warnings += result.warnings
        writes.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (f"release:{result.name}", release))
    after = writes.query("SELECT cis, name FROM drug") if any(table == "drug" for _r, table in parsed) else None
    report.stats = derive({table: result.rows for result, table in parsed})
    now = datetime.now(UTC).isoformat(timespec="seconds")
    writes.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                       [("release", release), ("imported_at", now), ("complete", "1")])
    for table, count in counts.items():
        report.rows[table] = count.result()[0][0]
    if after is not None:
        old, new = dict(before.result()), dict(after.result())
        # sorted by CIS (one row each): strings compared, not tuples
        report.added = [(c, new[c]) for c in sorted(new.keys() - old.keys())]
        report.removed = [(c, old[c]) for c in sorted(old.keys() - new.keys())]
        report.renamed = [(c, old[c], new[c]) for c in sorted(new.keys() & old.keys()) if old[c] != new[c]]


def connect(path: Path, *, shared_with_thread: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode: transactions are opened explicitly with BEGIN.
    ``shared_with_thread``: handed to a ``WriterThread`` (used by one thread at a time)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=not shared_with_thread)
    conn.execute("PRAGMA busy_timeout = 5000")
    return conn


def _write_new_database(writes: WriterThread, parsed: list[tuple[ParsedFile, str]], release: str,
                        report: ImportReport, thesaurus: ThesaurusRows) -> None:
    """Everything into the new file, in one transaction, the writes in their own thread while
    this one derives; on any failure (or Ctrl+C) the writes stop before the file is dropped."""
    try:
        writes.execute("BEGIN IMMEDIATE")
        run_script(writes, SOURCE_TABLES_SQL)
        load_thesaurus(writes, thesaurus)
        interactions, members = thesaurus
        report.rows["ansm_interaction"] = len(interactions)
        writes.execute("INSERT INTO meta VALUES ('thesaurus', ?)", (SHIPPED_THESAURUS,))
        keys = ThesaurusKeys([(key, class_key) for key, _label, class_key in members],
                             [key for row in interactions for key in row[:2]])
        _write_release(writes, parsed, release, report, lambda loaded: derive_release(writes, loaded, keys))
        run_script(writes, SOURCE_INDEXES_SQL)
        writes.execute("COMMIT")
        writes.finish()
    except BaseException:
        writes.abort()
        raise


def _read_sources(bdpm_source: Path, thesaurus_archive: Path) -> tuple[dict[str, bytes], list[str], ThesaurusRows]:
    """The BDPM files (and the names ignored) and the thesaurus's rows. The BDPM archive
    decompresses in a thread (lzma runs without the GIL) while this one reads the thesaurus;
    a damaged BDPM is reported first."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bdpm-archive") as reader:
        reading = reader.submit(read_source_files, bdpm_source)
        try:
            thesaurus = thesaurus_rows(*read_thesaurus(thesaurus_archive))
        except BaseException:
            reading.result()
            raise
        files, ignored = reading.result()
    return files, ignored, thesaurus


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while a release is parsed and derived: the hundreds of
    thousands of rows, tuples and dicts made then live until the end, and the collector would
    walk them over and over (a tenth of a build's CPU) to find no cycle. Resumed at the end
    (unless it was off before)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build_database(target: Path, bdpm_source: Path | None = None, thesaurus_archive: Path | None = None,
                   release: str | None = None) -> ImportReport:
    """Build a complete database at ``target`` (replacing it atomically)."""
    with _collector_paused():
        return _build_database(target, bdpm_source, thesaurus_archive, release)


def _build_database(target: Path, bdpm_source: Path | None, thesaurus_archive: Path | None,
                    release: str | None) -> ImportReport:
    started = time.perf_counter()
    bdpm_source = bdpm_source or shipped_bdpm_archive()
    files, ignored, thesaurus = _read_sources(bdpm_source, thesaurus_archive or shipped_thesaurus_archive())
    if "CIS_bdpm.txt" not in files:
        raise ImportFailed(_("La première construction de la base demande au moins CIS_bdpm.txt."))
    parsed = parse_release(files)
    release = release or _release_name(bdpm_source)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=".drugs-", suffix=".building", dir=target.parent)
    os.close(handle)
    temp = Path(temp_name)
    report = ImportReport(release=release, files=[p.name for p, _t in parsed], rows={}, problems=[],
                          warnings=[], ignored_files=ignored)
    try:
        conn = connect(temp, shared_with_thread=True)
        try:
            conn.execute("PRAGMA journal_mode = OFF")  # a temp file: atomicity comes from the rename
            conn.execute("PRAGMA synchronous = OFF")
            _write_new_database(WriterThread(conn), parsed, release, report, thesaurus)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("PRAGMA journal_mode = WAL")  # readers keep reading while an import writes
        finally:
            conn.close()
        with open(temp, "rb+") as written:
            os.fsync(written.fileno())
        for suffix in ("-wal", "-shm"):  # stale companions of a previous file at the target
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    report.seconds = time.perf_counter() - started
    return report


def import_release(db_path: Path, source: Path, release: str | None = None) -> ImportReport:
    """Import all or some files of a release into the live database, in one transaction."""
    with _collector_paused():
        return _import_release(db_path, source, release)


def _import_release(db_path: Path, source: Path, release: str | None) -> ImportReport:
    started = time.perf_counter()
    files, ignored = read_source_files(source)
    parsed = parse_release(files)  # refuses unusable files before any write
    release = release or _release_name(source)
    report = ImportReport(release=release, files=[p.name for p, _t in parsed], rows={}, problems=[],
                          warnings=[], ignored_files=ignored)
    conn = connect(db_path)
    try:
        conn.execute("PRAGMA synchronous = NORMAL")  # WAL: still atomic; only durability of the last commit
        with write_transaction(conn):
            _write_release(DirectWrites(conn), parsed, release, report, lambda loaded: rebuild_derived(conn, loaded))
    except sqlite3.Error as error:
        raise ImportFailed(_("Import impossible ({error}) ; la base précédente reste en service.")
                           .format(error=error)) from error
    finally:
        conn.close()
    report.seconds = time.perf_counter() - started
    return report
