"""The holder's identity, read from the CPS certificates (the public route, docs/cps-card.md §2).

Subject: C=FR, title=<profession>, GN, CN = identifier type digit + number (8 RPPS, 0 ADELI),
SN. Private extensions 1.2.250.1.71.1.2.3 ("8025000001/<card serial>") and .7 (profession
code), each a DER character string.

``cryptography`` is imported when a certificate is parsed, not with this module: the login page
shows the PIN field as soon as the card answered, before anything here is parsed (start-up).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lap_app.card.errors import CardCommunicationError
from lap_app.i18n import N_, _

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.x509.oid import ObjectIdentifier

OID_CPS_CARD_SERIAL = "1.2.250.1.71.1.2.3"  # dotted: compared with ``oid.dotted_string``
OID_CPS_PROFESSION = "1.2.250.1.71.1.2.7"

# Table G15 (profession codes) and G08 (identifier types), the entries a LAP meets.
PROFESSIONS = {
    "10": N_("Médecin"), "21": N_("Pharmacien"), "40": N_("Chirurgien-dentiste"),
    "50": N_("Sage-femme"), "60": N_("Infirmier"), "70": N_("Masseur-kinésithérapeute"),
}
ID_TYPES = {"8": "RPPS", "0": "ADELI"}


@dataclass(frozen=True, slots=True)
class CardIdentity:
    national_id: str  # identifiant national PS: type digit + number, e.g. "810101234564"
    id_type: str  # type digit (table G08): "8" RPPS, "0" ADELI
    number: str  # the RPPS or ADELI number itself
    family_name: str
    given_name: str
    profession_code: str
    profession_label: str
    serial: str  # card serial (10 hex digits from EF.SN.ICC)

    @property
    def rpps(self) -> str | None:
        return self.number if self.id_type == "8" else None

    @property
    def id_type_label(self) -> str:
        return ID_TYPES.get(self.id_type, self.id_type)

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    def to_dict(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _decode_string(der: bytes) -> str:
    """A DER string (IA5, UTF8, Printable, …) with a short length, or raw ASCII as a fallback."""
    if len(der) >= 2 and der[0] in (0x0C, 0x13, 0x16, 0x1A) and der[1] == len(der) - 2:
        return der[2:].decode("utf-8", "replace")
    return der.decode("ascii", "replace")


def _attribute(name: x509.Name, oid: ObjectIdentifier) -> str:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def card_serial_from_certificate(cert: x509.Certificate) -> str | None:
    """The card serial of the ``8025000001/<serial>`` extension, if the certificate has it."""
    from cryptography import x509

    for ext in cert.extensions:
        if ext.oid.dotted_string == OID_CPS_CARD_SERIAL and isinstance(ext.value, x509.UnrecognizedExtension):
            value = _decode_string(ext.value.value).strip()
            if "/" in value:
                return value.split("/", 1)[1]
    return None


def identity_from_certificate(cert_der: bytes, serial: str) -> CardIdentity:
    from cryptography import x509

    try:
        cert = x509.load_der_x509_certificate(cert_der)
    except ValueError:
        raise CardCommunicationError(_("certificat illisible sur la carte")) from None
    return identity_from_x509(cert, serial)


def identity_from_x509(cert: x509.Certificate, serial: str) -> CardIdentity:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    subject = cert.subject
    national_id = _attribute(subject, NameOID.COMMON_NAME)
    if len(national_id) < 2:
        raise CardCommunicationError(_("identifiant du porteur absent du certificat"))
    code = ""
    for ext in cert.extensions:
        if ext.oid.dotted_string == OID_CPS_PROFESSION and isinstance(ext.value, x509.UnrecognizedExtension):
            code = _decode_string(ext.value.value).strip()
    label = _attribute(subject, NameOID.TITLE) or (_(PROFESSIONS[code]) if code in PROFESSIONS else "")
    return CardIdentity(
        national_id=national_id,
        id_type=national_id[0],
        number=national_id[1:],
        family_name=_attribute(subject, NameOID.SURNAME),
        given_name=_attribute(subject, NameOID.GIVEN_NAME),
        profession_code=code,
        profession_label=label,
        serial=serial,
    )
