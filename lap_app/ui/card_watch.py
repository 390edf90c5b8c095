"""Watching the card reader from the GUI: insertion, removal, reader list.

A timer in the GUI thread asks the polling thread (``workers.watch_pool``) for the current state
every ``POLL_MS``; one poll is in flight at most. Changes are emitted as signals, so that
pulling the card is seen within ``POLL_MS`` plus one poll (well under 2 s).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal

from lap_app.ui.workers import run_task, watch_pool

log = logging.getLogger(__name__)

POLL_MS = 400


@dataclass(frozen=True, slots=True)
class WatchState:
    readers: tuple[str, ...] = ()
    card_reader: str | None = None  # the reader holding a card (a CPS first), if any
    card_atr: bytes = b""  # another card swapped in between two polls shows as another ATR (token serial)
    error: str = ""  # French message when no reader can be reached at all

    @property
    def card_present(self) -> bool:
        return self.card_reader is not None


def read_state(card_service) -> WatchState:
    """One look at the readers (runs in the polling thread)."""
    states = card_service.snapshot()
    with_card = sorted((s for s in states if s.card_present), key=lambda s: not s.looks_like_cps)
    error = card_service.service_error if not states else ""
    card = with_card[0] if with_card else None
    return WatchState(readers=tuple(s.name for s in states), card_reader=card.name if card else None,
                      card_atr=card.card_key if card else b"", error=error)


class CardWatcher(QObject):
    state_changed = Signal(object)  # WatchState
    card_inserted = Signal(str)  # reader name
    card_removed = Signal()

    def __init__(self, card_service, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._service = card_service
        self._state = WatchState()
        self._in_flight = False
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.poll)

    @property
    def state(self) -> WatchState:
        return self._state

    def start(self) -> None:
        self.poll()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def poll(self) -> None:
        if self._in_flight or self._service is None:
            return
        self._in_flight = True
        run_task(lambda: read_state(self._service), on_done=self._apply, on_error=self._failed, pool=watch_pool())

    def _failed(self, error: BaseException) -> None:
        self._in_flight = False
        log.warning("card poll failed: %r", error)

    def _apply(self, state: WatchState) -> None:
        self._in_flight = False
        previous, self._state = self._state, state
        if state == previous:
            return
        self.state_changed.emit(state)
        swapped = (previous.card_reader, previous.card_atr) != (state.card_reader, state.card_atr)
        if previous.card_present and swapped:
            self.card_removed.emit()
        if state.card_present and swapped:
            self.card_inserted.emit(state.card_reader)
