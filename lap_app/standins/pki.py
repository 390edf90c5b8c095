"""The demo PKI: a test CA "IGC-Santé TEST", the demo card holders and a TLS server certificate.

Layout of a PKI directory (created on first use, files missing later are re-created; a
certificate no longer issued by the directory's CA, or not matching its key, is re-issued)::

    DIR/ca.pem, DIR/ca.key                    the test CA (the only trust anchor)
    DIR/server.pem, DIR/server.key            TLS certificate for localhost, 127.0.0.1, ::1
    DIR/holders/<name>/auth.pem, auth.key     card authentication key (CPS_PRIV_AUT, ref 82)
    DIR/holders/<name>/sign.pem, sign.key     card signature key (CPS_PRIV_SIG, ref 81)
    DIR/holders/<name>/pin-state.json         the virtual card's PIN counter (emulator-owned)

Keys are RSA-2048, PEM PKCS#8, mode 0600. A base configured with the same directory trusts
exactly these cards. Holder certificates carry the identity as real CPS certificates do
(docs/cps-card-layer.md): C=FR, title=<profession>, one RDN GN + CN + SN with CN = identifier
type digit + number, and the private extensions 1.2.250.1.71.1.2.3 (card serial
"8025000001/<serial>") and 1.2.250.1.71.1.2.7 (profession code), each a DER IA5String.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TypeGuard

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from lap_app.domain.errors import DamagedFile, UserError, os_error_reason
from lap_app.file_lock import locked
from lap_app.i18n import _
from lap_app.paths import user_data_dir
from lap_app.standins.holders import DEMO_PIN as DEMO_PIN
from lap_app.standins.holders import HOLDERS as HOLDERS
from lap_app.standins.holders import HolderIdentity as HolderIdentity

OID_CPS_CARD_SERIAL = ObjectIdentifier("1.2.250.1.71.1.2.3")
OID_CPS_PROFESSION = ObjectIdentifier("1.2.250.1.71.1.2.7")
OID_CPS_SPECIALTY = ObjectIdentifier("1.2.250.1.71.1.2.8")  # the stand-in's own (base_server.security)
ANS_ISSUER_PREFIX = "8025000001"  # the 5 issuer bytes of EF.SN.ICC, as hex

CA_NAME = x509.Name(
    [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "LAP démo"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "IGC-Santé TEST"),
        x509.NameAttribute(NameOID.COMMON_NAME, "TEST AC IGC-Santé PERSONNES (démo LAP)"),
    ]
)
CA_YEARS = 10
LEAF_YEARS = 3


def default_pki_dir() -> Path:
    return user_data_dir() / "pki"


@dataclass(frozen=True, slots=True)
class Holder:
    """A demo card holder: identity, both key pairs and certificates."""

    identity: HolderIdentity
    directory: Path
    auth_key: rsa.RSAPrivateKey
    auth_cert: x509.Certificate
    sign_key: rsa.RSAPrivateKey
    sign_cert: x509.Certificate

    @property
    def auth_cert_der(self) -> bytes:
        return self.auth_cert.public_bytes(serialization.Encoding.DER)

    @property
    def sign_cert_der(self) -> bytes:
        return self.sign_cert.public_bytes(serialization.Encoding.DER)

    @property
    def pin_state_path(self) -> Path:
        return self.directory / "pin-state.json"


class Pki:
    """A PKI directory, loaded (and completed) by ``init_pki``."""

    def __init__(self, directory: Path, ca_key: rsa.RSAPrivateKey, ca_cert: x509.Certificate,
                 holders: dict[str, Holder]) -> None:
        self.directory = directory
        self.ca_key = ca_key
        self.ca_cert = ca_cert
        self._holders = holders

    @property
    def ca_cert_path(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def server_cert_path(self) -> Path:
        return self.directory / "server.pem"

    @property
    def server_key_path(self) -> Path:
        return self.directory / "server.key"

    def holder(self, name: str) -> Holder:
        try:
            return self._holders[name]
        except KeyError:
            raise KeyError(f"unknown demo holder {name!r} (known: {', '.join(HOLDERS)})") from None

    @property
    def holder_names(self) -> list[str]:
        return list(self._holders)

    def issued_by_ca(self, cert: x509.Certificate) -> bool:
        """True if ``cert`` was signed by this directory's CA (signature only, no dates)."""
        return _issued_by(cert, self.ca_cert)


def init_pki(directory: str | os.PathLike[str] | None = None) -> Pki:
    """Create what is missing in ``directory`` (default ``default_pki_dir()``), load the rest.

    Safe to call from several processes at once: the work is done under an exclusive lock
    and every file is written atomically.
    """
    root = Path(directory) if directory is not None else default_pki_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
        with locked(root / ".lock"):
            ca_key, ca_cert = _ensure_ca(root)
            _ensure_server(root, ca_key, ca_cert)
            holders = {name: _ensure_holder(root / "holders" / name, ident, ca_key, ca_cert)
                       for name, ident in HOLDERS.items()}
    except (PkiDirectoryError, PkiDamaged):
        raise
    except OSError as error:
        raise PkiDirectoryError(root, error) from error
    return Pki(root, ca_key, ca_cert, holders)


class PkiDirectoryError(UserError, OSError):
    """The PKI directory cannot be created or read: a French message for every caller
    (``lap-app pki init``, ``card info --virtual``, ``card emulate``, the demo), still an
    ``OSError`` for code that catches that."""

    def __init__(self, root: Path, error: OSError) -> None:
        super().__init__(_("impossible de créer ou de lire la PKI dans {path} ({reason})").format(
            path=root, reason=os_error_reason(error)))


# --- creation helpers ------------------------------------------------------------------------

def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _load_or_create_key(path: Path) -> tuple[rsa.RSAPrivateKey, bool]:
    if path.exists():
        try:
            # Our own 0600 files: skip the slow RSA consistency check (~0.1 s per key).
            key = serialization.load_pem_private_key(path.read_bytes(), password=None,
                                                     unsafe_skip_rsa_key_validation=True)
            if isinstance(key, rsa.RSAPrivateKey):
                if path.stat().st_mode & 0o077:
                    os.chmod(path, 0o600)
                return key, False
        except ValueError:
            pass  # unreadable: replace it
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    _write_atomic(path, pem, 0o600)
    return key, True


def _load_cert(path: Path) -> x509.Certificate | None:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError):
        return None


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    _write_atomic(path, cert.public_bytes(serialization.Encoding.PEM), 0o644)


def _same_public_key(cert: x509.Certificate, key: rsa.RSAPrivateKey) -> bool:
    public = cert.public_key()
    return isinstance(public, rsa.RSAPublicKey) and public.public_numbers() == key.public_key().public_numbers()


def _issued_by(cert: x509.Certificate, ca_cert: x509.Certificate) -> bool:
    if cert.issuer != ca_cert.subject:
        return False
    issuer_key, hash_algorithm = ca_cert.public_key(), cert.signature_hash_algorithm
    if not isinstance(issuer_key, rsa.RSAPublicKey) or hash_algorithm is None:  # this PKI is RSA only
        return False
    try:
        issuer_key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), hash_algorithm)
    except InvalidSignature:
        return False
    return True


def _still_valid(cert: x509.Certificate, margin_days: int = 30) -> bool:
    now = dt.datetime.now(dt.UTC)
    return cert.not_valid_before_utc <= now and cert.not_valid_after_utc - dt.timedelta(days=margin_days) > now


def _usable(cert: x509.Certificate | None, key: rsa.RSAPrivateKey,
            ca_cert: x509.Certificate) -> TypeGuard[x509.Certificate]:
    return (cert is not None and _same_public_key(cert, key) and _issued_by(cert, ca_cert)
            and _still_valid(cert))


def _builder(subject: x509.Name, issuer: x509.Name, public_key: rsa.RSAPublicKey, years: int) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))  # tolerate small clock skew
        .not_valid_after(now + dt.timedelta(days=365 * years))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


class PkiDamaged(DamagedFile):
    """The CA's key is missing or unreadable beside its certificate: never silently replaced, as
    every card, server certificate and queued ordonnance issued under the old CA would then be
    refused."""

    def __init__(self, root: Path, what: str) -> None:
        super().__init__(_("PKI de démonstration {path} endommagée ({what}) : aucune nouvelle autorité n'a été "
                           "créée, car les cartes et ordonnances émises sous l'actuelle seraient refusées ; "
                           "restaurez ce fichier depuis une sauvegarde, ou supprimez le dossier pour repartir "
                           "de zéro").format(path=root, what=what), root)


def _ensure_ca(root: Path) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key_path, cert_path = root / "ca.key", root / "ca.pem"
    if cert_path.exists() and not key_path.exists():
        raise PkiDamaged(root, _("clé de l'autorité ca.key manquante"))
    if key_path.exists():
        try:
            loaded = serialization.load_pem_private_key(key_path.read_bytes(), password=None,
                                                        unsafe_skip_rsa_key_validation=True)
        except ValueError:
            loaded = None
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise PkiDamaged(root, _("clé de l'autorité ca.key illisible"))
    key, created = _load_or_create_key(key_path)
    cert = _load_cert(root / "ca.pem")
    if created or cert is None or not _same_public_key(cert, key) or not _still_valid(cert):
        cert = (
            _builder(CA_NAME, CA_NAME, key.public_key(), CA_YEARS)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True, crl_sign=True,
                                         encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256())
        )
        _write_cert(root / "ca.pem", cert)
    return key, cert


def _leaf(ca_key: rsa.RSAPrivateKey, ca_cert: x509.Certificate, builder: x509.CertificateBuilder) -> x509.Certificate:
    ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )


def _key_usage(*, digital_signature: bool = False, content_commitment: bool = False,
               key_encipherment: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=digital_signature, content_commitment=content_commitment,
                         key_encipherment=key_encipherment, data_encipherment=False,
                         key_agreement=False, key_cert_sign=False, crl_sign=False,
                         encipher_only=False, decipher_only=False)


def _ensure_server(root: Path, ca_key: rsa.RSAPrivateKey, ca_cert: x509.Certificate) -> None:
    key, _ = _load_or_create_key(root / "server.key")
    if _usable(_load_cert(root / "server.pem"), key, ca_cert):
        return
    subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "LAP démo"),
                         x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    san = x509.SubjectAlternativeName([
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ])
    builder = (
        _builder(subject, ca_cert.subject, key.public_key(), 2)
        .add_extension(san, critical=False)
        .add_extension(_key_usage(digital_signature=True, key_encipherment=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    )
    _write_cert(root / "server.pem", _leaf(ca_key, ca_cert, builder))


def _ia5(text: str) -> bytes:
    raw = text.encode("ascii")
    if len(raw) >= 128:  # short-form DER length is enough for these values
        raise ValueError(f"IA5String too long for a short-form length: {text!r}")
    return bytes([0x16, len(raw)]) + raw


def holder_subject(ident: HolderIdentity) -> x509.Name:
    """C=FR, title=<profession>, then one multi-valued RDN GN + CN + SN, as on real CPS."""
    return x509.Name([
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COUNTRY_NAME, "FR")]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.TITLE, ident.profession_label)]),
        x509.RelativeDistinguishedName([
            x509.NameAttribute(NameOID.GIVEN_NAME, ident.given_name),
            x509.NameAttribute(NameOID.COMMON_NAME, ident.national_id),
            x509.NameAttribute(NameOID.SURNAME, ident.family_name),
        ]),
    ])


def _holder_cert(ident: HolderIdentity, key: rsa.RSAPrivateKey, usage: str,
                 ca_key: rsa.RSAPrivateKey, ca_cert: x509.Certificate) -> x509.Certificate:
    builder = (
        _builder(holder_subject(ident), ca_cert.subject, key.public_key(), LEAF_YEARS)
        .add_extension(x509.UnrecognizedExtension(OID_CPS_CARD_SERIAL, _ia5(f"{ANS_ISSUER_PREFIX}/{ident.serial}")), critical=False)
        .add_extension(x509.UnrecognizedExtension(OID_CPS_PROFESSION, _ia5(ident.profession_code)), critical=False)
    )
    if ident.specialty:
        builder = builder.add_extension(x509.UnrecognizedExtension(OID_CPS_SPECIALTY, _ia5(ident.specialty)),
                                        critical=False)
    if usage == "auth":
        builder = (builder.add_extension(_key_usage(digital_signature=True), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False))
    else:
        builder = builder.add_extension(_key_usage(content_commitment=True), critical=True)
    return _leaf(ca_key, ca_cert, builder)


def _extension_text(cert: x509.Certificate, oid: ObjectIdentifier) -> str:
    try:
        value = cert.extensions.get_extension_for_oid(oid).value
    except x509.ExtensionNotFound:
        return ""
    return value.value[2:].decode("ascii", "replace") if isinstance(value, x509.UnrecognizedExtension) else ""


def _ensure_holder(directory: Path, ident: HolderIdentity, ca_key: rsa.RSAPrivateKey,
                   ca_cert: x509.Certificate) -> Holder:
    keys: dict[str, rsa.RSAPrivateKey] = {}
    certs: dict[str, x509.Certificate] = {}
    for usage in ("auth", "sign"):
        key, _ = _load_or_create_key(directory / f"{usage}.key")
        cert = _load_cert(directory / f"{usage}.pem")
        if (not _usable(cert, key, ca_cert) or cert.subject != holder_subject(ident)
                or _extension_text(cert, OID_CPS_PROFESSION) != ident.profession_code
                or _extension_text(cert, OID_CPS_SPECIALTY) != ident.specialty):
            cert = _holder_cert(ident, key, usage, ca_key, ca_cert)
            _write_cert(directory / f"{usage}.pem", cert)
        keys[usage], certs[usage] = key, cert
    return Holder(ident, directory, keys["auth"], certs["auth"], keys["sign"], certs["sign"])
