"""What SoftHSM2 alone cannot show: PIN tries running out and a card pulled from its reader.

The card-like filter module (``lap_app/standins/softhsm/card_filter.c``) sits in front of the
SoftHSM2 tokens and behaves as a CPS behind the Cryptolib: three tries with the COUNT_LOW /
FINAL_TRY / LOCKED flags, CKR_PIN_LOCKED, CKR_DEVICE_REMOVED once the card is out.
"""

from __future__ import annotations

import hashlib
import time

import pytest

from lap_app.card import CardRemovedError, EventKind, PinBlockedError, PinNotVerifiedError, PinStatus
from lap_app.card.pkcs11 import Pkcs11CardService

pytestmark = pytest.mark.pkcs11


@pytest.fixture()
def service(card_like):
    service = Pkcs11CardService(card_like.module_path)
    yield service
    service.close()


def _open_doctor_card(service, softhsm_tokens):
    _hsm, tokens = softhsm_tokens
    reader = next(s.name for s in service.snapshot() if s.token_label == tokens["medecin"].label)
    return service.open(reader)


def test_tries_left_from_the_token_flags_down_to_a_blocked_pin(service, card_like, softhsm_tokens) -> None:
    with _open_doctor_card(service, softhsm_tokens) as card:
        assert card.pin_tries_left() is None  # three tries: the token raises no flag
        first = card.verify_pin("0000")
        assert (first.status, first.tries_left, first.low) == (PinStatus.WRONG, None, True)
        assert "peu d'essais" in first.message
        second = card.verify_pin("0000")
        assert (second.status, second.tries_left) == (PinStatus.WRONG, 1)
        assert "il reste 1 essai" in second.message and card.pin_tries_left() == 1
        third = card.verify_pin("0000")
        assert third.status is PinStatus.BLOCKED and "bloqué" in third.message
        assert card.verify_pin("1234").status is PinStatus.BLOCKED  # even the right code now
        assert card.pin_tries_left() == 0
        with pytest.raises(PinBlockedError) as blocked:
            card.sign_digest(bytes(32), pin="1234")
        assert "débloquée" in blocked.value.message
    assert card_like.tries_left == 0


def test_a_right_code_gives_the_tries_back(service, card_like, softhsm_tokens) -> None:
    with _open_doctor_card(service, softhsm_tokens) as card:
        assert card.verify_pin("9999").status is PinStatus.WRONG
        assert card.verify_pin("1234").accepted
        assert card.pin_tries_left() is None and card_like.tries_left == 3


def test_card_pulled_in_the_middle_of_a_signature(service, card_like, softhsm_tokens) -> None:
    with _open_doctor_card(service, softhsm_tokens) as card:
        reader = card.reader
        service.poll()
        assert card.verify_pin("1234").accepted
        card_like.pull_on_next_signature()
        started = time.monotonic()
        with pytest.raises(CardRemovedError) as removed:
            card.sign_digest(hashlib.sha256(b"x").digest())
        assert time.monotonic() - started < 2.0
        assert "réinsérez-la et recommencez" in removed.value.message
        assert any(e.kind is EventKind.CARD_REMOVED and e.reader == reader for e in service.poll())
        with pytest.raises(CardRemovedError):
            card.authenticate(b"challenge")
    card_like.insert()  # back in: nothing half-done, no verified PIN, no try used
    service.poll()
    with _open_doctor_card(service, softhsm_tokens) as again:
        assert card_like.tries_left == 3
        assert len(again.sign_digest(hashlib.sha256(b"x").digest(), pin="1234")) == 256


def test_removal_is_seen_by_polling_within_two_seconds(service, card_like, softhsm_tokens) -> None:
    with _open_doctor_card(service, softhsm_tokens) as card:
        reader = card.reader
        service.poll()
        card_like.pull()
        # seen by the first look after the pull: the application looks every 400 ms, so within 2 s
        # (counted in looks, not measured: a loaded machine would decide a measure)
        events = service.poll()
        assert any(e.kind is EventKind.CARD_REMOVED and e.reader == reader for e in events), events
        with pytest.raises(CardRemovedError):
            card.sign_digest(bytes(32), pin="1234")
    card_like.insert()
    assert any(e.kind is EventKind.CARD_INSERTED for e in service.poll())


def test_signing_needs_the_pin_through_the_filter_too(service, softhsm_tokens) -> None:
    with _open_doctor_card(service, softhsm_tokens) as card:
        with pytest.raises(PinNotVerifiedError):
            card.sign_digest(bytes(32))
