"""The card holder's PIN: its format, the result of presenting it, and what is left of its tries.

Shared by both card back ends. A PC/SC CPS says exactly how many tries are left; a PKCS#11
token only raises flags (count low, final try, locked), so ``tries_left`` may be unknown
(``None``) with ``low`` telling that wrong codes were already counted.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from lap_app.card.errors import InvalidPinFormatError, PinBlockedError, WrongPinError
from lap_app.i18n import _, ngettext

PIN_MIN_LENGTH = 4
PIN_MAX_LENGTH = 8


class PinStatus(enum.Enum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    BLOCKED = "blocked"


@dataclass(frozen=True, slots=True)
class PinResult:
    status: PinStatus
    tries_left: int | None  # None: the token does not say
    low: bool = False  # the token says some wrong codes were counted (PKCS#11 COUNT_LOW)

    @property
    def accepted(self) -> bool:
        return self.status is PinStatus.ACCEPTED

    @property
    def message(self) -> str:
        if self.status is PinStatus.ACCEPTED:
            return _("Code porteur accepté.")
        return (PinBlockedError() if self.status is PinStatus.BLOCKED
                else WrongPinError(self.tries_left, low=self.low)).message

    def raise_unless_accepted(self) -> None:
        if self.status is PinStatus.BLOCKED:
            raise PinBlockedError()
        if self.status is PinStatus.WRONG:
            raise WrongPinError(self.tries_left, low=self.low)


def check_pin_format(pin: str) -> None:
    """4 to 8 ASCII digits; checked before anything reaches the card, so no try is lost."""
    if (not isinstance(pin, str) or not (PIN_MIN_LENGTH <= len(pin) <= PIN_MAX_LENGTH)
            or not pin.isascii() or not pin.isdigit()):
        raise InvalidPinFormatError()


def tries_text(tries_left: int | None, low: bool = False) -> str:
    """"2 essais restants", or what the token lets us say when it gives no number."""
    if tries_left is None:
        return _("peu d'essais restants") if low else ""
    return ngettext("{n} essai restant", "{n} essais restants", tries_left).format(n=tries_left)
