"""The practice details (address, phone, qualification… printed on every ordonnance) live on the
practice server when the workstations share one: each workstation reads them from there, and a
change made on one is seen by all. Per-user settings (paper size, printer, card reader…) stay in
each user's own settings file. On a workstation's own SQLite file nothing changes: the details
stay in the settings file.
"""

from __future__ import annotations

from dataclasses import asdict

from lap_app.settings import Settings
from lap_app.storage import LocalStore
from lap_app.storage.engine import is_postgres
from lap_app.storage.practice_settings import read_shared, write_shared

PRACTICE = "practice"


def adopt_shared_practice(settings: Settings, store: LocalStore) -> bool:
    """Take the practice details from the practice server into ``settings`` (True). The first
    workstation that connects with its details filled in puts them there. False: no server."""
    if not is_postgres(store.conn):
        return False
    from lap_app.services.practice import practice_complete

    shared = read_shared(store, PRACTICE)
    if shared is not None:
        settings.practice = Settings.from_dict({PRACTICE: shared}).practice
    elif practice_complete(settings.practice):
        write_shared(store, PRACTICE, asdict(settings.practice))
    return True


def share_practice(settings: Settings, store: LocalStore) -> bool:
    """Put ``settings``' practice details on the practice server (after the physician changed them)."""
    if not is_postgres(store.conn):
        return False
    write_shared(store, PRACTICE, asdict(settings.practice))
    return True


def settings_with_shared_practice(settings: Settings) -> Settings:
    """For a command: ``settings`` with the practice server's details, when this process's store
    is one (``lap-app --store``, the settings); the local file is not opened otherwise."""
    from lap_app.storage.engine import default_store_location
    from lap_app.storage.postgres import is_server_url

    if is_server_url(default_store_location()):
        store = LocalStore()
        try:
            adopt_shared_practice(settings, store)
        finally:
            store.close()
    return settings
