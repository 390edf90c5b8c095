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
    def __init__(self, tries_left: int | None, *, low: bool = False) -> None:
        self.tries_left = tries_left
        if tries_left is None:  # a PKCS#11 token that gives no count
            super().__init__(_("Code porteur erroné ; attention, il reste peu d'essais avant blocage de la carte.")
                             if low else _("Code porteur erroné."))
            return
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


class Pkcs11ModuleMissingError(CardError):
    def __init__(self, path: str) -> None:
        super().__init__(_("Le module PKCS#11 « {path} » est introuvable : installez la Cryptolib CPS ou indiquez "
                           "le chemin de son module (par exemple {example}).").format(
                               path=path, example=_example_module()))


class Pkcs11ModuleInvalidError(CardError):
    def __init__(self, path: str) -> None:
        super().__init__(_("« {path} » n'est pas un module PKCS#11 : indiquez la bibliothèque PKCS#11 de la "
                           "Cryptolib CPS (par exemple {example}).").format(path=path, example=_example_module()))


class Pkcs11ModuleFailedError(CardError):
    def __init__(self, path: str, code: str) -> None:
        super().__init__(_("Le module PKCS#11 « {path} » n'a pas pu démarrer ({code}) : réinstallez la Cryptolib "
                           "CPS ou redémarrez le poste.").format(path=path, code=code))


class TokenWithoutCertificateError(CardError):
    def __init__(self, label: str, usage: str) -> None:
        super().__init__(_("La carte « {label} » ne contient pas de certificat CPS de {usage} : ce n'est pas une "
                           "carte CPS, ou la Cryptolib CPS ne la lit pas ; vérifiez-la avec "
                           "« pkcs11-tool --list-objects ».").format(label=label, usage=usage))


class TokenKeyMissingError(CardError):
    def __init__(self, usage: str) -> None:
        super().__init__(_("La clé privée du certificat de {usage} est introuvable sur la carte : vérifiez avec "
                           "« pkcs11-tool --login --list-objects » que la clé et le certificat portent le même "
                           "identifiant (--id).").format(usage=usage))


class Pkcs11OperationError(CardCommunicationError):
    """The module answered a PKCS#11 code we have no better sentence for."""

    def __init__(self, operation: str, code_name: str) -> None:
        self.code_name = code_name
        CardError.__init__(self, _("La carte a répondu de façon inattendue : {operation} ({code}).").format(
            operation=operation, code=code_name))


def _example_module() -> str:
    import sys

    return r"C:\Windows\System32\cps3_pkcs11_w64.dll" if sys.platform == "win32" else "/usr/lib/libcps3_pkcs11_lux.so"
