"""A CPS card: identity, certificates, PIN, signature and authentication (docs/cps-card.md §1).

Every multi-APDU sequence runs inside one exclusive transaction of the transport. The PIN is
only ever held in the VERIFY APDU buffer, which is wiped after sending; it is never logged
nor put in an exception.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from lap_app.card.errors import (
    CardCommunicationError,
    NoCardError,
    NoReaderError,
    NotCpsError,
    PinBlockedError,
    PinNotVerifiedError,
)
from lap_app.card.identity import CardIdentity, identity_from_certificate
from lap_app.card.pin import PIN_MAX_LENGTH, PinResult, PinStatus, check_pin_format
from lap_app.card.transport import Transport
from lap_app.i18n import _

if TYPE_CHECKING:
    from lap_app.card.transport import PcscContext

__all__ = ["CpsCard", "PinResult", "PinStatus", "atr_looks_like_cps", "card_on", "open_card"]

# What the card layer knows of the card (documented in docs/cps-card-layer.md).
AID_IAS_ECC = bytes.fromhex("E828BD080F8025000001FF0010")
ANS_ISSUER = bytes.fromhex("8025000001")
PATH_SN_ICC = bytes.fromhex("3F00D003")
PATH_CERT_AUT = bytes.fromhex("3F000001C001")
PATH_CERT_SIG = bytes.fromhex("3F000001C002")
PIN_REFERENCE = 0x01
PIN_BLOCK_LENGTH = PIN_MAX_LENGTH
MSE_SET_DST_SIGN = bytes.fromhex("0022 41B6 06 800142 840181")
MSE_SET_AT_AUTH = bytes.fromhex("0022 41A4 06 800102 840182")
GET_DATA_PIN_COUNTER = bytes.fromhex("00CB3FFF0A4D087006BF810102A08000")
SHA256_DIGESTINFO_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")

SW_OK = 0x9000
MAX_GET_RESPONSE = 64  # 64 × 256 bytes: far more than any answer of this card
SW_SECURITY_NOT_SATISFIED = 0x6982
SW_PIN_BLOCKED = 0x6983
SW_FILE_NOT_FOUND = 0x6A82

# ATRs of CPS3 and CPS4 with their masks (bytes vary between cards).
CPS_ATR_MASKS = (
    (bytes.fromhex("3BAC00402A001225006480000310009000"), bytes.fromhex("FF00000000FFFFFFFFFFFF000000FFFFFF")),
    (bytes.fromhex("3B9B188001001225006480040100009044"), bytes.fromhex("FF00000000FFFFFFFFFFFF0000000000FF")),
)


def atr_looks_like_cps(atr: bytes) -> bool:
    return any(len(atr) == len(ref) and all((a & m) == (r & m) for a, r, m in zip(atr, ref, mask, strict=False))
               for ref, mask in CPS_ATR_MASKS)


def _short_apdu(header: bytes, data: bytes = b"", le: int | None = None) -> bytes:
    out = header + (bytes([len(data)]) + data if data else b"")
    return out + (bytes([le & 0xFF]) if le is not None else b"")


class CpsCard:
    """An open CPS in a reader. Use as a context manager, or call ``close()``."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self.reader = transport.reader
        self.atr = transport.atr()
        self.atr_recognised = atr_looks_like_cps(self.atr)
        self._serial: str | None = None
        self._certs: dict[bytes, bytes] = {}
        self._identity: CardIdentity | None = None

    def __enter__(self) -> CpsCard:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._transport.close()

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """Exclusive use of the card across several calls (transactions nest)::

            with card.transaction():
                card.verify_pin(pin); card.authenticate(challenge); card.sign_digest(digest)
        """
        return self._transport.transaction()

    # --- APDU plumbing ------------------------------------------------------------------------

    def _send(self, apdu: bytes) -> tuple[bytes, int]:
        """Send one command, following 61 xx (GET RESPONSE) and 6C xx (wrong Le)."""
        data, sw = self._transport.transmit(apdu)
        if sw >> 8 == 0x6C:
            data, sw = self._transport.transmit(apdu[:-1] + bytes([sw & 0xFF]))
        collected = bytearray(data)
        for _round in range(MAX_GET_RESPONSE):
            if sw >> 8 != 0x61:
                return bytes(collected), sw
            data, sw = self._transport.transmit(bytes([0x00, 0xC0, 0x00, 0x00, sw & 0xFF]))
            collected += data
        raise CardCommunicationError(_("réponse de la carte sans fin"), sw)

    def _expect_ok(self, apdu: bytes, operation: str) -> bytes:
        data, sw = self._send(apdu)
        if sw != SW_OK:
            raise CardCommunicationError(operation, sw)
        return data

    def _select_path(self, path: bytes, *, fcp: bool) -> tuple[bytes, int]:
        return self._send(_short_apdu(bytes([0x00, 0xA4, 0x09, 0x04 if fcp else 0x0C]), path, 0 if fcp else None))

    def _select_application(self) -> None:
        self._expect_ok(_short_apdu(b"\x00\xA4\x04\x0C", AID_IAS_ECC), _("sélection de l'application IAS-ECC"))

    def _read_file(self, path: bytes, operation: str) -> bytes:
        fcp, sw = self._select_path(path, fcp=True)
        if sw != SW_OK:
            raise CardCommunicationError(operation, sw)
        size = _fcp_size(fcp)
        if size is None:
            raise CardCommunicationError(operation)
        content = bytearray()
        while len(content) < size:
            chunk = min(256, size - len(content))
            offset = len(content)
            data, sw = self._send(bytes([0x00, 0xB0, offset >> 8, offset & 0xFF, chunk & 0xFF]))
            if sw != SW_OK or not data:
                raise CardCommunicationError(operation, sw)
            content += data
        return bytes(content)

    # --- recognition and identity ------------------------------------------------------------

    def read_serial(self) -> str:
        """EF.SN.ICC: the ANS issuer prefix says this is a CPS; ``NotCpsError`` otherwise."""
        if self._serial is None:
            with self._transport.transaction():
                data, sw = self._select_path(PATH_SN_ICC, fcp=False)
                if sw == SW_OK:
                    data, sw = self._send(b"\x00\xB0\x00\x00\x0C")
            if sw != SW_OK or len(data) != 12 or data[:2] != b"\x5A\x0A" or data[2:7] != ANS_ISSUER:
                raise NotCpsError()
            self._serial = data[7:].hex().upper()
        return self._serial

    def auth_certificate_der(self) -> bytes:
        return self._certificate(PATH_CERT_AUT)

    def sign_certificate_der(self) -> bytes:
        return self._certificate(PATH_CERT_SIG)

    def _certificate(self, path: bytes) -> bytes:
        if path not in self._certs:
            with self._transport.transaction():
                self._certs[path] = self._read_file(path, _("lecture d'un certificat de la carte"))
        return self._certs[path]

    def identity(self) -> CardIdentity:
        """Parsed from the authentication certificate; once ``read_serial`` and
        ``auth_certificate_der`` have run (on the card thread) this sends no APDU."""
        if self._identity is None:
            if self._serial is None or PATH_CERT_AUT not in self._certs:
                with self._transport.transaction():  # both read from the same card
                    self.read_serial()
                    self.auth_certificate_der()
            self._identity = identity_from_certificate(self.auth_certificate_der(), self.read_serial())
        return self._identity

    # --- PIN ----------------------------------------------------------------------------------

    def pin_tries_left(self) -> int:
        with self._transport.transaction():
            self._expect_ok(b"\x00\xA4\x09\x0C\x02\x3F\x00", _("sélection du fichier maître"))
            data = self._expect_ok(GET_DATA_PIN_COUNTER, _("lecture du compteur d'essais du code porteur"))
        tries = _find_tag(data, 0x9B)
        if tries is None or len(tries) != 1:
            raise CardCommunicationError(_("lecture du compteur d'essais du code porteur"))
        return tries[0]

    def verify_pin(self, pin: str) -> PinResult:
        check_pin_format(pin)
        with self._transport.transaction():
            self._select_application()
            return self._verify(pin)

    def _verify(self, pin: str) -> PinResult:
        block = bytearray(b"\x00\x20\x00" + bytes([PIN_REFERENCE, PIN_BLOCK_LENGTH]))
        block += pin.encode("ascii") + b"\xFF" * (PIN_BLOCK_LENGTH - len(pin))
        try:
            _data, sw = self._transport.transmit(bytes(block))
        finally:
            block[:] = bytes(len(block))  # wipe our copy of the PIN
        if sw == SW_OK:
            return PinResult(PinStatus.ACCEPTED, 3)
        if sw == SW_PIN_BLOCKED or sw == 0x63C0:
            return PinResult(PinStatus.BLOCKED, 0)
        if sw & 0xFFF0 == 0x63C0:
            return PinResult(PinStatus.WRONG, sw & 0x0F)
        raise CardCommunicationError(_("vérification du code porteur"), sw)

    # --- private keys -------------------------------------------------------------------------

    def sign_digest(self, sha256_digest: bytes, pin: str | None = None) -> bytes:
        """PKCS#1 v1.5 signature (key 81) of a SHA-256 digest; needs the PIN verified first,
        or given here (then verified in the same transaction)."""
        if len(sha256_digest) != 32:
            raise ValueError("sign_digest expects a 32-byte SHA-256 digest")
        return self._private_key_operation(
            pin, MSE_SET_DST_SIGN, _short_apdu(b"\x00\x2A\x9E\x9A", sha256_digest, 0), _("signature"))

    def authenticate(self, challenge: bytes, pin: str | None = None) -> bytes:
        """INTERNAL AUTHENTICATE (key 82) over DigestInfo(SHA-256(challenge))."""
        import hashlib  # (OpenSSL's hashes load here, not on the way to the login page)

        digest_info = SHA256_DIGESTINFO_PREFIX + hashlib.sha256(challenge).digest()
        return self._private_key_operation(
            pin, MSE_SET_AT_AUTH, _short_apdu(b"\x00\x88\x00\x00", digest_info, 0), _("authentification"))

    def _private_key_operation(self, pin: str | None, mse: bytes, command: bytes, operation: str) -> bytes:
        if pin is not None:
            check_pin_format(pin)
        with self._transport.transaction():
            self._select_application()
            if pin is not None:
                self._verify(pin).raise_unless_accepted()
            self._expect_ok(mse, operation)
            data, sw = self._send(command)
        if sw == SW_SECURITY_NOT_SATISFIED:
            raise PinNotVerifiedError()
        if sw == SW_PIN_BLOCKED:
            raise PinBlockedError()
        if sw != SW_OK or len(data) != 256:
            raise CardCommunicationError(operation, sw)
        return data


def _fcp_size(fcp: bytes) -> int | None:
    size = _find_tag(fcp, 0x80)
    return int.from_bytes(size, "big") if size else None


def _find_tag(data: bytes, wanted: int) -> bytes | None:
    """Depth-first search of a BER-TLV tag in ``data`` (constructed tags are descended)."""
    i = 0
    while i < len(data):
        start = i
        tag = data[i]
        i += 1
        if tag & 0x1F == 0x1F:
            while i < len(data) and data[i] & 0x80:
                tag = (tag << 8) | data[i]
                i += 1
            if i >= len(data):
                return None
            tag = (tag << 8) | data[i]
            i += 1
        if i >= len(data):
            return None
        length = data[i]
        i += 1
        if length & 0x80:
            count = length & 0x7F
            length = int.from_bytes(data[i:i + count], "big")
            i += count
        value = data[i:i + length]
        if tag == wanted:
            return value
        if data[start] & 0x20:  # constructed
            found = _find_tag(value, wanted)
            if found is not None:
                return found
        i += length
    return None


def open_card(reader: str | None = None, virtual: bool = False,
              *, require_cps: bool = True) -> CpsCard:
    """Open the CPS in ``reader`` (default: the first reader holding a card).

    ``virtual=True`` uses the in-process virtual reader instead of PC/SC. Raises
    ``NoReaderError``, ``NoCardError``, ``NotCpsError`` (all ``CardError``).
    """
    transport: Transport
    if virtual:
        from lap_app.card.virtual_reader import default_virtual_reader

        transport = default_virtual_reader().connect()
    else:
        from lap_app.card.transport import PcscContext, PcscTransport

        transport = PcscTransport(reader or _first_reader_with_card(PcscContext))
    return card_on(transport, require_cps=require_cps)


def card_on(transport: Transport, *, require_cps: bool = True) -> CpsCard:
    """A ``CpsCard`` over an open transport; checks EF.SN.ICC unless ``require_cps`` is False."""
    try:
        card = CpsCard(transport)
    except BaseException:
        transport.close()
        raise
    if require_cps:
        try:
            card.read_serial()
        except BaseException:
            card.close()
            raise
    return card


def _first_reader_with_card(context_factory: Callable[[], PcscContext]) -> str:
    context = context_factory()
    try:
        readers = context.readers()
        if not readers:
            raise NoReaderError()
        with_card = [(name, atr) for name, flags, atr in context.states(readers) if context.card_present(flags)]
    finally:
        context.release()
    if not with_card:
        raise NoCardError()
    with_card.sort(key=lambda reader: not atr_looks_like_cps(reader[1]))  # a CPS first (stable)
    name: str = with_card[0][0]
    return name
