"""The highest prescription number each prescriber took from this store's pool, kept in a small
file beside the store (``lap.sqlite3.numbers-mark``), outside the SQLite file.

Why outside: a store file restored from a backup forgets the numbers it handed out since; this
file does not. Offline, where the base cannot be asked, only numbers above the mark are taken
(numbers are handed out in increasing order), so a restored store never prints a number twice.
Online the pool is reconciled with the base instead (``lap_app.services.number_pool``).
Written (atomically, synced) before the take commits: a crash in between only skips a number.
Limit: restoring the whole data folder restores this file too; the online reconciliation
then is what protects.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


class NumberMark:
    def __init__(self, store_path: Path) -> None:
        self.path = store_path.with_name(store_path.name + ".numbers-mark")

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def highest(self, prescriber: str) -> str | None:
        return self._read().get(prescriber)

    def record(self, prescriber: str, number: str) -> None:
        """Remember ``number`` as taken (raises OSError: the caller does not take it then)."""
        marks = self._read()
        if marks.get(prescriber, "") >= number:
            return
        marks[prescriber] = number
        handle, temporary = tempfile.mkstemp(prefix=".mark-", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(marks, stream)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
