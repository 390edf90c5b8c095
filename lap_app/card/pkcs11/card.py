"""A CPS read through a PKCS#11 module: the same methods as the PC/SC ``CpsCard``.

Identity and certificates are public objects (no PIN needed); the private keys are found after
C_Login. The PIN goes from the caller to C_Login in a byte buffer that is zeroed afterwards; it
is never kept, logged or put in a message. A module error while the token has gone, or one of
the removal codes, becomes ``CardRemovedError``: the operation did not happen.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from lap_app.card.errors import (
    CardError,
    CardRemovedError,
    InvalidPinFormatError,
    NoCardError,
    PinBlockedError,
    PinNotVerifiedError,
    TokenKeyMissingError,
    TokenWithoutCertificateError,
)
from lap_app.card.identity import CardIdentity, card_serial_from_certificate, identity_from_x509
from lap_app.card.pin import PinResult, PinStatus, check_pin_format
from lap_app.card.pkcs11.module import (
    MAYBE_REMOVAL_CODES,
    REMOVAL_CODES,
    Pkcs11Module,
    error_code,
    operation_error,
)
from lap_app.card.pkcs11.token_objects import (
    KeyObject,
    KeyRole,
    TokenCertificate,
    classify_certificates,
    find_private_key,
)
from lap_app.i18n import _

SHA256_DIGESTINFO_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")

log = logging.getLogger(__name__)
T = TypeVar("T")


def pin_state(flags: int) -> tuple[int | None, bool]:
    """(tries left, low) from the token flags: 0 locked, 1 final try, else unknown."""
    from PyKCS11.LowLevel import CKF_USER_PIN_COUNT_LOW, CKF_USER_PIN_FINAL_TRY, CKF_USER_PIN_LOCKED

    if flags & CKF_USER_PIN_LOCKED:
        return 0, True
    if flags & CKF_USER_PIN_FINAL_TRY:
        return 1, True
    return None, bool(flags & CKF_USER_PIN_COUNT_LOW)


class Pkcs11Card:
    """The token in ``slot``. Use as a context manager, or call ``close()``."""

    def __init__(self, module: Pkcs11Module, slot: int, reader: str) -> None:
        from PyKCS11 import PyKCS11Error

        self._module = module
        self._lib = module.lib
        self.slot = slot
        self.reader = reader
        self.atr = b""  # a PKCS#11 module does not show the ATR
        self.atr_recognised = False
        with module.lock:
            try:
                info = self._lib.getTokenInfo(slot)
                self.token_label = info.label.strip()
                self.token_serial = info.serialNumber.strip()
                self._session = self._lib.openSession(slot)
            except PyKCS11Error as error:
                if error_code(error) in REMOVAL_CODES | MAYBE_REMOVAL_CODES:
                    raise NoCardError(reader) from None
                raise operation_error(error, _("ouverture de la carte")) from None
        self._closed = False
        self._certs: dict[KeyRole, TokenCertificate] | None = None
        self._keys: dict[KeyRole, Any] = {}
        self._identity: CardIdentity | None = None
        self._mechanisms: set[str] | None = None

    def __enter__(self) -> Pkcs11Card:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with self._module.lock:
            try:
                self._session.closeSession()  # logs out when it is the last session
            except Exception:  # a token already gone: nothing left to close
                log.debug("PKCS#11 session not closed cleanly", exc_info=True)

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """Nothing else of this process reaches the module meanwhile (the lock nests)."""
        return self._locked()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._module.lock:
            yield

    # --- calls into the module ----------------------------------------------------------------

    def _call(self, operation: str, call: Callable[[], T]) -> T:
        from PyKCS11 import PyKCS11Error

        if self._closed:
            raise CardRemovedError()
        with self._module.lock:
            try:
                return call()
            except PyKCS11Error as error:
                code = error_code(error)
                if code in MAYBE_REMOVAL_CODES and not self.still_present():
                    raise CardRemovedError() from None
                raise operation_error(error, operation) from None

    def still_present(self) -> bool:
        """False once the module no longer shows this token in its slot."""
        from PyKCS11 import PyKCS11Error

        with self._module.lock:
            try:
                if self.slot not in self._module.slots_with_token():
                    return False
                return bool(self._lib.getTokenInfo(self.slot).serialNumber.strip() == self.token_serial)
            except PyKCS11Error:
                return False

    def _raise_if_gone(self) -> None:
        """Objects missing from a token that has left: the card was pulled, it is not incomplete."""
        if not self.still_present():
            raise CardRemovedError()

    def _token_flags(self) -> int:
        return int(self._call(_("lecture de l'état de la carte"), lambda: self._lib.getTokenInfo(self.slot).flags))

    def _logged_in(self) -> bool:
        from PyKCS11.LowLevel import CKS_RO_USER_FUNCTIONS, CKS_RW_USER_FUNCTIONS

        state = self._call(_("lecture de l'état de la session"), lambda: self._session.getSessionInfo().state)
        return state in (CKS_RO_USER_FUNCTIONS, CKS_RW_USER_FUNCTIONS)

    # --- certificates and identity ------------------------------------------------------------

    def _certificates(self) -> dict[KeyRole, TokenCertificate]:
        if self._certs is None:
            from PyKCS11.LowLevel import CKA_CERTIFICATE_TYPE, CKA_CLASS, CKA_ID, CKA_VALUE, CKC_X_509, CKO_CERTIFICATE

            def read() -> list[tuple[bytes, bytes]]:
                found = []
                template = [(CKA_CLASS, CKO_CERTIFICATE), (CKA_CERTIFICATE_TYPE, CKC_X_509)]
                for handle in self._session.findObjects(template):
                    value, object_id = self._session.getAttributeValue(handle, [CKA_VALUE, CKA_ID], allAsBinary=True)
                    found.append((bytes(value or b""), bytes(object_id or b"")))
                return found

            self._certs = classify_certificates(self._call(_("lecture des certificats de la carte"), read))
        return self._certs

    def _certificate(self, role: KeyRole) -> TokenCertificate:
        cert = self._certificates().get(role)
        if cert is None:
            self._raise_if_gone()
            self._certs = None  # read again next time (a slow module may still be loading it)
            raise TokenWithoutCertificateError(self.token_label or self.reader, role.label)
        return cert

    def auth_certificate_der(self) -> bytes:
        return self._certificate(KeyRole.AUTHENTICATION).der

    def sign_certificate_der(self) -> bytes:
        return self._certificate(KeyRole.SIGNATURE).der

    def read_serial(self) -> str:
        """The card serial from the certificate (``8025000001/<serial>``), else the token's."""
        return card_serial_from_certificate(self._certificate(KeyRole.AUTHENTICATION).cert) or self.token_serial

    def identity(self) -> CardIdentity:
        if self._identity is None:
            self._identity = identity_from_x509(self._certificate(KeyRole.AUTHENTICATION).cert, self.read_serial())
        return self._identity

    # --- PIN ----------------------------------------------------------------------------------

    def pin_tries_left(self) -> int | None:
        """0 when locked, 1 on the final try; None when the token does not say."""
        return pin_state(self._token_flags())[0]

    def pin_result_after_failure(self) -> PinResult:
        tries, low = pin_state(self._token_flags())
        if tries == 0:
            return PinResult(PinStatus.BLOCKED, 0, True)
        return PinResult(PinStatus.WRONG, tries, low)

    def verify_pin(self, pin: str) -> PinResult:
        check_pin_format(pin)
        with self._module.lock:
            if self._logged_in():  # present the code again: a wrong one must not pass
                self._call(_("fin de session sur la carte"), self._session.logout)
            return self._login(pin)

    def _login(self, pin: str) -> PinResult:
        from PyKCS11 import PyKCS11Error
        from PyKCS11.LowLevel import (
            CKR_OK,
            CKR_PIN_INCORRECT,
            CKR_PIN_LEN_RANGE,
            CKR_PIN_LOCKED,
            CKR_USER_ALREADY_LOGGED_IN,
            CKU_USER,
            ckbytelist,
        )

        buffer = ckbytelist(pin.encode("ascii"))
        try:
            code = self._call(_("vérification du code porteur"),
                              lambda: self._lib.lib.C_Login(self._session.session, CKU_USER, buffer))
        finally:
            for i in range(len(buffer)):  # wipe our copy of the PIN
                buffer[i] = 0
        if code in (CKR_OK, CKR_USER_ALREADY_LOGGED_IN):
            self._keys.clear()
            return PinResult(PinStatus.ACCEPTED, None)
        if code == CKR_PIN_INCORRECT:
            return self.pin_result_after_failure()
        if code == CKR_PIN_LOCKED:
            return PinResult(PinStatus.BLOCKED, 0, True)
        if code == CKR_PIN_LEN_RANGE:
            raise InvalidPinFormatError()
        error = PyKCS11Error(code)
        if code in MAYBE_REMOVAL_CODES and not self.still_present():
            raise CardRemovedError()
        raise operation_error(error, _("vérification du code porteur"))

    # --- private keys -------------------------------------------------------------------------

    def _private_key(self, role: KeyRole) -> Any:
        if role in self._keys:
            return self._keys[role]
        cert = self._certificate(role)
        if not self._logged_in():
            raise PinNotVerifiedError()
        from PyKCS11 import PyKCS11Error
        from PyKCS11.LowLevel import (
            CKA_CLASS,
            CKA_ID,
            CKA_KEY_TYPE,
            CKA_MODULUS,
            CKK_RSA,
            CKO_PRIVATE_KEY,
            CKO_PUBLIC_KEY,
        )

        def keys(kind: int) -> list[KeyObject]:
            out = []
            for handle in self._session.findObjects([(CKA_CLASS, kind), (CKA_KEY_TYPE, CKK_RSA)]):
                object_id = bytes(self._session.getAttributeValue(handle, [CKA_ID], allAsBinary=True)[0] or b"")
                try:
                    modulus_bytes = self._session.getAttributeValue(handle, [CKA_MODULUS], allAsBinary=True)[0]
                    modulus = int.from_bytes(bytes(modulus_bytes), "big") if modulus_bytes else None
                except PyKCS11Error as error:  # CKR_ATTRIBUTE_SENSITIVE on some tokens: matched another way
                    log.debug("modulus of key %s not readable: %s", object_id.hex(), error)
                    modulus = None
                out.append(KeyObject(handle, object_id, modulus))
            return out

        def find() -> Any:
            return find_private_key(cert, keys(CKO_PRIVATE_KEY), lambda: keys(CKO_PUBLIC_KEY))

        handle = self._call(_("recherche des clés de la carte"), find)
        if handle is None:
            self._raise_if_gone()
            raise TokenKeyMissingError(role.label)
        self._keys[role] = handle
        return handle

    def _mechanism_names(self) -> set[str]:
        if self._mechanisms is None:
            self._mechanisms = set(self._call(_("lecture des mécanismes de la carte"),
                                              lambda: self._lib.getMechanismList(self.slot)))
        return self._mechanisms

    def _sign(self, role: KeyRole, data: bytes, mechanism: int, pin: str | None, operation: str) -> bytes:
        from PyKCS11 import Mechanism, PyKCS11Error
        from PyKCS11.LowLevel import CKR_PIN_LOCKED, CKR_USER_NOT_LOGGED_IN

        if pin is not None:
            check_pin_format(pin)
        with self._module.lock:
            if pin is not None:
                self.verify_pin(pin).raise_unless_accepted()
            key = self._private_key(role)
            try:
                signature = bytes(self._session.sign(key, data, Mechanism(mechanism, None)))
            except PyKCS11Error as error:
                code = error_code(error)
                if code == CKR_USER_NOT_LOGGED_IN:
                    raise PinNotVerifiedError() from None
                if code == CKR_PIN_LOCKED:
                    raise PinBlockedError() from None
                if code in REMOVAL_CODES or (code in MAYBE_REMOVAL_CODES and not self.still_present()):
                    raise CardRemovedError() from None
                raise operation_error(error, operation) from None
        modulus_bytes = (self._certificate(role).modulus.bit_length() + 7) // 8
        if len(signature) != modulus_bytes:
            raise CardError(_("La carte a rendu une signature de taille inattendue ; recommencez."))
        return signature

    def sign_digest(self, sha256_digest: bytes, pin: str | None = None) -> bytes:
        """PKCS#1 v1.5 signature of a SHA-256 digest with the signature key (CKM_RSA_PKCS over
        the DigestInfo); ``pin`` logs in first, under the same lock."""
        from PyKCS11.LowLevel import CKM_RSA_PKCS

        if len(sha256_digest) != 32:
            raise ValueError("sign_digest expects a 32-byte SHA-256 digest")
        return self._sign(KeyRole.SIGNATURE, SHA256_DIGESTINFO_PREFIX + sha256_digest, CKM_RSA_PKCS, pin,
                          _("signature"))

    def authenticate(self, challenge: bytes, pin: str | None = None) -> bytes:
        """The base's challenge signed with the authentication key: CKM_SHA256_RSA_PKCS where the
        token has it, else CKM_RSA_PKCS over DigestInfo(SHA-256(challenge)) (the same bytes)."""
        from PyKCS11.LowLevel import CKM_RSA_PKCS, CKM_SHA256_RSA_PKCS

        if "CKM_SHA256_RSA_PKCS" in self._mechanism_names():
            return self._sign(KeyRole.AUTHENTICATION, challenge, CKM_SHA256_RSA_PKCS, pin, _("authentification"))
        digest_info = SHA256_DIGESTINFO_PREFIX + hashlib.sha256(challenge).digest()
        return self._sign(KeyRole.AUTHENTICATION, digest_info, CKM_RSA_PKCS, pin, _("authentification"))
