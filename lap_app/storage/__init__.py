"""The local store: one SQLite file under ``user_data_dir()`` (schema: ``migrations.py``)."""

from lap_app.storage.database import connect, default_store_path, migrate
from lap_app.storage.migrations import MIGRATIONS
from lap_app.storage.ordonnances import STATUSES, LocalStore, OutboxEntry, StoredOrdonnance, status_label

__all__ = [
    "MIGRATIONS",
    "STATUSES",
    "LocalStore",
    "OutboxEntry",
    "StoredOrdonnance",
    "connect",
    "default_store_path",
    "migrate",
    "status_label",
]
