"""Opening the local store: one SQLite file under ``user_data_dir()``, migrated on open."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from lap_app.domain.errors import DamagedFile, UserError, os_error_reason
from lap_app.i18n import _
from lap_app.paths import user_data_dir
from lap_app.private_files import private_database
from lap_app.storage.engine import StoreConnection
from lap_app.storage.migrations import MIGRATIONS, Step
from lap_app.storage.schema_version import dialect_ddl
from lap_app.storage.sqlite_errors import SqliteFailure, sqlite_failure
from lap_app.storage.transaction import write_transaction

STORE_NAME = "lap.sqlite3"


def default_store_path() -> Path:
    return user_data_dir() / STORE_NAME


def connect(path: Path | None = None, migrations: list[Step] | None = None) -> sqlite3.Connection:
    """A connection to the store (WAL, synchronous=FULL), its schema brought up to date."""
    path = Path(path) if path is not None else default_store_path()
    check_store_file(path)  # before anything creates the file (an empty new one is not a damaged one)
    new = not path.exists()
    try:
        private_database(path)  # health data: directory 0700, files 0600 (wal and shm follow)
    except OSError as error:
        raise UserError(_("Dossier de données {path} inutilisable ({reason}) : vérifiez LAP_DATA_DIR et ses droits")
                        .format(path=path.parent, reason=os_error_reason(error))) from None
    conn = None
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")  # the outbox must survive a power cut
        conn.execute("PRAGMA foreign_keys=ON")
        # Damaged pages are found now, before any write (a number taken, a migration step).
        verdict = [row[0] for row in conn.execute("PRAGMA quick_check(5)")]
    except sqlite3.Error as error:  # not a database, no right to open it: the user's to fix
        if conn is not None:
            conn.close()
        if new:  # a store that never got its first byte (disk full): gone, not left as an empty "store"
            _remove_if_empty(path)
        raise store_error(path, error) from error
    if verdict != ["ok"]:
        conn.close()
        raise damaged_store(path, _("pages endommagées"))
    migrate(conn, MIGRATIONS if migrations is None else migrations)  # a failing step is ours: raised as is
    return conn


def _remove_if_empty(path: Path) -> None:
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            if leftover.stat().st_size == 0:
                leftover.unlink()
        except OSError:
            pass


SQLITE_HEADER = b"SQLite format 3\0"


def check_store_file(path: Path) -> None:
    """Refuse, without touching it, a store file that cannot be ours: empty, or not SQLite."""
    try:
        with open(path, "rb") as stream:
            header = stream.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return  # a new store
    except OSError:
        return  # unreadable: SQLite's own error says why (rights...)
    if not header and not Path(f"{path}-wal").exists():
        raise DamagedFile(_("La base locale {path} est vide (0 octet) alors qu'elle devrait contenir vos "
                            "ordonnances : elle n'a pas été modifiée ; restaurez-la depuis une sauvegarde, ou "
                            "supprimez-la pour repartir d'une base neuve").format(path=path), path)
    if header and header != SQLITE_HEADER:
        raise damaged_store(path, _("ce n'est pas un fichier SQLite"))


def damaged_store(path: Path, what: str) -> DamagedFile:
    return DamagedFile(_("La base locale {path} est endommagée ({what}) : elle n'a pas été modifiée ; "
                         "restaurez-la depuis une sauvegarde (les numéros d'ordonnance sont alors revérifiés "
                         "auprès de la base)").format(path=path, what=what), path)


def store_error(path: Path, error: sqlite3.Error) -> UserError:
    """What the user reads when the store file cannot be used; the file itself is left as it is."""
    failure = sqlite_failure(error)
    if failure is SqliteFailure.BUSY:
        return UserError(_("La base locale {path} est occupée par un autre programme : réessayez dans un instant")
                         .format(path=path))
    # SQLite reports a full disk met while opening (its -wal/-shm files) as "cannot open"
    if failure is SqliteFailure.FULL or (failure in (SqliteFailure.NO_ACCESS, SqliteFailure.IO)
                                         and disk_nearly_full(path.parent)):
        return UserError(_("Disque plein : la base locale {path} ne peut pas être écrite ; libérez de la place")
                         .format(path=path))
    if failure is SqliteFailure.NO_ACCESS:
        return UserError(_("La base locale {path} est inaccessible en écriture : vérifiez les droits du dossier "
                           "de données (LAP_DATA_DIR)").format(path=path))
    if failure is SqliteFailure.IO:
        return UserError(_("Erreur d'entrée-sortie du disque sur la base locale {path} : vérifiez le disque ; "
                           "le fichier n'a pas été modifié").format(path=path))
    if "malformed" in str(error).lower():  # SQLite met a damaged page itself (quick_check or the schema read)
        return damaged_store(path, _("pages endommagées"))
    return damaged_store(path, _("illisible par SQLite"))


def disk_nearly_full(folder: Path, margin: int = 256 * 1024) -> bool:
    """Whether ``folder``'s file system has less than ``margin`` bytes left for us.

    SQLite reports a full disk met while opening (its -wal/-shm files) as "unable to open":
    asked here, so that the message says "disque plein" rather than "vérifiez les droits"."""
    import shutil

    try:
        return shutil.disk_usage(folder).free < margin
    except OSError:
        return False


def migrate(conn: StoreConnection, steps: list[Step]) -> int:
    """Apply the steps not yet applied, each in its own transaction; returns the resulting version.

    The same numbered steps serve both engines (``migrations.py``); the version is SQLite's
    ``PRAGMA user_version`` or the server's ``lap_schema_version`` row (``schema_version.py``)."""
    from lap_app.storage.schema_version import (
        lock_schema,
        prepare_schema_version,
        read_schema_version,
        too_new,
        write_schema_version,
    )

    prepare_schema_version(conn)
    version = read_schema_version(conn)
    if version > len(steps):
        raise too_new(conn, version, len(steps))
    for index in range(version, len(steps)):
        step = steps[index]
        with write_transaction(conn):
            lock_schema(conn)
            # re-read under the lock: another process (another workstation) may have migrated meanwhile
            if read_schema_version(conn) > index:
                continue
            if isinstance(step, str):
                for statement in _statements(dialect_ddl(conn, step)):
                    conn.execute(statement)
            else:
                step(conn)
            write_schema_version(conn, index + 1)
    return read_schema_version(conn)


def _statements(script: str) -> list[str]:
    """Split a script into complete statements (executescript would commit on its own)."""
    out, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            out.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        out.append(buffer.strip())
    return [s for s in out if s.strip(" ;\n")]
