"""Readers and card presence, by polling.

pyscard's ``CardMonitor`` thread dies for good when pcscd is absent or restarted
(docs/cps-card.md §4), so ``CardService`` polls: each ``poll()`` re-establishes the PC/SC context
if needed, lists the readers and reads their state without waiting, and returns what changed
since the last poll. ``watch()`` runs ``poll()`` on a daemon thread for callers without an
event loop; a Qt UI can as well call ``poll()`` from a QTimer.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lap_app.card.cps import CpsCard, atr_looks_like_cps, card_on, open_card
from lap_app.card.errors import CardError, NoCardError, NoReaderError
from lap_app.card.virtual_reader import VirtualReader, default_virtual_reader
from lap_app.i18n import _

if TYPE_CHECKING:
    from lap_app.card.transport import PcscContext  # imported when first used: it loads pyscard

log = logging.getLogger(__name__)


class EventKind(enum.Enum):
    SERVICE_LOST = "service_lost"  # pcscd stopped answering
    SERVICE_BACK = "service_back"
    READER_ADDED = "reader_added"
    READER_REMOVED = "reader_removed"
    CARD_INSERTED = "card_inserted"
    CARD_REMOVED = "card_removed"


@dataclass(frozen=True, slots=True)
class ReaderState:
    name: str
    card_present: bool
    atr: bytes = b""
    virtual: bool = False
    # pcsc-lite counts card events per reader (high word of the state): a card pulled and put
    # back between two polls still shows as a change.
    event_count: int = 0
    token_serial: str = ""  # a PKCS#11 token (which shows no ATR): its serial number and label
    token_label: str = ""

    @property
    def looks_like_cps(self) -> bool:
        return self.card_present and (atr_looks_like_cps(self.atr) or bool(self.token_serial))

    @property
    def card_key(self) -> bytes:
        """What tells two cards apart in this reader: the ATR, or the token's serial number."""
        return self.atr or self.token_serial.encode()


@dataclass(frozen=True, slots=True)
class CardEvent:
    kind: EventKind
    reader: str | None = None
    atr: bytes = b""


class CardService:
    """One view over the PC/SC readers and (``virtual=True``) the in-process virtual reader."""

    def __init__(self, *, virtual: bool = False, pcsc: bool = True,
                 virtual_reader: VirtualReader | None = None) -> None:
        self.use_pcsc = pcsc
        self.virtual_reader = (virtual_reader or default_virtual_reader()) if virtual else None
        self._context: PcscContext | None = None  # re-created after any failure
        self._lock = threading.Lock()
        self._states: dict[str, ReaderState] = {}
        self._service_up: bool | None = None
        self._watcher: threading.Thread | None = None
        self._stop = threading.Event()

    # --- snapshots ----------------------------------------------------------------------------

    @property
    def pcsc_available(self) -> bool:
        return bool(self._service_up)

    @property
    def service_error(self) -> str:
        """Why no reader can be reached at all (French), or ""."""
        if self.use_pcsc and self._service_up is False:
            return _("Service des cartes à puce (pcscd) indisponible")
        return ""

    def _pcsc_states(self) -> list[ReaderState] | None:
        """Current PC/SC reader states, or None when pcscd does not answer."""
        from lap_app.card.transport import PcscContext

        for _attempt in (1, 2):  # a stale context (pcscd restarted) fails once, then we retry
            try:
                if self._context is None:
                    self._context = PcscContext()
                context = self._context
                readers = context.readers()
                return [ReaderState(name, context.card_present(flags), atr if context.card_present(flags) else b"",
                                    event_count=flags >> 16)
                        for name, flags, atr in context.states(readers)]
            except CardError:
                if self._context is not None:
                    self._context.release()
                    self._context = None
        return None

    def snapshot(self) -> list[ReaderState]:
        """Every reader's state now (PC/SC readers first, then the virtual one)."""
        with self._lock:
            return self._snapshot_locked()

    def _snapshot_locked(self) -> list[ReaderState]:
        states: list[ReaderState] = []
        if self.use_pcsc:
            pcsc = self._pcsc_states()
            self._service_up = pcsc is not None
            states.extend(pcsc or [])
        if self.virtual_reader is not None:
            vr = self.virtual_reader
            states.append(ReaderState(vr.name, vr.card_present, vr.atr(), virtual=True,
                                      event_count=vr.generation))
        return states

    def readers(self) -> list[str]:
        return [state.name for state in self.snapshot()]

    # --- polling ------------------------------------------------------------------------------

    def poll(self) -> list[CardEvent]:
        """What changed since the previous poll (the first poll reports what is there)."""
        with self._lock:
            was_up = self._service_up
            current = {s.name: s for s in self._snapshot_locked()}
            events: list[CardEvent] = []
            if self.use_pcsc and was_up is not None and was_up != self._service_up:
                events.append(CardEvent(EventKind.SERVICE_BACK if self._service_up else EventKind.SERVICE_LOST))
            for name, old in self._states.items():
                new = current.get(name)
                if new is None:
                    if old.card_present:
                        events.append(CardEvent(EventKind.CARD_REMOVED, name))
                    events.append(CardEvent(EventKind.READER_REMOVED, name))
                elif old.card_present and (not new.card_present or _other_card(old, new)):
                    events.append(CardEvent(EventKind.CARD_REMOVED, name))
            for name, new in current.items():
                before = self._states.get(name)
                if before is None:
                    events.append(CardEvent(EventKind.READER_ADDED, name))
                if new.card_present and (before is None or not before.card_present or _other_card(before, new)):
                    events.append(CardEvent(EventKind.CARD_INSERTED, name, new.atr))
            self._states = current
            return events

    def watch(self, callback: Callable[[CardEvent], None], interval: float = 0.3) -> None:
        """Call ``callback(event)`` from a daemon thread for each change, until ``stop()``."""
        if self._watcher is not None:
            raise RuntimeError("already watching")
        self._stop.clear()

        def run() -> None:
            while not self._stop.is_set():
                try:
                    for event in self.poll():
                        callback(event)
                except Exception:  # a broken callback must not kill the watcher
                    log.exception("card watcher callback failed")
                self._stop.wait(interval)

        self._watcher = threading.Thread(target=run, name="card-watcher", daemon=True)
        self._watcher.start()

    def stop(self) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
            self._watcher = None

    def close(self) -> None:
        self.stop()
        with self._lock:
            if self._context is not None:
                self._context.release()
                self._context = None

    # --- opening a card -----------------------------------------------------------------------

    def open(self, reader: str | None = None) -> CpsCard:
        """Open the CPS in ``reader``, or in the first reader holding a card (a CPS ATR first)."""
        states = self.snapshot()
        chosen: ReaderState | None
        if reader is None:
            if not states:
                raise NoReaderError()
            with_card = sorted((s for s in states if s.card_present), key=lambda s: not s.looks_like_cps)
            if not with_card:
                raise NoCardError()
            chosen = with_card[0]
        else:
            chosen = next((s for s in states if s.name == reader), None)
            if chosen is None:
                raise NoReaderError(reader)
        if chosen.virtual and self.virtual_reader is not None:
            return card_on(self.virtual_reader.connect())
        return open_card(chosen.name)


def _other_card(old: ReaderState, new: ReaderState) -> bool:
    """Present at both polls, but not the same insertion."""
    return new.card_key != old.card_key or new.event_count != old.event_count
