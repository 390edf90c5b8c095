"""The local store: one SQLite file under ``user_data_dir()`` (schema: ``migrations.py``)."""

from lap_app.storage.database import connect, default_store_path, migrate
from lap_app.storage.migrations import MIGRATIONS
from lap_app.storage.ordonnances import LocalStore, OutboxEntry, StoredOrdonnance

__all__ = [
    "MIGRATIONS",
    "LocalStore",
    "OutboxEntry",
    "StoredOrdonnance",
    "connect",
    "default_store_path",
    "migrate",
]
