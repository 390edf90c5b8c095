"""The virtual CPS in the card layer's in-process virtual reader (no PC/SC needed)."""

from __future__ import annotations

import os

from lap_app.card.virtual_reader import VirtualReader, default_virtual_reader
from lap_app.standins.pki import init_pki
from lap_app.standins.virtual_cps.card import VirtualCps


def insert_virtual_card(holder: str = "medecin", pki_dir: str | os.PathLike[str] | None = None, *,
                        reader: VirtualReader | None = None, persist_pin: bool = True,
                        reset_pin: bool = False) -> VirtualCps:
    """Insert the demo card of ``holder`` (from the PKI in ``pki_dir``) into the virtual reader.

    ``open_card(virtual=True)`` then finds it. ``reset_pin`` unblocks it (3 tries again).
    """
    pki = init_pki(pki_dir)
    card = VirtualCps.from_holder(pki.holder(holder), persist_pin=persist_pin)
    if reset_pin:
        from lap_app.standins.virtual_cps.pin_store import FilePinCounter

        if persist_pin:
            FilePinCounter(pki.holder(holder).pin_state_path).reset()
    (reader or default_virtual_reader()).insert(card)
    return card

