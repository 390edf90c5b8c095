"""User-level card errors: one French sentence each, never an APDU, never a PIN."""

from __future__ import annotations

from lap_app.domain.errors import UserError
from lap_app.i18n import _, ngettext


class CardError(UserError):
    """Anything that went wrong with the reader or the card, said for the user."""


class NoReaderError(CardError):
    def __init__(self, reader: str | None = None) -> None:
        if reader:
            super().__init__(_("Le lecteur de carte « {reader} » est introuvable.").format(reader=reader))
        else:
            super().__init__(_("Aucun lecteur de carte n'est branché."))


class PcscUnavailableError(NoReaderError):
    def __init__(self) -> None:
        CardError.__init__(self, _("Le service des cartes à puce (pcscd) ne répond pas : aucun lecteur n'est accessible."))


class NoCardError(CardError):
    def __init__(self, reader: str | None = None) -> None:
        if reader:
            super().__init__(_("Aucune carte dans le lecteur « {reader} ».").format(reader=reader))
        else:
            super().__init__(_("Aucune carte CPS n'est insérée dans un lecteur."))


class NotCpsError(CardError):
    def __init__(self) -> None:
        super().__init__(_("La carte insérée n'est pas une carte CPS (carte de professionnel de santé)."))


class CardRemovedError(CardError):
    def __init__(self) -> None:
        super().__init__(_("La carte a été retirée pendant l'opération, qui n'a pas été effectuée ; réinsérez-la et recommencez."))


class CardResetError(CardRemovedError):
    def __init__(self) -> None:
        CardError.__init__(self, _("La carte a été réinitialisée par une autre application pendant l'opération ; recommencez."))


class ReaderGoneError(CardError):
    def __init__(self, reader: str | None = None) -> None:
        super().__init__(_("Le lecteur de carte « {reader} » a été débranché ou n'est plus accessible.").format(reader=reader or "?"))


class CardBusyError(CardError):
    def __init__(self) -> None:
        super().__init__(_("La carte est utilisée en exclusivité par une autre application ; réessayez dans un instant."))


class PinBlockedError(CardError):
    def __init__(self) -> None:
        super().__init__(_("Le code porteur de la carte CPS est bloqué (trop d'essais erronés) ; la carte doit être débloquée."))


class WrongPinError(CardError):
    def __init__(self, tries_left: int) -> None:
        self.tries_left = tries_left
        super().__init__(ngettext("Code porteur erroné ; il reste {n} essai avant blocage de la carte.",
                                  "Code porteur erroné ; il reste {n} essais avant blocage de la carte.",
                                  tries_left).format(n=tries_left))


class InvalidPinFormatError(CardError):
    def __init__(self) -> None:
        super().__init__(_("Le code porteur se compose de 4 à 8 chiffres."))


class PinNotVerifiedError(CardError):
    def __init__(self) -> None:
        super().__init__(_("La carte refuse l'opération : le code porteur n'a pas été saisi."))


class CardCommunicationError(CardError):
    def __init__(self, operation: str, status: int | None = None) -> None:
        self.status = status
        detail = f" ({status:04X})" if status is not None else ""
        super().__init__(_("La carte a répondu de façon inattendue : {operation}{detail}.").format(
            operation=operation, detail=detail))
