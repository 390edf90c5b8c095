"""The PKCS#11 card service: the module's slots as readers, its tokens as cards.

The same interface and polling as the PC/SC ``CardService`` (``snapshot``, ``poll``, ``watch``,
``open``), so the GUI's watcher notices a token that leaves within one poll. A token counts as
present only while the module lists it and answers C_GetTokenInfo for it: SoftHSM2 keeps
listing a deleted token's slot, a card middleware may drop the slot or the token.
"""

from __future__ import annotations

import logging
from pathlib import Path

from lap_app.card.errors import CardError, NoCardError, NoReaderError
from lap_app.card.pkcs11.card import Pkcs11Card
from lap_app.card.pkcs11.module import Pkcs11Module
from lap_app.card.service import CardService, ReaderState

log = logging.getLogger(__name__)


class Pkcs11CardService(CardService):
    """Readers and cards as the PKCS#11 module at ``module_path`` shows them."""

    def __init__(self, module_path: str | Path) -> None:
        super().__init__(virtual=False, pcsc=False)
        self.module_path = str(module_path)
        self._module: Pkcs11Module | None = None
        self._load_error: CardError | None = None
        self._slot_names: dict[str, int] = {}

    @property
    def service_error(self) -> str:
        return self._load_error.message if self._load_error is not None else ""

    def module(self) -> Pkcs11Module:
        """The loaded module; raises the French error when it cannot be loaded."""
        if self._module is None:
            try:
                self._module = Pkcs11Module.load(self.module_path)
                self._load_error = None
            except CardError as error:
                self._load_error = error
                raise
        return self._module

    def _snapshot_locked(self) -> list[ReaderState]:
        from PyKCS11 import PyKCS11Error
        from PyKCS11.LowLevel import CKF_TOKEN_INITIALIZED

        try:
            module = self.module()
        except CardError:
            return []
        states: list[ReaderState] = []
        names: dict[str, int] = {}
        with module.lock:
            try:
                slots = module.all_slots()
                with_token = set(module.slots_with_token())
            except PyKCS11Error as error:
                log.warning("PKCS#11 slot list failed: %s", error)
                return []
            for slot in slots:
                try:
                    name = module.lib.getSlotInfo(slot).slotDescription.strip() or f"slot {slot}"
                except PyKCS11Error:
                    continue  # the slot went between the two calls
                if name in names:
                    name = f"{name} #{slot}"
                names[name] = slot
                serial = label = ""
                if slot in with_token:
                    try:
                        info = module.lib.getTokenInfo(slot)
                        if info.flags & CKF_TOKEN_INITIALIZED:
                            label = info.label.strip()
                            serial = info.serialNumber.strip() or label or str(slot)
                    except PyKCS11Error:
                        serial = ""  # listed but unreadable: gone (SoftHSM2 after a deletion)
                states.append(ReaderState(name, bool(serial), token_serial=serial, token_label=label))
        self._slot_names = names
        return states

    def open(self, reader: str | None = None) -> Pkcs11Card:  # type: ignore[override]
        """The token in ``reader`` (a slot name), or the first token present."""
        module = self.module()
        if reader is None:
            return self._open_first_token(module)
        chosen = next((s for s in self.snapshot() if s.name == reader), None)
        if chosen is None:
            raise NoReaderError(reader)
        if not chosen.card_present:
            raise NoCardError(reader)
        return Pkcs11Card(module, self._slot_names[chosen.name], chosen.name)

    def _open_first_token(self, module: Pkcs11Module) -> Pkcs11Card:
        """The first initialised token, without describing every slot (the usual one-card case)."""
        from PyKCS11 import PyKCS11Error
        from PyKCS11.LowLevel import CKF_TOKEN_INITIALIZED

        with module.lock:
            try:
                if not module.all_slots():
                    raise NoReaderError()
                for slot in module.slots_with_token():
                    try:
                        if not module.lib.getTokenInfo(slot).flags & CKF_TOKEN_INITIALIZED:
                            continue
                        name = module.lib.getSlotInfo(slot).slotDescription.strip() or f"slot {slot}"
                    except PyKCS11Error:
                        continue  # gone meanwhile
                    return Pkcs11Card(module, slot, name)
            except PyKCS11Error as error:
                log.warning("PKCS#11 slot list failed: %s", error)
        raise NoCardError()


def open_pkcs11_card(module_path: str | Path, reader: str | None = None) -> Pkcs11Card:
    """Open the token in ``reader`` (default: the first one present) through ``module_path``."""
    return Pkcs11CardService(module_path).open(reader)
