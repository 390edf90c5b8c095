"""The PKCS#11 card back end: a CPS through the ANS Cryptolib CPS (or any PKCS#11 module)."""

from lap_app.card.pkcs11.card import Pkcs11Card
from lap_app.card.pkcs11.module import Pkcs11Module
from lap_app.card.pkcs11.module_paths import installed_modules, suggested_modules
from lap_app.card.pkcs11.service import Pkcs11CardService, open_pkcs11_card

__all__ = ["Pkcs11Card", "Pkcs11CardService", "Pkcs11Module", "installed_modules", "open_pkcs11_card",
           "suggested_modules"]
