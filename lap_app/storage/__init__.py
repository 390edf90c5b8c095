"""The practice store: one SQLite file under ``user_data_dir()``, or the practice's PostgreSQL
server (``engine.py``); one schema for both (``migrations.py``)."""

from lap_app.storage.database import connect, default_store_path, migrate
from lap_app.storage.engine import StoreConnection, open_store
from lap_app.storage.migrations import MIGRATIONS
from lap_app.storage.ordonnances import LocalStore, OutboxEntry, StoredOrdonnance

__all__ = [
    "MIGRATIONS",
    "LocalStore",
    "OutboxEntry",
    "StoreConnection",
    "StoredOrdonnance",
    "connect",
    "default_store_path",
    "migrate",
    "open_store",
]
