"""The card layer over the in-process virtual reader (the fallback without PC/SC)."""

from __future__ import annotations

import hashlib
import logging

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lap_app.card import (
    CardRemovedError,
    CardService,
    EventKind,
    InvalidPinFormatError,
    NoCardError,
    NotCpsError,
    PinBlockedError,
    PinNotVerifiedError,
    PinStatus,
    VirtualReader,
    WrongPinError,
    open_card,
)
from lap_app.card.cps import CpsCard
from lap_app.standins.virtual_cps.testing import inprocess_card


@pytest.fixture()
def doctor_card(card_pki_dir):
    with inprocess_card("medecin", pki_dir=card_pki_dir) as virtual, open_card(virtual=True) as card:
        yield card, virtual


def test_identity_and_certificates_come_from_the_card(doctor_card, card_pki) -> None:
    card, _virtual = doctor_card
    identity = card.identity()
    assert (identity.national_id, identity.id_type, identity.number) == ("810101234564", "8", "10101234564")
    assert (identity.family_name, identity.given_name) == ("MARTIN", "Claire")
    assert (identity.profession_code, identity.profession_label) == ("10", "Médecin")
    assert identity.serial == "1000001234" and identity.rpps == "10101234564"
    assert card.auth_certificate_der() == card_pki.holder("medecin").auth_cert_der
    assert card_pki.issued_by_ca(x509.load_der_x509_certificate(card.sign_certificate_der()))
    assert card.atr_recognised


def test_signature_verifies_with_the_certificate_read_from_the_card(doctor_card) -> None:
    card, _virtual = doctor_card
    data = b'{"resourceType":"Bundle"}'
    with pytest.raises(PinNotVerifiedError):
        card.sign_digest(hashlib.sha256(data).digest())
    assert card.verify_pin("1234").accepted
    signature = card.sign_digest(hashlib.sha256(data).digest())
    cert = x509.load_der_x509_certificate(card.sign_certificate_der())
    cert.public_key().verify(signature, data, PKCS1v15(), SHA256())
    # authentication uses the other key: the auth certificate verifies it, not the sign one
    challenge = b"nonce-1234567890"
    proof = card.authenticate(challenge)
    x509.load_der_x509_certificate(card.auth_certificate_der()).public_key().verify(proof, challenge, PKCS1v15(), SHA256())


def test_pin_given_with_the_operation_is_verified_in_the_same_transaction(doctor_card) -> None:
    card, virtual = doctor_card
    signature = card.sign_digest(hashlib.sha256(b"x").digest(), pin="1234")
    assert len(signature) == 256
    virtual.power_on()  # forget the verification
    with pytest.raises(WrongPinError) as wrong:
        card.sign_digest(hashlib.sha256(b"x").digest(), pin="4321")
    assert wrong.value.tries_left == 2 and "4321" not in wrong.value.message


def test_wrong_pin_three_times_blocks_the_card(doctor_card) -> None:
    card, _virtual = doctor_card
    results = [card.verify_pin("0000") for _ in range(3)]
    assert [(r.status, r.tries_left) for r in results] == [
        (PinStatus.WRONG, 2), (PinStatus.WRONG, 1), (PinStatus.BLOCKED, 0)]
    assert "bloqué" in results[-1].message
    assert card.pin_tries_left() == 0
    assert card.verify_pin("1234").status is PinStatus.BLOCKED
    with pytest.raises(PinBlockedError):
        card.sign_digest(bytes(32), pin="1234")


def test_malformed_pin_is_refused_before_reaching_the_card(doctor_card) -> None:
    card, _virtual = doctor_card
    for pin in ("12", "12a4", "123456789", "１２３４"):
        with pytest.raises(InvalidPinFormatError):
            card.verify_pin(pin)
    assert card.pin_tries_left() == 3


def test_pin_never_reaches_logs_or_messages(doctor_card, caplog) -> None:
    card, _virtual = doctor_card
    caplog.set_level(logging.DEBUG)
    result = card.verify_pin("9876")
    with pytest.raises(WrongPinError) as wrong:
        result.raise_unless_accepted()
    assert "9876" not in caplog.text and "9876" not in str(wrong.value) and "9876" not in repr(result)


class _PullDuringSignature:
    """Wraps a card: pulls it out of the reader when the signature command arrives."""

    def __init__(self, card, reader: VirtualReader) -> None:
        self.card, self.reader = card, reader
        self.atr = card.atr

    def power_on(self) -> None:
        self.card.power_on()

    def process(self, apdu: bytes) -> bytes:
        response = self.card.process(apdu)
        if apdu[1] == 0x2A:
            self.reader.remove()
        return response


def test_card_pulled_during_signature(card_pki) -> None:
    from lap_app.standins.virtual_cps import VirtualCps

    reader = VirtualReader("test reader")
    virtual = VirtualCps.from_holder(card_pki.holder("medecin"), persist_pin=False)
    reader.insert(_PullDuringSignature(virtual, reader))
    card = CpsCard(reader.connect())
    assert card.verify_pin("1234").accepted
    with pytest.raises(CardRemovedError) as removed:
        card.sign_digest(hashlib.sha256(b"x").digest())
    assert "retirée" in removed.value.message
    with pytest.raises(CardRemovedError):  # the old connection stays dead
        card.pin_tries_left()
    reader.insert(virtual)  # back in: fresh power-on, nothing verified, counter untouched
    again = CpsCard(reader.connect())
    assert again.pin_tries_left() == 3
    with pytest.raises(PinNotVerifiedError):
        again.sign_digest(hashlib.sha256(b"x").digest())


class _NotACps:
    atr = bytes.fromhex("3B8F8001804F0CA000000306030001000000006A")

    def power_on(self) -> None:
        pass

    def process(self, apdu: bytes) -> bytes:
        return bytes.fromhex("6A82")


def test_other_cards_are_not_taken_for_a_cps() -> None:
    reader = VirtualReader("test reader")
    reader.insert(_NotACps())
    with pytest.raises(NotCpsError):
        CpsCard(reader.connect()).read_serial()


def test_no_card_in_the_virtual_reader(card_pki_dir) -> None:
    reader = VirtualReader("test reader")
    with pytest.raises(NoCardError):
        reader.connect()
    with inprocess_card("medecin", pki_dir=card_pki_dir):
        pass
    with pytest.raises(NoCardError) as missing:
        open_card(virtual=True)
    assert "Aucune carte" in missing.value.message


def test_service_reports_insertion_and_removal(card_pki_dir) -> None:
    reader = VirtualReader("test reader")
    service = CardService(virtual=True, pcsc=False, virtual_reader=reader)
    assert [e.kind for e in service.poll()] == [EventKind.READER_ADDED]
    assert service.poll() == []
    with inprocess_card("pharmacien", pki_dir=card_pki_dir, reader=reader):
        events = service.poll()
        assert [(e.kind, e.reader) for e in events] == [(EventKind.CARD_INSERTED, "test reader")]
        with service.open() as card:
            assert card.identity().profession_code == "21"
    assert [e.kind for e in service.poll()] == [EventKind.CARD_REMOVED]


def test_watch_calls_back_from_its_thread(card_pki_dir) -> None:
    import queue

    reader = VirtualReader("watched reader")
    service = CardService(virtual=True, pcsc=False, virtual_reader=reader)
    events: queue.Queue = queue.Queue()
    service.watch(events.put, interval=0.05)
    try:
        assert events.get(timeout=60).kind is EventKind.READER_ADDED
        with inprocess_card("medecin", pki_dir=card_pki_dir, reader=reader):
            assert events.get(timeout=60).kind is EventKind.CARD_INSERTED
        assert events.get(timeout=60).kind is EventKind.CARD_REMOVED
    finally:
        service.stop()


def test_a_card_swapped_between_two_polls_is_still_reported(card_pki_dir) -> None:
    reader = VirtualReader("swap reader")
    service = CardService(virtual=True, pcsc=False, virtual_reader=reader)
    with inprocess_card("medecin", pki_dir=card_pki_dir, reader=reader):
        service.poll()
        reader.remove()  # pulled and put back (same ATR) before the next poll
    with inprocess_card("medecin", pki_dir=card_pki_dir, reader=reader):
        assert [e.kind for e in service.poll()] == [EventKind.CARD_REMOVED, EventKind.CARD_INSERTED]


class _HostileCard:
    """Answers each APDU with the next of a list of arbitrary responses."""

    atr = bytes.fromhex("3BAC00402A001225006480000310009000")

    def __init__(self, responses: list[bytes]) -> None:
        self.responses = list(responses)

    def power_on(self) -> None:
        pass

    def process(self, apdu: bytes) -> bytes:
        return self.responses.pop(0) if self.responses else bytes.fromhex("6F00")

_response = st.one_of(
    st.binary(max_size=40).map(lambda b: b + bytes.fromhex("9000")),
    st.sampled_from([bytes.fromhex(x) for x in ("6100", "6110", "6C05", "6982", "6983", "63C1", "9000", "6A82")]),
    st.binary(max_size=6),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_response, max_size=12), st.sampled_from(["serial", "identity", "tries", "verify", "sign", "auth"]))
def test_a_misbehaving_card_only_ever_gives_card_errors(responses, operation) -> None:
    from lap_app.card import CardError

    reader = VirtualReader("hostile")
    reader.insert(_HostileCard(responses))
    card = CpsCard(reader.connect())
    actions = {
        "serial": card.read_serial, "identity": card.identity, "tries": card.pin_tries_left,
        "verify": lambda: card.verify_pin("1234"), "sign": lambda: card.sign_digest(bytes(32)),
        "auth": lambda: card.authenticate(b"c"),
    }
    try:
        actions[operation]()
    except CardError as error:
        assert error.message and "1234" not in error.message
