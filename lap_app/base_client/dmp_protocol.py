"""The DMP wire contract shared by the client and the DMP stand-in (see docs/protocol.md, "DMP").

A filed ordonnance is a FHIR R4 ``DocumentReference`` (ANS shared-document guide: type LOINC
57833-6, class "Traitement", ``application/pdf`` in format ``urn:ihe:iti:xds-sd:pdf:2008``, the
patient by INS) carrying the printed PDF in ``content[0].attachment.data``. Both sides import
these names so that a code or a path cannot drift between them.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import Any

from lap_app.base_client.protocol import OID_PS_NATIONAL_ID
from lap_app.domain.model import OID_INS_NIR, OID_INS_NIR_TEST, SYSTEM_PRESCRIPTION_NUMBER

DMP_PATH = "/dmp"  # under API_PREFIX
LOINC = "http://loinc.org"
TYPE_ORDONNANCE = "57833-6"
# XDS class code set of the ANS (JDV_J07); the code is our protocol's, the display is the guide's.
CLASS_SYSTEM = "urn:oid:1.2.250.1.213.1.1.4.1"
CLASS_TRAITEMENT = "13"
CLASS_TRAITEMENT_DISPLAY = "Traitement"
FORMAT_SYSTEM = "urn:oid:1.3.6.1.4.1.19376.1.2.3"
FORMAT_PDF = "urn:ihe:iti:xds-sd:pdf:2008"
PDF_MIME = "application/pdf"
DOCUMENT_ID_SYSTEM = "urn:ordonnance-numerique:document-dmp"
INS_SYSTEMS = frozenset({OID_INS_NIR, OID_INS_NIR_TEST})  # INS-NIR, and its test variant
MAX_PDF_BYTES = 10 * 1024 * 1024
DOCUMENT_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,63}$")


def new_document_id() -> str:
    """An opaque id for a new DMP document (128 random bits): nothing can be guessed from it,
    unlike an id made of the prescription number. Drawn once when the copy is queued and kept
    in the local store, so that a replay after a crash addresses the same document."""
    return secrets.token_hex(16)


def pdf_hash(pdf: bytes) -> str:
    """``Attachment.hash``: base64 of the SHA-1 of the data (FHIR R4)."""
    return base64.b64encode(hashlib.sha1(pdf).digest()).decode("ascii")  # noqa: S324 - FHIR mandates SHA-1 here


def document_reference(*, document_id: str, number: str, ins: str, ins_system: str, patient_name: str,
                       author_id: str, author_name: str, date: str, pdf: bytes, title: str) -> dict[str, Any]:
    """The DocumentReference filing ``pdf`` (the printed ordonnance) in the patient's DMP."""
    return {
        "resourceType": "DocumentReference",
        "masterIdentifier": {"system": DOCUMENT_ID_SYSTEM, "value": document_id},
        "status": "current",
        "type": {"coding": [{"system": LOINC, "code": TYPE_ORDONNANCE, "display": "Prescription for medication"}]},
        "category": [{"coding": [{"system": CLASS_SYSTEM, "code": CLASS_TRAITEMENT,
                                  "display": CLASS_TRAITEMENT_DISPLAY}]}],
        "subject": {"identifier": {"system": ins_system, "value": ins}, "display": patient_name},
        "date": date,
        "author": [{"identifier": {"system": OID_PS_NATIONAL_ID, "value": author_id}, "display": author_name}],
        "description": title,
        "content": [{
            "attachment": {"contentType": PDF_MIME, "language": "fr-FR", "title": title, "size": len(pdf),
                           "hash": pdf_hash(pdf), "data": base64.b64encode(pdf).decode("ascii")},
            "format": {"system": FORMAT_SYSTEM, "code": FORMAT_PDF, "display": "PDF"},
        }],
        "context": {"related": [{"identifier": {"system": SYSTEM_PRESCRIPTION_NUMBER, "value": number}}]},
    }


def dig(data: Any, *keys: Any) -> Any:
    for key in keys:
        if isinstance(key, int):
            data = data[key] if isinstance(data, list) and len(data) > key else None
        else:
            data = data.get(key) if isinstance(data, dict) else None
    return data


def subject_ins(doc: dict[str, Any]) -> tuple[str | None, str | None]:
    """(system, value) of the patient's identifier."""
    return dig(doc, "subject", "identifier", "system"), dig(doc, "subject", "identifier", "value")


def author_ids(doc: dict[str, Any]) -> list[str]:
    return [str(dig(a, "identifier", "value")) for a in doc.get("author") or []
            if isinstance(a, dict) and dig(a, "identifier", "system") == OID_PS_NATIONAL_ID]


def related_number(doc: dict[str, Any]) -> str | None:
    for related in dig(doc, "context", "related") or []:
        if dig(related, "identifier", "system") == SYSTEM_PRESCRIPTION_NUMBER:
            value = dig(related, "identifier", "value")
            return value if isinstance(value, str) else None
    return None


def attachment(doc: dict[str, Any]) -> dict[str, Any]:
    found = dig(doc, "content", 0, "attachment")
    return found if isinstance(found, dict) else {}


def attachment_pdf(doc: dict[str, Any]) -> bytes:
    """The attached PDF; ``ValueError`` when missing or not base64."""
    data = attachment(doc).get("data")
    if not isinstance(data, str) or not data:
        raise ValueError("no attachment data")
    return base64.b64decode(data.encode("ascii"), validate=True)
