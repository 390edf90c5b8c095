"""The PKCS#11 card back end on a real PKCS#11 token (SoftHSM2), the same checks as over PC/SC.

The tokens are made with softhsm2-util and pkcs11-tool (``softhsm_tokens`` in conftest.py).
These tests fail (never skip) when CI=true and SoftHSM2 is missing.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256

from lap_app.card import CardRemovedError, EventKind, NoCardError, PinNotVerifiedError, PinStatus, WrongPinError
from lap_app.card.errors import (
    Pkcs11ModuleInvalidError,
    Pkcs11ModuleMissingError,
    TokenWithoutCertificateError,
)
from lap_app.card.pkcs11 import Pkcs11CardService

pytestmark = pytest.mark.pkcs11


@pytest.fixture()
def service(softhsm_tokens):
    hsm, _tokens = softhsm_tokens
    service = Pkcs11CardService(hsm.module_path)
    yield service
    service.close()


def _reader_of(service: Pkcs11CardService, label: str) -> str:
    return next(s.name for s in service.snapshot() if s.token_label == label)


def test_the_tokens_are_listed_as_cards_in_readers(service, softhsm_tokens) -> None:
    _hsm, tokens = softhsm_tokens
    states = service.snapshot()
    present = {s.token_label for s in states if s.card_present}
    assert {tokens["medecin"].label, tokens["pharmacien"].label} <= present
    assert any(not s.card_present for s in states)  # SoftHSM2's spare slot: a reader without a card
    assert all(s.looks_like_cps for s in states if s.card_present)
    assert not service.service_error


def test_identity_and_certificates_read_from_the_token(service, softhsm_tokens, card_pki) -> None:
    _hsm, tokens = softhsm_tokens
    with service.open(_reader_of(service, tokens["medecin"].label)) as card:
        identity = card.identity()
        assert (identity.national_id, identity.family_name, identity.given_name) == ("810101234564", "MARTIN",
                                                                                     "Claire")
        assert (identity.profession_code, identity.serial) == ("10", "1000001234")
        auth = x509.load_der_x509_certificate(card.auth_certificate_der())
        sign = x509.load_der_x509_certificate(card.sign_certificate_der())
        assert card_pki.issued_by_ca(auth) and card_pki.issued_by_ca(sign)
        assert auth == card_pki.holder("medecin").auth_cert and sign == card_pki.holder("medecin").sign_cert
        assert card.pin_tries_left() is None  # SoftHSM2 gives no count before a wrong code


def test_signature_and_authentication_verified_with_the_certificates(service, softhsm_tokens) -> None:
    _hsm, tokens = softhsm_tokens
    with service.open(_reader_of(service, tokens["medecin"].label)) as card:
        data = b"canonical bundle bytes"
        with pytest.raises(PinNotVerifiedError):
            card.sign_digest(hashlib.sha256(data).digest())
        assert card.verify_pin("1234").accepted
        sign_key = x509.load_der_x509_certificate(card.sign_certificate_der()).public_key()
        sign_key.verify(card.sign_digest(hashlib.sha256(data).digest()), data, PKCS1v15(), SHA256())
        proof = card.authenticate(b"server challenge")
        auth_key = x509.load_der_x509_certificate(card.auth_certificate_der()).public_key()
        auth_key.verify(proof, b"server challenge", PKCS1v15(), SHA256())
        with pytest.raises(InvalidSignature):  # each key is its own certificate's, not the other's
            auth_key.verify(card.sign_digest(hashlib.sha256(data).digest()), data, PKCS1v15(), SHA256())


def test_labels_are_not_read_the_key_usage_decides(service, softhsm_tokens, card_pki) -> None:
    _hsm, tokens = softhsm_tokens
    holder = card_pki.holder("medecin")
    with service.open(_reader_of(service, tokens["other_labels"].label)) as card:
        assert x509.load_der_x509_certificate(card.auth_certificate_der()) == holder.auth_cert
        assert x509.load_der_x509_certificate(card.sign_certificate_der()) == holder.sign_cert
        signature = card.sign_digest(hashlib.sha256(b"x").digest(), pin="1234")
        holder.sign_cert.public_key().verify(signature, b"x", PKCS1v15(), SHA256())
        holder.auth_cert.public_key().verify(card.authenticate(b"c"), b"c", PKCS1v15(), SHA256())


def test_wrong_pin_says_so_without_the_pin_and_the_right_one_still_works(service, softhsm_tokens) -> None:
    _hsm, tokens = softhsm_tokens
    with service.open(_reader_of(service, tokens["pharmacien"].label)) as card:
        result = card.verify_pin("4321")
        assert result.status is PinStatus.WRONG and result.low  # SoftHSM2 raises COUNT_LOW
        with pytest.raises(WrongPinError) as wrong:
            result.raise_unless_accepted()
        assert "peu d'essais" in wrong.value.message and "4321" not in wrong.value.message
        assert card.verify_pin("1234").accepted
        assert card.verify_pin("4321").status is PinStatus.WRONG  # logged in or not, a wrong code is wrong
        with pytest.raises(PinNotVerifiedError):
            card.sign_digest(bytes(32))


def test_a_token_without_the_cps_certificates(service, softhsm_tokens) -> None:
    _hsm, tokens = softhsm_tokens
    with service.open(_reader_of(service, tokens["without_certificates"].label)) as card:
        with pytest.raises(TokenWithoutCertificateError) as missing:
            card.identity()
        assert "CPS SANS CERTIFICAT" in missing.value.message and "pkcs11-tool" in missing.value.message


def test_removal_is_seen_within_two_seconds_and_nothing_is_signed(service, softhsm_tokens) -> None:
    hsm, tokens = softhsm_tokens
    token = tokens["pulled0"]
    reader = _reader_of(service, token.label)
    service.poll()
    card = service.open(reader)
    assert card.verify_pin("1234").accepted
    card.identity()
    hsm.delete_token(token)
    # seen by the first look after the pull: the application looks every 400 ms, so within 2 s
    # (counted in looks, not measured: a loaded machine would decide a measure)
    events = service.poll()
    assert any(e.kind is EventKind.CARD_REMOVED and e.reader == reader for e in events), f"removal not seen: {events}"
    started = time.monotonic()
    with pytest.raises(CardRemovedError) as removed:
        card.sign_digest(hashlib.sha256(b"x").digest())
    assert time.monotonic() - started < 2.0
    assert "retirée" in removed.value.message
    with pytest.raises(CardRemovedError):
        card.authenticate(b"challenge")
    card.close()
    with pytest.raises(NoCardError):
        service.open(reader)


def test_module_path_that_does_not_exist(tmp_path: Path) -> None:
    service = Pkcs11CardService(tmp_path / "libcps3_pkcs11_lux.so")
    assert service.snapshot() == []
    assert "introuvable" in service.service_error and "Cryptolib CPS" in service.service_error
    with pytest.raises(Pkcs11ModuleMissingError):
        service.open()


def test_a_library_that_is_not_pkcs11(tmp_path: Path) -> None:
    import _ctypes

    shared_library = _ctypes.__file__  # a real shared library, without C_GetFunctionList
    text = tmp_path / "notes.so"
    text.write_text("not a library", encoding="utf-8")
    for path in (shared_library, str(text)):
        with pytest.raises(Pkcs11ModuleInvalidError) as invalid:
            Pkcs11CardService(path).open()
        assert "n'est pas un module PKCS#11" in invalid.value.message
