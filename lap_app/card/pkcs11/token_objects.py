"""Finding the CPS certificates and their private keys among a token's objects, without labels.

Tokens from other middleware name their objects differently, so nothing here reads CKA_LABEL:
the two certificates are told apart by key usage (authentication: digitalSignature without
nonRepudiation; signature: nonRepudiation), and each private key is the one with the
certificate's CKA_ID whose modulus matches, or else the one whose modulus matches (found
directly, or through a public key object carrying the key's CKA_ID).
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from lap_app.i18n import _


class KeyRole(enum.Enum):
    AUTHENTICATION = "authentication"
    SIGNATURE = "signature"

    @property
    def label(self) -> str:
        """« authentification » / « signature », as in « certificat de … »."""
        return _("authentification") if self is KeyRole.AUTHENTICATION else _("signature")


@dataclass(frozen=True, slots=True)
class TokenCertificate:
    role: KeyRole
    der: bytes
    object_id: bytes  # CKA_ID, may be empty
    modulus: int
    cert: x509.Certificate


def role_of(cert: x509.Certificate) -> KeyRole | None:
    """The certificate's role on a CPS, from its key usage; None for a CA or anything else."""
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        if constraints.ca:
            return None
    except x509.ExtensionNotFound:
        pass
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None
    if usage.content_commitment:
        return KeyRole.SIGNATURE
    if usage.digital_signature:
        return KeyRole.AUTHENTICATION
    return None


def classify_certificates(found: list[tuple[bytes, bytes]],
                          now: datetime.datetime | None = None) -> dict[KeyRole, TokenCertificate]:
    """``found``: (DER, CKA_ID) of each X.509 certificate object. One certificate per role,
    preferring one valid now, then the latest issued (a renewed card may keep the old one)."""
    now = now or datetime.datetime.now(datetime.UTC)
    candidates: dict[KeyRole, list[tuple[tuple[bool, datetime.datetime], TokenCertificate]]] = {}
    for der, object_id in found:
        try:
            cert = x509.load_der_x509_certificate(der)
        except ValueError:
            continue
        role = role_of(cert)
        key = cert.public_key()
        if role is None or not isinstance(key, RSAPublicKey):
            continue
        valid = cert.not_valid_before_utc <= now <= cert.not_valid_after_utc
        rank = (valid, cert.not_valid_before_utc)
        entry = TokenCertificate(role, der, object_id, key.public_numbers().n, cert)
        candidates.setdefault(role, []).append((rank, entry))
    return {role: max(entries, key=lambda item: item[0])[1] for role, entries in candidates.items()}


@dataclass(frozen=True, slots=True)
class KeyObject:
    handle: Any
    object_id: bytes
    modulus: int | None  # None when the token does not show it


def find_private_key(cert: TokenCertificate, private_keys: list[KeyObject],
                     public_keys: Callable[[], list[KeyObject]]) -> Any | None:
    """The handle of ``cert``'s private key, or None."""
    def same_key(key: KeyObject) -> bool:
        return key.modulus is None or key.modulus == cert.modulus

    if cert.object_id:
        by_id = [k for k in private_keys if k.object_id == cert.object_id and same_key(k)]
        if by_id:
            return by_id[0].handle
    by_modulus = [k for k in private_keys if k.modulus == cert.modulus]
    if by_modulus:
        return by_modulus[0].handle
    # The private key hides its modulus: a public key object with the same modulus gives its ID.
    for public in public_keys():
        if public.modulus == cert.modulus and public.object_id:
            matching = [k for k in private_keys if k.object_id == public.object_id]
            if matching:
                return matching[0].handle
    return None
