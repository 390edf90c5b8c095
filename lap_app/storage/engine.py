"""Where the practice store lives: an SQLite file on this workstation (the default) or a
PostgreSQL server shared by the practice (``postgresql://…``: ``--store``, or the settings).

``StoreConnection`` is either engine's connection; the store's modules run the same SQL on both
(``storage.postgres`` explains the few rules). The drug knowledge is not here: it stays a local,
read-only SQLite file on each workstation (``lap_app.drugs``).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from lap_app.paths import STORE_CA_ENV, STORE_ENV
from lap_app.storage.postgres import PgConnection, is_server_url, server_label

StoreConnection = sqlite3.Connection | PgConnection
StoreLocation = Path | str  # a file path, or a postgresql:// URL



def is_postgres(conn: StoreConnection) -> bool:
    return isinstance(conn, PgConnection)


def default_store_location() -> StoreLocation:
    from lap_app.storage.database import default_store_path

    chosen = os.environ.get(STORE_ENV, "").strip()
    if is_server_url(chosen):
        return chosen
    return Path(chosen) if chosen else default_store_path()


def default_store_ca() -> str:
    return os.environ.get(STORE_CA_ENV, "").strip()


def open_store(location: StoreLocation | None = None, ca_path: str | None = None,
               migrations: list[object] | None = None) -> StoreConnection:
    """A connection to the store at ``location`` (default: ``default_store_location()``), its
    schema brought up to date (a newer one is refused in French)."""
    from lap_app.storage.database import connect, migrate
    from lap_app.storage.migrations import MIGRATIONS, Step

    location = default_store_location() if location is None else location
    steps: list[Step] = MIGRATIONS if migrations is None else migrations  # type: ignore[assignment]
    if is_server_url(location):
        conn = PgConnection(str(location), default_store_ca() if ca_path is None else ca_path)
        try:
            migrate(conn, steps)
        except BaseException:
            conn.close()
            raise
        return conn
    return connect(Path(location), steps)


def store_label(location: StoreLocation) -> str:
    """How the store is named to the user: the file, or the server without its password."""
    return server_label(str(location)) if is_server_url(location) else str(location)


def taken_numbers_path(location: StoreLocation) -> Path:
    """Where this workstation lists the numbers it took (``TakenNumbers``) from the store at ``location``."""
    if not is_server_url(location):
        return Path(location)
    import hashlib  # (OpenSSL's hashes: only for a practice server's file name)

    from lap_app.paths import user_data_dir

    folder = user_data_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    digest = hashlib.sha256(server_label(str(location)).encode()).hexdigest()[:16]
    return folder / f"practice-server-{digest}"
