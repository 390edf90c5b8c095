"""Which card back end this workstation uses: the ONE place that decides it.

PC/SC with pyscard is the default (and the demo's, and the virtual reader's). A PKCS#11
module (the ANS Cryptolib CPS) is chosen by ``--pkcs11-module PATH`` on the command line, or
else by the settings (``card.backend = "pkcs11"`` with ``card.pkcs11_module``); ``--pcsc``
goes back to PC/SC whatever the settings say.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lap_app.domain.errors import UserError
from lap_app.i18n import _


@dataclass(frozen=True, slots=True)
class CardBackend:
    kind: str  # "pcsc" | "pkcs11"
    pkcs11_module: str = ""

    @property
    def label(self) -> str:
        if self.kind == "pkcs11":
            return _("module PKCS#11 {path}").format(path=self.pkcs11_module)
        return _("lecteurs PC/SC")


def choose_backend(pkcs11_module: str | None = None, *, force_pcsc: bool = False,
                   settings: Any = None) -> CardBackend:
    """The command line first, then the settings (``Settings.card``), then PC/SC."""
    if pkcs11_module and force_pcsc:
        raise UserError(_("Choisissez soit --pcsc, soit --pkcs11-module, pas les deux."))
    if pkcs11_module:
        return CardBackend("pkcs11", pkcs11_module)
    if force_pcsc:
        return CardBackend("pcsc")
    if settings is None:
        from lap_app.settings import load_settings

        settings = load_settings()
    card = settings.card
    if card.backend == "pkcs11":
        if not card.pkcs11_module:
            raise UserError(_("Les paramètres choisissent une carte par module PKCS#11 sans indiquer le module : "
                              "indiquez-le dans les paramètres ou avec --pkcs11-module."))
        return CardBackend("pkcs11", card.pkcs11_module)
    return CardBackend("pcsc")


def card_service_for(backend: CardBackend) -> Any:
    """The card service of ``backend`` (``CardService`` or ``Pkcs11CardService``)."""
    if backend.kind == "pkcs11":
        from lap_app.card.pkcs11 import Pkcs11CardService

        return Pkcs11CardService(backend.pkcs11_module)
    from lap_app.card import CardService

    return CardService(virtual=False, pcsc=True)


def open_backend_card(backend: CardBackend, reader: str | None = None) -> Any:
    """The card in ``reader`` (a PC/SC reader or a PKCS#11 slot), else the first one present."""
    if backend.kind == "pkcs11":
        from lap_app.card.pkcs11 import open_pkcs11_card

        return open_pkcs11_card(backend.pkcs11_module, reader)
    from lap_app.card import open_card

    return open_card(reader)
