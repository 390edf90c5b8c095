"""Card authentication on the base side: challenges, certificate checks, short-lived tokens.

A token is ``base64url(payload).base64url(HMAC-SHA256)`` with a key kept in the data
directory: the base alone can mint or check one. It binds the holder's national identifier
and profession code and expires after ``token_ttl`` seconds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from lap_app.standins.base_server.errors import ApiError

if TYPE_CHECKING:
    from lap_app.standins.base_server.engines import Store

OID_PROFESSION = x509.ObjectIdentifier("1.2.250.1.71.1.2.7")
# The holder's specialty (« savoir-faire »), a DER IA5String: the stand-in's own extension,
# which tells a biologist (médecin or pharmacien) from other holders of the same profession.
OID_SPECIALTY = x509.ObjectIdentifier("1.2.250.1.71.1.2.8")
CHALLENGE_TTL = 120.0
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


@dataclass(frozen=True, slots=True)
class Holder:
    national_id: str
    profession: str
    specialty: str = ""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    """Strict base64url without padding: one text for one byte string (``ValueError`` otherwise).

    The standard decoder skips foreign characters and ignores the spare bits of the last
    character, so one value would have several spellings: a "single-use" string would not be.
    """
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not canonical base64url")
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64url(raw) != text:  # non-zero spare bits in the last character
        raise ValueError("not canonical base64url")
    return raw


def load_or_create_key(path: Path) -> bytes:
    if path.exists():
        return path.read_bytes()
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


def mint_token(key: bytes, holder: Holder, expires_at: float) -> str:
    claims: dict[str, object] = {"sub": holder.national_id, "prof": holder.profession, "exp": int(expires_at),
                                 "jti": secrets.token_hex(8)}
    if holder.specialty:
        claims["spec"] = holder.specialty
    payload = json.dumps(claims, separators=(",", ":")).encode()
    mac = hmac.new(key, payload, hashlib.sha256).digest()
    return f"{_b64url(payload)}.{_b64url(mac)}"


# Tokens already checked: (key, token) -> (holder, expiry). A card sends the same token with
# every request for its ten minutes; only a token whose MAC was verified gets in, its expiry is
# still checked each time, and the dictionary is emptied when full (bounded memory).
_CHECKED: dict[tuple[bytes, str], tuple[Holder, float]] = {}
_CHECKED_MAX = 4096


def check_token(key: bytes, token: str, now: float | None = None) -> Holder:
    checked = _CHECKED.get((key, token))
    if checked is None:
        checked = _check_token_mac(key, token)
        if len(_CHECKED) >= _CHECKED_MAX:
            _CHECKED.clear()
        _CHECKED[(key, token)] = checked
    holder, expiry = checked
    if expiry < (now if now is not None else time.time()):
        raise ApiError(401, "expired_token", "Jeton d'authentification expiré : authentifiez-vous à nouveau avec la carte")
    return holder


def _check_token_mac(key: bytes, token: str) -> tuple[Holder, float]:
    try:
        payload_part, mac_part = token.split(".")
        payload = _unb64url(payload_part)
        mac = _unb64url(mac_part)
    except (ValueError, TypeError):
        raise ApiError(401, "invalid_token", "Jeton d'authentification invalide") from None
    if not hmac.compare_digest(mac, hmac.digest(key, payload, "sha256")):
        raise ApiError(401, "invalid_token", "Jeton d'authentification invalide")
    try:
        claims = json.loads(payload)
        expiry = float(claims["exp"])
        holder = Holder(str(claims["sub"]), str(claims["prof"]), str(claims.get("spec", "")))
    except (ValueError, TypeError, KeyError):  # only the base mints tokens: cannot happen with a valid MAC
        raise ApiError(401, "invalid_token", "Jeton d'authentification invalide") from None
    return holder, expiry


class ChallengeBook:
    """Single-use challenges, stateless until answered: ``base64url(nonce | expiry | MAC)``.

    Issuing one writes nothing (any number of server processes can check it, and an
    unauthenticated caller cannot fill the database); answering one records it as used in the
    store (``used_challenges``), which makes it single-use across processes and restarts.
    """

    def __init__(self, key: bytes, store: Store) -> None:
        self._key = hmac.new(key, b"lap-base-challenge", hashlib.sha256).digest()  # not the token key
        self._store = store

    def issue(self) -> tuple[str, float]:
        expires = int(time.time() + CHALLENGE_TTL)
        payload = secrets.token_bytes(16) + expires.to_bytes(8, "big")
        return _b64url(payload + self._mac(payload)), float(expires)

    def check(self, challenge: str) -> bytes:
        """The challenge's nonce if the base issued it and it has not expired (no write).

        Strictly decoded: one challenge has exactly one spelling."""
        refused = ApiError(401, "invalid_challenge", "Défi d'authentification inconnu ou expiré")
        try:
            raw = _unb64url(challenge)
        except ValueError:
            raise refused from None
        payload, mac = raw[:24], raw[24:]
        if len(raw) != 40 or not hmac.compare_digest(mac, self._mac(payload)):
            raise refused
        if int.from_bytes(payload[16:], "big") < time.time():
            raise refused
        return payload

    def consume(self, challenge: str) -> None:
        """Record the challenge as answered; refused if it was already (its decoded nonce, not
        its spelling, is what is recorded). Call it only once the answer has been checked: an
        unauthenticated caller must not make the base write."""
        payload = self.check(challenge)
        expires = int.from_bytes(payload[16:], "big")
        now = time.time()
        with self._store.transaction() as conn:
            conn.execute("DELETE FROM used_challenges WHERE expires_at < ?", (now,))
            if conn.execute("INSERT INTO used_challenges (value, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                            (payload[:16].hex(), expires)).rowcount == 0:
                raise ApiError(401, "invalid_challenge", "Défi d'authentification inconnu ou expiré")

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:16]


AUTHENTICATION = "authentication"
SIGNATURE = "signature"
_WRONG_USAGE = {
    AUTHENTICATION: "Certificat de carte non destiné à l'authentification (usage de clé)",
    SIGNATURE: "Certificat de carte non destiné à la signature (usage de clé : non-répudiation attendue)",
}


class CardCertificates:
    """Checks card certificates against the one trusted CA (results cached by fingerprint).

    Each role needs its key usage: authentication = digitalSignature with the clientAuth
    extended usage (the card's key 82); signature = nonRepudiation (key 81). A card whose
    keys answer in each other's role is refused."""

    def __init__(self, ca_pem: bytes) -> None:
        self.ca = x509.load_pem_x509_certificate(ca_pem)
        # fingerprint -> (certificate, holder, roles, not before, not after as POSIX times):
        # reading a certificate's validity builds new datetimes at each call
        self._cache: dict[bytes, tuple[x509.Certificate, Holder, frozenset[str], float, float]] = {}
        self._lock = threading.Lock()

    def check(self, der: bytes, role: str) -> tuple[x509.Certificate, Holder]:
        fingerprint = hashlib.sha256(der).digest()
        with self._lock:
            cached = self._cache.get(fingerprint)
        if cached is None:
            cached = self._check_uncached(der)
            with self._lock:
                self._cache[fingerprint] = cached
        cert, holder, roles, not_before, not_after = cached
        if not not_before <= time.time() <= not_after:
            raise ApiError(401, "certificate_expired", "Certificat de la carte hors de sa période de validité")
        if role not in roles:
            raise ApiError(401, "wrong_key_usage", _WRONG_USAGE[role])
        return cert, holder

    def _check_uncached(self, der: bytes) -> tuple[x509.Certificate, Holder, frozenset[str], float, float]:
        refused = ApiError(401, "untrusted_certificate", "Certificat de carte non reconnu par la base")
        try:
            cert = x509.load_der_x509_certificate(der)
            cert.verify_directly_issued_by(self.ca)
        except (ValueError, TypeError, InvalidSignature):
            raise refused from None
        if not isinstance(cert.public_key(), rsa.RSAPublicKey):
            raise refused
        return (cert, holder_of(cert), key_roles(cert), cert.not_valid_before_utc.timestamp(),
                cert.not_valid_after_utc.timestamp())


def key_roles(cert: x509.Certificate) -> frozenset[str]:
    """What a card certificate may be used for, from its keyUsage and extendedKeyUsage."""
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return frozenset()
    try:
        extended = set(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        extended = set()
    roles = set()
    if usage.digital_signature and ExtendedKeyUsageOID.CLIENT_AUTH in extended:
        roles.add(AUTHENTICATION)
    if usage.content_commitment:
        roles.add(SIGNATURE)
    return frozenset(roles)


def holder_of(cert: x509.Certificate) -> Holder:
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not cns:
        raise ApiError(401, "untrusted_certificate", "Certificat de carte sans identifiant national")
    national_id = str(cns[0].value)
    try:
        extension = cert.extensions.get_extension_for_oid(OID_PROFESSION).value
    except x509.ExtensionNotFound:
        raise ApiError(401, "untrusted_certificate", "Certificat de carte sans code profession") from None
    if not isinstance(extension, x509.UnrecognizedExtension):  # a private OID: cryptography keeps its raw DER
        raise ApiError(401, "untrusted_certificate", "Certificat de carte : code profession illisible")
    raw = extension.value
    return Holder(national_id, _profession_from_der(raw), _specialty(cert))


def _specialty(cert: x509.Certificate) -> str:
    try:
        extension = cert.extensions.get_extension_for_oid(OID_SPECIALTY).value
    except x509.ExtensionNotFound:
        return ""
    return _profession_from_der(extension.value) if isinstance(extension, x509.UnrecognizedExtension) else ""


def _profession_from_der(raw: bytes) -> str:
    """The extension holds a DER string (UTF8String/PrintableString/IA5String) such as "10"."""
    if len(raw) >= 2 and raw[0] in (0x0C, 0x13, 0x16) and raw[1] == len(raw) - 2:
        return raw[2:].decode("ascii", "replace")
    return raw.decode("ascii", "replace").strip()


def verify_rs256(cert: x509.Certificate, signature: bytes, data: bytes | None = None,
                 *, digest: bytes | None = None) -> bool:
    """PKCS#1 v1.5 / SHA-256 check of ``signature`` over ``data`` (or over a precomputed digest)."""
    from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):  # RS256 needs an RSA key: no other key verifies it
        return False
    try:
        if digest is not None:
            key.verify(signature, digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))
        else:
            key.verify(signature, data or b"", padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True
