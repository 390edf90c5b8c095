"""Every prescription number this workstation took from a store's pool and that could still be
used, kept in a small file beside the store (``lap.sqlite3.numbers-taken``), outside the store.

Why outside: a store restored from a backup lists as free the numbers it handed out since the
backup; this file does not forget them. A number in this file is never taken again, so a
restored store never prints a number twice, even offline where the base cannot be asked (online
the pool is also reconciled with the base: ``lap_app.services.number_pool``).

A whole list rather than the highest number taken: the base's numbers are random, batch after
batch, so "only above the highest" would leave most of a fresh batch unusable and print
ordonnances on paper with numbers still in the pool.

Written (atomically, synced, under a lock between processes) before the take commits: a crash
in between only skips a number. A number whose reservation expired can never be taken again,
so it leaves the file. Limit: restoring the whole data folder restores this file too; the
online reconciliation then is what protects.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from lap_app.file_lock import locked

Taken = dict[str, dict[str, float]]  # prescriber -> number -> reservation expiry (epoch s)


class TakenNumbers:
    def __init__(self, store_path: Path) -> None:
        self.path = store_path.with_name(store_path.name + ".numbers-taken")
        self._lock_path = store_path.with_name(store_path.name + ".numbers-taken.lock")

    def exists(self) -> bool:
        return self.path.exists()

    def _read(self) -> Taken:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {str(prescriber): {str(n): float(e) for n, e in numbers.items() if isinstance(e, (int, float))}
                for prescriber, numbers in data.items() if isinstance(numbers, dict)}

    def of(self, prescriber: str) -> frozenset[str]:
        """The numbers taken for ``prescriber`` whose reservation has not expired."""
        now = time.time()
        return frozenset(n for n, expires in self._read().get(prescriber, {}).items() if expires > now)

    def record(self, taken: Mapping[str, Iterable[tuple[str, float]]]) -> None:
        """Remember ``taken``: per prescriber, (number, expiry) pairs; with none, the file is still
        written, as an empty list (raises OSError: the caller does not take them then)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with locked(self._lock_path):
            now = time.time()
            ledger = {p: {n: e for n, e in numbers.items() if e > now} for p, numbers in self._read().items()}
            for prescriber, numbers in taken.items():
                ledger.setdefault(prescriber, {}).update(numbers)
            handle, temporary = tempfile.mkstemp(prefix=".numbers-", dir=self.path.parent)
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as stream:
                    json.dump({p: numbers for p, numbers in ledger.items() if numbers}, stream)
                    stream.flush()
                    os.fsync(stream.fileno())
                os.replace(temporary, self.path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
