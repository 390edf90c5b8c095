"""The virtual CPS at APDU level: every command of docs/cps-card.md §1 and the status word of each mistake."""

from __future__ import annotations

import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256
from hypothesis import given, settings
from hypothesis import strategies as st

from lap_app.standins.virtual_cps import ATR_CPS3, VirtualCps, pin_block
from lap_app.standins.virtual_cps.pin_store import FilePinCounter

H = bytes.fromhex
SELECT_MF = H("00A4090C023F00")
SELECT_SN = H("00A409040 43F00D003".replace(" ", ""))
SELECT_APP = H("00A4040C0DE828BD080F8025000001FF0010")
SELECT_CERT_AUT = H("00A40904063F000001C00100")
SELECT_CERT_SIG = H("00A40904063F000001C00200")
GET_PIN_COUNTER = H("00CB3FFF0A4D087006BF810102A08000")
MSE_DST = H("002241B606800142840181")
MSE_AT = H("002241A406800102840182")
DIGESTINFO_SHA256 = H("3031300d060960864801650304020105000420")


def verify(pin: str) -> bytes:
    return H("0020000108") + pin_block(pin)


def pso_cds(digest: bytes) -> bytes:
    return H("002A9E9A20") + digest + b"\x00"


def sw(response: bytes) -> str:
    return response[-2:].hex().upper()


@pytest.fixture()
def card(card_pki) -> VirtualCps:
    return VirtualCps.from_holder(card_pki.holder("medecin"), persist_pin=False)


def get_all(card: VirtualCps, response: bytes, le: int = 0) -> bytes:
    """Follow 61 xx with GET RESPONSE, asking ``le`` bytes at a time (0 = 256)."""
    data = b""
    while response[-2] == 0x61:
        data += response[:-2]
        response = card.process(bytes([0x00, 0xC0, 0x00, 0x00, le]))
    assert sw(response) == "9000"
    return data + response[:-2]


def test_atr_is_the_cps3_atr(card) -> None:
    assert card.atr == ATR_CPS3 == H("3BAC00402A001225006480000310009000")


def test_ef_sn_icc_carries_the_ans_issuer_and_the_serial(card, card_pki) -> None:
    assert sw(card.process(SELECT_MF)) == "9000"
    fcp = card.process(SELECT_SN)
    assert sw(fcp) == "9000" and fcp.startswith(b"\x62") and H("8002000C") in fcp
    response = card.process(H("00B000000C"))
    assert response == H("5A0A8025000001") + card_pki.holder("medecin").identity.serial_bytes + H("9000")


def test_certificates_read_in_chunks_with_offsets(card, card_pki) -> None:
    holder = card_pki.holder("medecin")
    for select, expected in ((SELECT_CERT_AUT, holder.auth_cert_der), (SELECT_CERT_SIG, holder.sign_cert_der)):
        fcp = card.process(select)
        assert sw(fcp) == "9000"
        size = int.from_bytes(fcp[fcp.index(b"\x80\x02") + 2:][:2], "big")
        assert size == len(expected)
        content = b""
        while len(content) < size:
            chunk = min(0xE0, size - len(content))
            response = card.process(bytes([0, 0xB0, len(content) >> 8, len(content) & 0xFF, chunk]))
            assert sw(response) == "9000"
            content += response[:-2]
        assert content == expected
        x509.load_der_x509_certificate(content)
    # asking past the end: what is left, with 62 82; starting past the end: 6B 00
    tail = card.process(bytes([0, 0xB0, (size - 10) >> 8, (size - 10) & 0xFF, 0x20]))
    assert tail[:-2] == expected[-10:] and sw(tail) == "6282"
    assert sw(card.process(bytes([0, 0xB0, size >> 8, size & 0xFF, 0x10]))) == "6B00"


@pytest.mark.parametrize("apdu, expected", [
    (H("00A4090C023F01"), "6A82"),  # unknown file
    (H("00A4090C043F00D004"), "6A82"),
    (H("00A4040C05E828BD0800"), "6A82"),  # unknown AID
    (H("00A4120C023F00"), "6A86"),  # bad P1
    (H("00A4090F023F00"), "6A86"),  # bad P2
    (H("00A4090C033F00D0"), "6A87"),  # odd path length
    (H("00A4090C"), "6700"),  # no path
    (H("00A4090C053F00"), "6700"),  # Lc larger than the data
    (H("00B0000010"), "6986"),  # READ BINARY with no EF selected
    (H("00B0810010"), "6A86"),  # short EF identifier
    (H("00CB3FFE0A4D087006BF810102A08000"), "6A86"),  # GET DATA, wrong P1P2
    (H("00CB3FFF0A4D087006BF810202A08000"), "6A88"),  # another PIN object
    (H("00CB3FFF03FF8201"), "6A80"),  # garbage TLV
    (H("00200101"), "6A86"),  # VERIFY bad P1
    (H("0020000208") + pin_block("1234"), "6A88"),  # unknown PIN reference
    (H("002000010431323334"), "6700"),  # unpadded PIN block: no try used
    (H("002241B606800142840182"), "6A88"),  # signature template with the auth key
    (H("002241A406800102840181"), "6A88"),  # authentication template with the sign key
    (H("002241B603800142"), "6A80"),  # no key reference
    (H("002281B606800142840181"), "6A86"),  # MSE with bad P1
    (H("002A9E9A20") + bytes(32) + b"\x00", "6985"),  # PSO without MSE SET
    (H("002A8086020000"), "6A86"),  # other PSO operations are not supported
    (H("0088000033") + DIGESTINFO_SHA256 + bytes(32) + b"\x00", "6985"),  # no MSE SET
    (H("00C0000000"), "6985"),  # GET RESPONSE with nothing pending
    (H("00DA000000"), "6D00"),  # unknown instruction
    (H("80A4090C023F00"), "6E00"),  # unknown class
    (H("00A4"), "6700"),  # too short
    (H("00A4090C0000023F00"), "6700"),  # extended length
])
def test_wrong_apdus_get_the_right_status_word(card, apdu: bytes, expected: str) -> None:
    assert sw(card.process(apdu)) == expected
    assert card.tries_left == 3


def test_pin_counter_then_blocked_and_staying_blocked(card) -> None:
    def tries() -> int:
        response = card.process(GET_PIN_COUNTER)
        assert sw(response) == "9000" and response.startswith(H("70")) and H("BF8101") in response
        i = response.index(b"\x9B\x01")
        assert response[response.index(b"\x9A\x01") + 2] == 3
        return response[i + 2]

    assert tries() == 3
    assert sw(card.process(H("00200001"))) == "63C3"  # status query, no try used
    assert sw(card.process(verify("0000"))) == "63C2"
    assert sw(card.process(verify("1234"))) == "9000"  # a right PIN resets the counter
    assert tries() == 3
    assert sw(card.process(H("00200001"))) == "9000"  # verified
    for expected in ("63C2", "63C1", "63C0"):
        assert sw(card.process(verify("9999"))) == expected
    assert tries() == 0
    assert sw(card.process(verify("1234"))) == "6983"  # the right PIN no longer helps
    card.power_on()
    assert sw(card.process(verify("1234"))) == "6983"
    assert sw(card.process(H("00200001"))) == "6983"


def test_blocked_state_persists_in_the_pki_directory(card_pki, tmp_path) -> None:
    holder = card_pki.holder("pharmacien")
    counter = FilePinCounter(tmp_path / "pin-state.json")
    first = VirtualCps.from_holder(holder, persist_pin=False)
    first._counter = counter  # same card, file-backed counter
    first.power_on()
    for _ in range(3):
        first.process(verify("0000"))
    second = VirtualCps.from_holder(holder, persist_pin=False)
    second._counter = FilePinCounter(tmp_path / "pin-state.json")
    second.power_on()
    assert sw(second.process(verify("1234"))) == "6983"
    counter.reset()
    second.power_on()
    assert sw(second.process(verify("1234"))) == "9000"


def test_signature_only_after_verify_and_through_get_response(card, card_pki) -> None:
    digest = hashlib.sha256(b"ordonnance").digest()
    assert sw(card.process(SELECT_APP)) == "9000"
    assert sw(card.process(MSE_DST)) == "9000"
    assert sw(card.process(pso_cds(digest))) == "6982"  # PIN not verified
    assert sw(card.process(verify("1234"))) == "9000"
    assert sw(card.process(H("002A9E9A10") + bytes(16) + b"\x00")) == "6700"  # not a SHA-256 hash
    first = card.process(pso_cds(digest))
    assert first == H("6100")  # 256 bytes wait
    signature = get_all(card, first, le=0x80)  # in two 128-byte pieces: 61 80 then 90 00
    assert len(signature) == 256
    card_pki.holder("medecin").sign_cert.public_key().verify(signature, b"ordonnance", PKCS1v15(), SHA256())
    # the card's own answer: 6C xx when GET RESPONSE asks for more than is left
    card.process(pso_cds(digest))
    half = card.process(H("00C0000080"))
    assert sw(half) == "6180"
    assert sw(card.process(H("00C00000FF"))) == "6C80"


def test_keys_need_the_application_selected(card) -> None:
    assert sw(card.process(SELECT_MF)) == "9000"
    assert sw(card.process(MSE_DST)) == "6A88"


def test_internal_authenticate_with_key_82(card, card_pki) -> None:
    public_key = card_pki.holder("medecin").auth_cert.public_key()
    challenge = b"challenge from the base"
    digest_info = DIGESTINFO_SHA256 + hashlib.sha256(challenge).digest()
    card.process(SELECT_APP)
    assert sw(card.process(MSE_AT)) == "9000"
    apdu = bytes([0, 0x88, 0, 0, len(digest_info)]) + digest_info + b"\x00"
    assert sw(card.process(apdu)) == "6982"
    card.process(verify("1234"))
    signature = get_all(card, card.process(apdu))
    public_key.verify(signature, challenge, PKCS1v15(), SHA256())
    raw = b"any data the terminal chose"
    signature = get_all(card, card.process(bytes([0, 0x88, 0, 0, len(raw)]) + raw + b"\x00"))
    assert public_key.recover_data_from_signature(signature, PKCS1v15(), None) == raw
    assert sw(card.process(H("008800F0") + bytes([len(raw)]) + raw + b"\x00")) == "6A86"


def test_power_on_forgets_the_verified_pin(card) -> None:
    card.process(SELECT_APP)
    card.process(verify("1234"))
    card.power_on()
    card.process(SELECT_APP)
    card.process(MSE_DST)
    assert sw(card.process(pso_cds(bytes(32)))) == "6982"


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=0, max_size=300))
def test_any_bytes_get_a_status_word_never_an_exception(card_pki, apdu: bytes) -> None:
    card = VirtualCps.from_holder(card_pki.holder("medecin"), persist_pin=False)
    response = card.process(apdu)
    assert len(response) >= 2
    assert response[-2] in (0x90, 0x61, 0x62, 0x63, 0x67, 0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E)
