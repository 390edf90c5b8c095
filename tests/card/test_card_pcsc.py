"""The card layer on the real PC/SC stack: pcscd + vpcd, the virtual CPS inserted and pulled.

These tests fail (never skip) when CI=true and pcscd/vpcd are missing.
"""

from __future__ import annotations

import hashlib
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256

from lap_app.card import (
    CardRemovedError,
    CardService,
    EventKind,
    NoCardError,
    NoReaderError,
    NotCpsError,
    PinBlockedError,
    PinNotVerifiedError,
    PinStatus,
    open_card,
)
from lap_app.card.transport import PcscContext as _RealContext
from lap_app.standins.virtual_cps.testing import vpcd_card, wait_card_state
from lap_app.standins.virtual_cps.vpcd import VpcdEmulator, reader_name

pytestmark = [pytest.mark.pcsc, pytest.mark.usefixtures("pcsc_stack")]


def _wait_events(service: CardService, wanted: EventKind, reader: str, timeout: float = 60.0) -> list:
    deadline = time.monotonic() + timeout
    seen: list = []
    while time.monotonic() < deadline:
        seen += service.poll()
        if any(e.kind is wanted and e.reader == reader for e in seen):
            return seen
        time.sleep(0.05)
    raise AssertionError(f"no {wanted} on {reader}; saw {seen}")


def test_insertion_and_removal_are_seen_by_polling(card_pki_dir) -> None:
    service = CardService()
    service.poll()
    with vpcd_card("medecin", slot=0, pki_dir=card_pki_dir) as inserted:
        events = _wait_events(service, EventKind.CARD_INSERTED, inserted.reader)
        inserted_event = next(e for e in events if e.kind is EventKind.CARD_INSERTED)
        assert inserted_event.atr == bytes.fromhex("3BAC00402A001225006480000310009000")
        assert service.pcsc_available
    _wait_events(service, EventKind.CARD_REMOVED, reader_name(0))
    service.close()


def test_identity_signature_and_authentication_over_pcsc(card_pki_dir, card_pki) -> None:
    with vpcd_card("medecin", slot=0, pki_dir=card_pki_dir) as inserted, open_card(inserted.reader) as card:
        identity = card.identity()
        assert identity.national_id == "810101234564" and identity.family_name == "MARTIN"
        sign_cert = x509.load_der_x509_certificate(card.sign_certificate_der())
        auth_cert = x509.load_der_x509_certificate(card.auth_certificate_der())
        assert card_pki.issued_by_ca(sign_cert) and card_pki.issued_by_ca(auth_cert)
        data = b"canonical bundle bytes"
        with pytest.raises(PinNotVerifiedError):  # refused by the card itself (69 82)
            card.sign_digest(hashlib.sha256(data).digest())
        assert card.verify_pin("1234").accepted
        sign_cert.public_key().verify(card.sign_digest(hashlib.sha256(data).digest()), data, PKCS1v15(), SHA256())
        proof = card.authenticate(b"server challenge")
        auth_cert.public_key().verify(proof, b"server challenge", PKCS1v15(), SHA256())


def test_card_pulled_in_the_middle_of_a_signature(card_pki_dir) -> None:
    with vpcd_card("medecin", slot=0, pki_dir=card_pki_dir) as inserted:
        inserted.pull()
        inserted.insert(pull_before_ins=0x2A)  # the card goes when PSO COMPUTE DIGITAL SIGNATURE arrives
        card = open_card(inserted.reader)
        assert card.verify_pin("1234").accepted
        with pytest.raises(CardRemovedError):
            card.sign_digest(hashlib.sha256(b"x").digest())
        card.close()
        assert inserted.emulator is not None and inserted.emulator.pulled.is_set()
        inserted.pull()
        inserted.insert()
        with open_card(inserted.reader) as again:  # nothing half-done: no verified PIN, no try used
            assert again.pin_tries_left() == 3
            with pytest.raises(PinNotVerifiedError):
                again.sign_digest(hashlib.sha256(b"x").digest())
            assert len(again.sign_digest(hashlib.sha256(b"x").digest(), pin="1234")) == 256


def test_three_wrong_pins_block_the_card_across_reinsertion(card_pki_dir) -> None:
    with vpcd_card("pharmacien", slot=1, pki_dir=card_pki_dir) as inserted:
        with open_card(inserted.reader) as card:
            assert card.identity().profession_code == "21"
            statuses = [card.verify_pin("0000").status for _ in range(3)]
            assert statuses == [PinStatus.WRONG, PinStatus.WRONG, PinStatus.BLOCKED]
        inserted.pull()
        inserted.card.power_on()
        inserted.insert()
        with open_card(inserted.reader) as card:
            assert card.pin_tries_left() == 0
            with pytest.raises(PinBlockedError):
                card.sign_digest(bytes(32), pin="1234")
    with vpcd_card("pharmacien", slot=1, pki_dir=card_pki_dir) as inserted:  # reset_pin: unblocked
        with open_card(inserted.reader) as card:
            assert card.pin_tries_left() == 3


def test_no_card_and_unknown_reader(card_pki_dir) -> None:
    with pytest.raises(NoCardError):
        open_card(reader_name(1)) if wait_card_state(reader_name(1), False, 60) else pytest.fail("slot 1 busy")
    with pytest.raises(NoReaderError) as missing:
        open_card("Lecteur qui n'existe pas")
    assert "introuvable" in missing.value.message


class _BankCard:
    atr = bytes.fromhex("3B6800000073C84013009000")

    def power_on(self) -> None:
        pass

    def process(self, apdu: bytes) -> bytes:
        return bytes.fromhex("6A82")


def test_a_card_that_is_not_a_cps() -> None:
    emulator = VpcdEmulator(_BankCard(), port=35964, reconnect=False).start()
    try:
        assert emulator.wait_powered(60) and wait_card_state(reader_name(1), True)
        with pytest.raises(NotCpsError):
            open_card(reader_name(1))
    finally:
        emulator.stop()
        wait_card_state(reader_name(1), False)


class _FlakyContext:
    """The real PC/SC context, except that pcscd "is down" while ``down`` is set: what a
    context sees when pcscd is absent at start (establish fails) or restarted (calls fail)."""

    down = True

    def __init__(self) -> None:
        from lap_app.card.errors import PcscUnavailableError

        if _FlakyContext.down:
            raise PcscUnavailableError()
        self._real = _RealContext()
        self.generation = _FlakyContext.generation

    generation = 0

    def _check(self) -> None:
        from lap_app.card.errors import PcscUnavailableError

        if _FlakyContext.down or self.generation != _FlakyContext.generation:
            raise PcscUnavailableError()  # stale context after a restart

    def readers(self):
        self._check()
        return self._real.readers()

    def states(self, readers):
        self._check()
        return self._real.states(readers)

    def card_present(self, flags):
        return self._real.card_present(flags)

    def release(self) -> None:
        self._real.release()


def test_polling_survives_pcscd_absent_then_restarted(card_pki_dir, monkeypatch) -> None:
    import lap_app.card.transport as transport

    monkeypatch.setattr(transport, "PcscContext", _FlakyContext)
    _FlakyContext.down, _FlakyContext.generation = True, 0
    service = CardService()
    assert service.poll() == [] and not service.pcsc_available  # absent at start: no crash
    with vpcd_card("medecin", slot=0, pki_dir=card_pki_dir) as inserted:
        _FlakyContext.down = False  # pcscd comes up
        events = _wait_events(service, EventKind.CARD_INSERTED, inserted.reader)
        assert events[0].kind is EventKind.SERVICE_BACK
        _FlakyContext.down = True  # pcscd stops
        assert next(e.kind for e in service.poll()) is EventKind.SERVICE_LOST
        _FlakyContext.down, _FlakyContext.generation = False, 1  # restarted: old contexts are stale
        kinds = [e.kind for e in service.poll()]
        assert kinds[0] is EventKind.SERVICE_BACK and EventKind.CARD_INSERTED in kinds
    service.close()


def test_a_transaction_keeps_other_connections_out(card_pki_dir) -> None:
    import threading

    with vpcd_card("medecin", slot=0, pki_dir=card_pki_dir) as inserted, open_card(inserted.reader) as first:
        finished = threading.Event()
        outcome: list = []

        def other_application() -> None:
            try:
                with open_card(inserted.reader) as second:  # its SELECT/READ need the card
                    outcome.append(second.pin_tries_left())
            except Exception as error:  # noqa: BLE001 - reported below
                outcome.append(error)
            finished.set()

        with first.transaction():
            assert first.verify_pin("1234").accepted
            thread = threading.Thread(target=other_application)
            thread.start()
            assert not finished.wait(0.8)  # held off while we are inside the transaction
            first.sign_digest(hashlib.sha256(b"x").digest())
        assert finished.wait(10)
        thread.join()
        assert outcome == [3]


def test_card_reset_by_another_application(card_pki_dir) -> None:
    from smartcard import scard

    with vpcd_card("medecin", slot=0, pki_dir=card_pki_dir) as inserted, open_card(inserted.reader) as card:
        assert card.verify_pin("1234").accepted
        # another application resets the card (what a crashed middleware may do)
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        hresult, handle, _protocol = scard.SCardConnect(context, inserted.reader, scard.SCARD_SHARE_SHARED,
                                                       scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
        assert hresult == scard.SCARD_S_SUCCESS
        scard.SCardReconnect(handle, scard.SCARD_SHARE_SHARED, scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
                             scard.SCARD_RESET_CARD)
        scard.SCardDisconnect(handle, scard.SCARD_LEAVE_CARD)
        scard.SCardReleaseContext(context)
        with pytest.raises(CardRemovedError) as reset:  # CardResetError is-a CardRemovedError
            card.sign_digest(hashlib.sha256(b"x").digest())
        assert "réinitialisée" in reset.value.message
        # the handle is usable again; the reset forgot the PIN, as a real card does
        with pytest.raises(PinNotVerifiedError):
            card.sign_digest(hashlib.sha256(b"x").digest())
        assert len(card.sign_digest(hashlib.sha256(b"x").digest(), pin="1234")) == 256


def test_pull_and_reinsert_between_two_polls(card_pki_dir) -> None:
    service = CardService()
    with vpcd_card("medecin", slot=0, pki_dir=card_pki_dir) as inserted:
        _wait_events(service, EventKind.CARD_INSERTED, inserted.reader)
        inserted.pull()
        inserted.insert()  # same card, same ATR: only pcsc-lite's event counter tells
        kinds = [e.kind for e in service.poll() if e.reader == inserted.reader]
        assert kinds == [EventKind.CARD_REMOVED, EventKind.CARD_INSERTED]
    service.close()
