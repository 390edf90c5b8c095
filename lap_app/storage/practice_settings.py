"""The practice's shared settings in the store (table ``practice_settings``): the only SQL on it.
A value is one JSON object under a name ('practice': the address, phone… printed on every
ordonnance); what it means is the service's (``lap_app.services.shared_practice``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from lap_app.storage.ordonnances import LocalStore


def read_shared(store: LocalStore, name: str) -> dict[str, Any] | None:
    with store.transaction() as conn:
        row = conn.execute("SELECT value FROM practice_settings WHERE name = ?", (name,)).fetchone()
    if row is None:
        return None
    try:
        value = json.loads(row[0])
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def write_shared(store: LocalStore, name: str, value: dict[str, Any]) -> None:
    with store.transaction() as conn:
        conn.execute("INSERT INTO practice_settings (name, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (name)"
                     " DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                     (name, json.dumps(value, ensure_ascii=False), datetime.now(UTC).isoformat()))
