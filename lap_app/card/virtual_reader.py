"""The in-process virtual reader: the fallback when PC/SC is unavailable (demo, unit tests).

Any object that answers APDUs (``atr``, ``power_on()``, ``process(apdu) -> response``) can be
inserted; the demo wiring and the tests insert the virtual CPS of ``lap_app.standins``. The
card layer only knows this interface, never the stand-in itself.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Protocol

from lap_app.card.errors import CardRemovedError, NoCardError

VIRTUAL_READER_NAME = "Lecteur virtuel LAP"


class ApduCard(Protocol):
    atr: bytes

    def power_on(self) -> None: ...
    def process(self, apdu: bytes) -> bytes: ...


class VirtualReader:
    def __init__(self, name: str = VIRTUAL_READER_NAME) -> None:
        self.name = name
        self._lock = threading.RLock()  # guards the slot and serialises transactions
        self._card: ApduCard | None = None
        self._generation = 0  # bumped on every insertion and removal

    def insert(self, card: ApduCard) -> None:
        with self._lock:
            card.power_on()
            self._card = card
            self._generation += 1

    def remove(self) -> None:
        with self._lock:
            self._card = None
            self._generation += 1

    @property
    def generation(self) -> int:
        """Counts insertions and removals."""
        return self._generation

    @property
    def card(self) -> ApduCard | None:
        return self._card

    @property
    def card_present(self) -> bool:
        return self._card is not None

    def atr(self) -> bytes:
        card = self._card
        return card.atr if card is not None else b""

    def connect(self) -> VirtualTransport:
        with self._lock:
            if self._card is None:
                raise NoCardError(self.name)
            return VirtualTransport(self, self._generation)


class VirtualTransport:
    """A connection to the card in a ``VirtualReader``; lost when that card is removed."""

    def __init__(self, reader: VirtualReader, generation: int) -> None:
        self._reader = reader
        self._generation = generation
        self.reader = reader.name

    def _card_or_removed(self) -> ApduCard:
        card = self._reader._card
        if card is None or self._reader._generation != self._generation:
            raise CardRemovedError()
        return card

    def atr(self) -> bytes:
        return self._card_or_removed().atr

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        with self._reader._lock:
            response = self._card_or_removed().process(bytes(apdu))
            self._card_or_removed()  # pulled while it was answering: the answer is lost
        if len(response) < 2:
            raise CardRemovedError()
        return response[:-2], (response[-2] << 8) | response[-1]

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        with self._reader._lock:
            self._card_or_removed()
            yield

    def close(self) -> None:
        pass


_default_reader: VirtualReader | None = None
_default_lock = threading.Lock()


def default_virtual_reader() -> VirtualReader:
    """The process-wide virtual reader used by ``open_card(virtual=True)``."""
    global _default_reader
    with _default_lock:
        if _default_reader is None:
            _default_reader = VirtualReader()
        return _default_reader


__all__ = [
    "VIRTUAL_READER_NAME",
    "ApduCard",
    "VirtualReader",
    "VirtualTransport",
    "default_virtual_reader",
]
