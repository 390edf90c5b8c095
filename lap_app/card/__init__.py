"""The card layer: CPS cards over PC/SC or the in-process virtual reader (docs/cps-card-layer.md)."""

from lap_app.card.cps import CpsCard, PinResult, PinStatus, atr_looks_like_cps, open_card
from lap_app.card.errors import (
    CardBusyError,
    CardCommunicationError,
    CardError,
    CardRemovedError,
    CardResetError,
    InvalidPinFormatError,
    NoCardError,
    NoReaderError,
    NotCpsError,
    PcscUnavailableError,
    PinBlockedError,
    PinNotVerifiedError,
    ReaderGoneError,
    WrongPinError,
)
from lap_app.card.identity import CardIdentity
from lap_app.card.service import CardEvent, CardService, EventKind, ReaderState
from lap_app.card.virtual_reader import VIRTUAL_READER_NAME, VirtualReader, default_virtual_reader

__all__ = [
    "VIRTUAL_READER_NAME",
    "CardBusyError",
    "CardCommunicationError",
    "CardError",
    "CardEvent",
    "CardIdentity",
    "CardRemovedError",
    "CardResetError",
    "CardService",
    "CpsCard",
    "EventKind",
    "InvalidPinFormatError",
    "NoCardError",
    "NoReaderError",
    "NotCpsError",
    "PcscUnavailableError",
    "PinBlockedError",
    "PinNotVerifiedError",
    "PinResult",
    "PinStatus",
    "ReaderGoneError",
    "ReaderState",
    "VirtualReader",
    "WrongPinError",
    "atr_looks_like_cps",
    "default_virtual_reader",
    "open_card",
]
