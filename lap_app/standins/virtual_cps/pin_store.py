"""Where the virtual card keeps its PIN try counter.

A real card keeps the counter in EEPROM: a blocked card stays blocked when pulled out. The
file store gives the emulator the same behaviour across restarts (one JSON file per holder
in the PKI directory); ``reset`` is the demo's unblocking (``lap-app card emulate --reset-pin``).
The PIN itself is never stored here: only the counter.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Protocol

MAX_TRIES = 3


class PinCounter(Protocol):
    def load(self) -> int: ...
    def save(self, tries_left: int) -> None: ...


class MemoryPinCounter:
    def __init__(self, tries_left: int = MAX_TRIES) -> None:
        self._tries = tries_left

    def load(self) -> int:
        return self._tries

    def save(self, tries_left: int) -> None:
        self._tries = tries_left


class FilePinCounter:
    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> int:
        try:
            tries = int(json.loads(self.path.read_text(encoding="utf-8"))["tries_left"])
        except (OSError, ValueError, KeyError, TypeError):
            return MAX_TRIES  # no state yet (or unreadable): a fresh card
        return min(max(tries, 0), MAX_TRIES)

    def save(self, tries_left: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"tries_left": tries_left, "max_tries": MAX_TRIES}), encoding="utf-8")
        os.replace(tmp, self.path)

    def reset(self) -> None:
        self.save(MAX_TRIES)
