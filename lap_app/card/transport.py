"""How APDUs reach a card: the ``Transport`` interface and its PC/SC implementation.

The PC/SC side uses pyscard's thin ``smartcard.scard`` layer (not its high-level classes) so
that every PC/SC status code is seen and turned into the right user-level error.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from typing import Protocol

from lap_app.card.errors import (
    CardBusyError,
    CardCommunicationError,
    CardError,
    CardRemovedError,
    CardResetError,
    NoCardError,
    NoReaderError,
    PcscUnavailableError,
    ReaderGoneError,
)
from lap_app.i18n import _

log = logging.getLogger(__name__)


class Transport(Protocol):
    reader: str

    def atr(self) -> bytes: ...
    def transmit(self, apdu: bytes) -> tuple[bytes, int]: ...  # (response data, SW1SW2)
    def transaction(self) -> contextlib.AbstractContextManager[None]: ...
    def close(self) -> None: ...


def _code(hresult: int) -> int:
    return hresult & 0xFFFFFFFF


class PcscContext:
    """A PC/SC context; ``PcscUnavailableError`` when pcscd is absent."""

    def __init__(self) -> None:
        from smartcard import scard

        self._scard = scard
        hresult, self.handle = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            raise PcscUnavailableError()

    def readers(self) -> list[str]:
        scard = self._scard
        hresult, readers = scard.SCardListReaders(self.handle, [])
        code = _code(hresult)
        if code == _code(scard.SCARD_S_SUCCESS):
            return list(readers)
        if code == _code(scard.SCARD_E_NO_READERS_AVAILABLE):
            return []
        raise PcscUnavailableError()

    def states(self, readers: list[str]) -> list[tuple[str, int, bytes]]:
        """Current (reader, state flags, ATR) of each reader, without waiting."""
        scard = self._scard
        if not readers:
            return []
        hresult, states = scard.SCardGetStatusChange(
            self.handle, 0, [(r, scard.SCARD_STATE_UNAWARE) for r in readers])
        code = _code(hresult)
        if code in (_code(scard.SCARD_S_SUCCESS), _code(scard.SCARD_E_TIMEOUT)):
            return [(name, flags, bytes(atr)) for name, flags, atr in states]
        if code in (_code(scard.SCARD_E_UNKNOWN_READER), _code(scard.SCARD_E_READER_UNAVAILABLE)):
            raise ReaderGoneError(None)
        raise PcscUnavailableError()

    def card_present(self, flags: int) -> bool:
        scard = self._scard
        return bool(flags & scard.SCARD_STATE_PRESENT) and not flags & scard.SCARD_STATE_MUTE

    def release(self) -> None:
        try:
            self._scard.SCardReleaseContext(self.handle)
        except Exception:  # pcscd already gone: nothing left to release
            log.debug("PC/SC context not released cleanly", exc_info=True)


class PcscTransport:
    """A shared connection to the card in ``reader``."""

    def __init__(self, reader: str) -> None:
        self.reader = reader
        self._context = PcscContext()
        scard = self._context._scard
        self._scard = scard
        hresult, self._card, self._protocol = scard.SCardConnect(
            self._context.handle, reader, scard.SCARD_SHARE_SHARED,
            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
        if hresult != scard.SCARD_S_SUCCESS:
            self._context.release()
            raise self._connect_error(hresult)
        self._lock = threading.RLock()  # one APDU exchange at a time from this process
        self._depth = 0

    def _connect_error(self, hresult: int) -> CardError:
        s, code = self._scard, _code(hresult)
        if code in (_code(s.SCARD_E_NO_SMARTCARD), _code(s.SCARD_W_REMOVED_CARD),
                    _code(s.SCARD_W_UNRESPONSIVE_CARD), _code(s.SCARD_W_UNPOWERED_CARD)):
            return NoCardError(self.reader)
        if code in (_code(s.SCARD_E_UNKNOWN_READER), _code(s.SCARD_E_READER_UNAVAILABLE)):
            return NoReaderError(self.reader)
        if code == _code(s.SCARD_E_SHARING_VIOLATION):
            return CardBusyError()
        if code in (_code(s.SCARD_E_NO_SERVICE), _code(s.SCARD_E_SERVICE_STOPPED)):
            return PcscUnavailableError()
        log.warning("SCardConnect(%s) failed: %s", self.reader, s.SCardGetErrorMessage(hresult))
        return CardCommunicationError(_("connexion à la carte"), None)

    def _operation_error(self, hresult: int, operation: str) -> CardError:
        s, code = self._scard, _code(hresult)
        if code == _code(s.SCARD_W_RESET_CARD):
            # Another application reset the card: re-sync the handle so the next operation
            # works (the PIN must be verified again), and say this one did not happen.
            hresult, protocol = s.SCardReconnect(self._card, s.SCARD_SHARE_SHARED,
                                                 s.SCARD_PROTOCOL_T0 | s.SCARD_PROTOCOL_T1, s.SCARD_LEAVE_CARD)
            if hresult == s.SCARD_S_SUCCESS:
                self._protocol = protocol
            return CardResetError()
        if code in (_code(s.SCARD_W_REMOVED_CARD), _code(s.SCARD_E_NO_SMARTCARD)):
            return CardRemovedError()
        if code in (_code(s.SCARD_E_READER_UNAVAILABLE), _code(s.SCARD_E_UNKNOWN_READER),
                    _code(s.SCARD_E_NO_SERVICE), _code(s.SCARD_E_SERVICE_STOPPED),
                    _code(s.SCARD_E_INVALID_HANDLE)):
            return ReaderGoneError(self.reader)
        if code == _code(s.SCARD_E_SHARING_VIOLATION):
            return CardBusyError()
        # A transfer error: find out whether the card has just been pulled.
        if not self._card_still_there(wait=0.5):
            return CardRemovedError()
        log.warning("%s on %s failed: %s", operation, self.reader, s.SCardGetErrorMessage(hresult))
        return CardCommunicationError(operation, None)

    def _card_still_there(self, wait: float = 0.0) -> bool:
        """False once PC/SC reports the card gone; waits up to ``wait`` s for pcscd to notice."""
        s = self._scard
        deadline = time.monotonic() + wait
        while True:
            hresult = s.SCardStatus(self._card)[0]  # SCARD_W_REMOVED_CARD once it is gone
            if hresult != s.SCARD_S_SUCCESS:
                return False
            if time.monotonic() >= deadline:
                return True
            time.sleep(0.05)

    def atr(self) -> bytes:
        s = self._scard
        hresult, _reader, _state, _protocol, atr = s.SCardStatus(self._card)
        if hresult != s.SCARD_S_SUCCESS:
            raise self._operation_error(hresult, _("lecture de l'ATR"))
        return bytes(atr)

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        with self._lock:
            hresult, response = self._scard.SCardTransmit(self._card, self._protocol, list(apdu))
        if hresult != self._scard.SCARD_S_SUCCESS:
            raise self._operation_error(hresult, _("échange avec la carte"))
        if len(response) < 2:  # what vpcd returns when the card left mid-command
            if not self._card_still_there(wait=1.0):
                raise CardRemovedError()
            raise CardCommunicationError(_("réponse trop courte"), None)
        return bytes(response[:-2]), (response[-2] << 8) | response[-1]

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Exclusive access to the card (PC/SC transaction) for a multi-APDU sequence."""
        s = self._scard
        with self._lock:
            outermost = self._depth == 0
            if outermost:
                hresult = s.SCardBeginTransaction(self._card)
                if hresult != s.SCARD_S_SUCCESS:
                    raise self._operation_error(hresult, _("accès exclusif à la carte"))
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if outermost:
                    s.SCardEndTransaction(self._card, s.SCARD_LEAVE_CARD)  # fails harmlessly if pulled

    def close(self) -> None:
        try:
            self._scard.SCardDisconnect(self._card, self._scard.SCARD_LEAVE_CARD)
        except Exception:  # the card or pcscd already gone: nothing left to disconnect
            log.debug("card not disconnected cleanly", exc_info=True)
        self._context.release()
