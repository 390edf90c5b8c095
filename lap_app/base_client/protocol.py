"""The wire contract shared by the client and the reference base (see docs/protocol.md).

Both sides import these names so that a header or a field cannot drift between them.
"""

from __future__ import annotations

import base64
from typing import Any

API_PREFIX = "/v1"
INSTALLATION_HEADER = "X-LAP-Installation"  # "<installation id>.<secret>"
# « Mon espace santé » acts for the patient it authenticated (the stand-in: the portal's secret,
# a file of the base's data directory, as the platform's own credential).
PATIENT_PORTAL_HEADER = "X-LAP-Patient-Portal"
PATIENT_PORTAL_KEY_FILE = "patient-portal.key"

PRESCRIBER_PROFESSIONS = frozenset({"10", "40", "50"})  # médecin, chirurgien-dentiste, sage-femme
PHARMACIST_PROFESSIONS = frozenset({"21"})

# The prescrits: who reads and carries out which kind of ordonnance (values of
# lap_app.domain.kinds.OrdonnanceKind). Profession codes of the RPPS (table TRE_G15); a
# biologist is a médecin or pharmacien whose card carries the biology specialty; a device
# supplier (prestataire de services et distributeur de matériels) has no RPPS profession and
# carries the stand-in's own code.
NURSE, PHYSIOTHERAPIST, PODIATRIST, SPEECH_THERAPIST, ORTHOPTIST = "60", "70", "80", "91", "92"
DEVICE_SUPPLIER = "PSDM"
SPECIALTY_BIOLOGY = "biologie-medicale"
PROFESSION_KINDS: dict[str, frozenset[str]] = {
    "21": frozenset({"medicaments", "dispositifs"}),
    NURSE: frozenset({"soins-infirmiers"}),
    PHYSIOTHERAPIST: frozenset({"kinesitherapie"}),
    PODIATRIST: frozenset({"podologie"}),
    SPEECH_THERAPIST: frozenset({"orthophonie"}),
    ORTHOPTIST: frozenset({"orthoptie"}),
    DEVICE_SUPPLIER: frozenset({"dispositifs"}),
}
BIOLOGIST_PROFESSIONS = frozenset({"10", "21"})
PRESCRIT_PROFESSIONS = frozenset(PROFESSION_KINDS) | BIOLOGIST_PROFESSIONS


def kinds_carried_out(profession: str, specialty: str = "") -> frozenset[str]:
    """The kinds of ordonnance a card holder may read by number and execute."""
    if specialty == SPECIALTY_BIOLOGY and profession in BIOLOGIST_PROFESSIONS:
        return frozenset({"biologie"})
    return PROFESSION_KINDS.get(profession, frozenset())

# Bundle.signature.sigFormat of our signatures: PKCS#1 v1.5 / SHA-256 over the canonical bytes
# (lap_app.fhir.canonical_bytes); the signing certificate rides in the signature's extension.
SIGNATURE_FORMAT = "application/x-lap-rs256"

# A reserved number is valid 30 days; an ordonnance SIGNED before its number expired (its
# Composition.date, signed content) is still registered this long after the expiry, so that
# one queued offline is not lost. After that the base refuses it (422 ``expired_number``).
NUMBER_TTL = 30 * 86400.0
SIGNED_NUMBER_GRACE = 60 * 86400.0
EXPIRY_WARNING = 7 * 86400.0  # the client warns this long before that deadline
EXT_SIGNER_CERTIFICATE = "urn:ordonnance-numerique:certificat-signataire"
OID_PS_NATIONAL_ID = "urn:oid:1.2.250.1.71.4.2.1"


def b64e(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64d(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def signed_digest(bundle: dict[str, Any]) -> bytes:
    """SHA-256 of what the CPS signature covers: the canonical Bundle without its signature."""
    import hashlib  # (OpenSSL's hashes: not loaded by the modules that only read the constants)

    from lap_app.fhir import canonical_bytes

    return hashlib.sha256(canonical_bytes(bundle)).digest()


# An adjustment with the prescriber's agreement: how the agreement was obtained, what may change.
AGREEMENT_MODES = ("telephone", "messagerie", "autre")
ADJUSTMENT_FIELDS = ("dose", "forme", "quantite", "seances", "produit")


def adjustment_content(number: str, line: int, changes: list[dict[str, str]], mode: str | None,
                       given_by: str | None, at: str | None) -> bytes:
    """What a prescrit's card signs for an adjustment: number, line, changes and agreement as
    JSON with sorted keys, no spaces, UTF-8 (``at``: the agreement's ISO 8601 time as sent)."""
    import json

    content = {"number": number, "line": line,
               "changes": [{"field": c["field"], "value": c["value"]} for c in changes],
               "agreement": {"mode": mode, "given_by": given_by, "at": at}}
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def signer_certificate_b64(bundle: dict[str, Any]) -> str | None:
    signature = bundle.get("signature")
    if not isinstance(signature, dict):
        return None
    for ext in _as_list(signature.get("extension")):
        if isinstance(ext, dict) and ext.get("url") == EXT_SIGNER_CERTIFICATE:
            value = ext.get("valueBase64Binary")
            return value if isinstance(value, str) else None
    return None


def bundle_number(bundle: dict[str, Any]) -> str | None:
    identifier = bundle.get("identifier")
    value = identifier.get("value") if isinstance(identifier, dict) else None
    if isinstance(value, str):
        return value
    return None


def medication_summary(request: dict[str, Any]) -> tuple[str, str, bool]:
    """What a pharmacy shows of a MedicationRequest: (its text, its dosage text, whether
    substitution is allowed); the base's pharmacy read and the client's dispensing alike."""
    dosage = " ".join(d.get("text", "") for d in request.get("dosageInstruction") or [] if isinstance(d, dict))
    substitution = request.get("substitution") or {}
    return (str((request.get("medicationCodeableConcept") or {}).get("text", "")), dosage,
            substitution.get("allowedBoolean", True) is not False)


def medication_requests(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    """The MedicationRequest resources in Bundle order: line N of the protocol is item N-1."""
    entries = bundle.get("entry")
    if not isinstance(entries, list):
        return []
    out = []
    for entry in entries:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and resource.get("resourceType") == "MedicationRequest":
            out.append(resource)
    return out


def practitioner_ids(bundle: dict[str, Any]) -> list[str]:
    ids = []
    for entry in _as_list(bundle.get("entry")):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and resource.get("resourceType") == "Practitioner":
            for ident in _as_list(resource.get("identifier")):
                if isinstance(ident, dict) and ident.get("system") == OID_PS_NATIONAL_ID:
                    ids.append(str(ident.get("value")))
    return ids


def _as_list(value: Any) -> list[Any]:
    """A FHIR array as sent, or nothing: a foreign Bundle may hold a number or text there."""
    return value if isinstance(value, list) else []
