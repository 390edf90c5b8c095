"""Helpers for tests (any part of the project) that need a CPS in a reader.

    from lap_app.standins.virtual_cps.testing import pcsc_ready, vpcd_card, inprocess_card

    require_service(pcsc_ready(), "pcscd + vpcd")       # tests/conftest.py
    with vpcd_card("medecin", slot=0, pki_dir=pki_dir) as inserted:
        card = open_card(inserted.reader)                # "Virtual PCD 00 00"
        ...
        inserted.pull()                                  # card removed
        inserted.insert()                                # and put back

    with inprocess_card("medecin", pki_dir=pki_dir):    # no PC/SC: open_card(virtual=True)
        ...

Both reset the card's PIN counter on entry (a blocked demo card would break the next test).
A per-slot lock file serialises emulators, so concurrent test sessions wait for each other
instead of fighting over a slot.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass

from lap_app.card.errors import CardError
from lap_app.card.transport import PcscContext
from lap_app.standins.pki import init_pki
from lap_app.standins.virtual_cps.card import VirtualCps
from lap_app.standins.virtual_cps.pin_store import FilePinCounter
from lap_app.standins.virtual_cps.vpcd import VpcdEmulator, port_for_slot, reader_name

# How long a test waits for pcscd to see a card come or go: it answers in well under a second on a
# quiet machine, and a loaded CI machine is 3–4× slower (a wait ends as soon as the state is seen).
INSERT_TIMEOUT = 60.0


def pcsc_ready() -> bool:
    """pcscd answers and lists the two vpcd slots."""
    try:
        context = PcscContext()
    except CardError:
        return False
    try:
        readers = context.readers()
    except CardError:
        return False
    finally:
        context.release()
    return reader_name(0) in readers and reader_name(1) in readers


def wait_card_state(reader: str, present: bool, timeout: float = INSERT_TIMEOUT) -> bool:
    """Wait until PC/SC reports a card in ``reader`` (or none)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            context = PcscContext()
            try:
                states = context.states([reader])
                seen = any(context.card_present(flags) for _name, flags, _atr in states)
            finally:
                context.release()
        except CardError:
            seen = None
        if seen is present:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


@dataclass
class InsertedCard:
    """A virtual card on a vpcd slot; ``pull()`` / ``insert()`` move it in and out."""

    card: VirtualCps
    slot: int
    emulator: VpcdEmulator | None = None

    @property
    def reader(self) -> str:
        return reader_name(self.slot)

    @property
    def port(self) -> int:
        return port_for_slot(self.slot)

    def insert(self, *, pull_before_ins: int | None = None) -> None:
        if self.emulator is not None:
            raise RuntimeError("card already inserted")
        emulator = VpcdEmulator(self.card, port=self.port, reconnect=False, pull_before_ins=pull_before_ins)
        emulator.start()
        self.emulator = emulator
        if not (emulator.wait_powered(INSERT_TIMEOUT) and wait_card_state(self.reader, True)):
            self.pull()
            raise RuntimeError(f"vpcd slot {self.slot} (port {self.port}) did not take the card: "
                               "is pcscd running, or is another process using this slot?")

    def pull(self) -> None:
        if self.emulator is not None:
            self.emulator.stop()
            self.emulator = None
        wait_card_state(self.reader, False)


def _card(holder: str, pki_dir: str | os.PathLike[str] | None, reset_pin: bool) -> VirtualCps:
    pki_holder = init_pki(pki_dir).holder(holder)
    if reset_pin:
        FilePinCounter(pki_holder.pin_state_path).reset()
    return VirtualCps.from_holder(pki_holder)


@contextlib.contextmanager
def vpcd_card(holder: str = "medecin", *, slot: int = 0, pki_dir: str | os.PathLike[str] | None = None,
              reset_pin: bool = True) -> Iterator[InsertedCard]:
    """Insert ``holder``'s card into vpcd slot 0 or 1 for the duration of the block."""
    inserted = InsertedCard(_card(holder, pki_dir, reset_pin), slot)
    inserted.insert()
    try:
        yield inserted
    finally:
        inserted.pull()


@contextlib.contextmanager
def inprocess_card(holder: str = "medecin", *, pki_dir: str | os.PathLike[str] | None = None,
                   reset_pin: bool = True, reader=None) -> Iterator[VirtualCps]:
    """Insert ``holder``'s card into the in-process virtual reader for the duration of the block."""
    from lap_app.card.virtual_reader import default_virtual_reader

    target = reader or default_virtual_reader()
    card = _card(holder, pki_dir, reset_pin)
    target.insert(card)
    try:
        yield card
    finally:
        if target.card is card:
            target.remove()
