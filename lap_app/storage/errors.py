"""What the user reads when the practice server (PostgreSQL) fails; the SQLite file's own
failures are ``database.store_error``. Every one is a ``UserError`` (one French line): the CLI
prints it, the GUI shows it, and whatever was already validated stays stored."""

from __future__ import annotations

import sqlite3

from lap_app.domain.errors import UserError


class StoreUnavailable(UserError):
    """The practice server cannot be reached now (down, network cut): retry later, it comes back
    by itself; nothing validated is lost."""


class StoreRefused(UserError):
    """The practice server refuses this workstation (wrong address, password, certificate, schema):
    a setting to fix, not a moment to wait."""


class StoreServerError(UserError):
    """The practice server refused one statement (a constraint, a bug): the transaction was undone."""


class EditConflict(UserError):
    """Someone changed this record on another workstation since it was read here: nothing was
    overwritten; reload it, then apply the change again."""


# What a caller that must keep going (the outbox, a draft autosave) catches from either engine.
STORE_FAILURES: tuple[type[Exception], ...] = (sqlite3.Error, StoreUnavailable, StoreServerError)
