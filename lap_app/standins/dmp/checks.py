"""What the DMP stand-in checks before filing a document: every problem, with its JSON path."""

from __future__ import annotations

import binascii
import json
from dataclasses import dataclass
from typing import Any

from lap_app.base_client import dmp_protocol as wire
from lap_app.domain.identifiers import is_valid_prescription_number, nir_problem, normalize_nir
from lap_app.standins.base_server.errors import ApiError


@dataclass(frozen=True, slots=True)
class CheckedDocument:
    ins: str
    number: str
    pdf: bytes


def _codings(concept: Any) -> list[dict[str, Any]]:
    codings = concept.get("coding") if isinstance(concept, dict) else None
    return [c for c in codings or [] if isinstance(c, dict)]


def _has_code(concept: Any, system: str, code: str) -> bool:
    return any(c.get("system") == system and c.get("code") == code for c in _codings(concept))


def ins_problem(system: Any, value: Any) -> str | None:
    """Why the patient's identifier is not a usable INS, or ``None``."""
    if system not in wire.INS_SYSTEMS:
        return f"identifiant du patient attendu dans le système INS-NIR ({sorted(wire.INS_SYSTEMS)[0]})"
    if not isinstance(value, str) or not value:
        return "INS du patient absent"
    return nir_problem(value)


def check_document(document_id: str, doc: Any) -> tuple[list[dict[str, str]], list[dict[str, str]],
                                                         CheckedDocument | None]:
    """(INS problems, other problems, the checked document when there is no problem)."""
    if not isinstance(doc, dict) or doc.get("resourceType") != "DocumentReference":
        return [], [{"path": "documentReference.resourceType", "message": "un DocumentReference FHIR est attendu"}], None
    problems: list[dict[str, str]] = []

    def problem(path: str, message: str) -> None:
        problems.append({"path": f"documentReference.{path}", "message": message})

    master = doc.get("masterIdentifier")
    master = master if isinstance(master, dict) else {}
    if master.get("value") != document_id:
        problem("masterIdentifier.value", "ne correspond pas à l'identifiant du document dans l'URL")
    if doc.get("status") != "current":
        problem("status", "« current » attendu")
    if not _has_code(doc.get("type"), wire.LOINC, wire.TYPE_ORDONNANCE):
        problem("type", f"type LOINC {wire.TYPE_ORDONNANCE} (ordonnance) attendu")
    categories = doc.get("category")
    categories = categories if isinstance(categories, list) else []
    if not any(_has_code(c, wire.CLASS_SYSTEM, wire.CLASS_TRAITEMENT) for c in categories):
        problem("category", f"classe « {wire.CLASS_TRAITEMENT_DISPLAY} » attendue")

    system, value = wire.subject_ins(doc)
    why = ins_problem(system, value)
    ins_problems = [{"path": "documentReference.subject.identifier", "message": why}] if why else []

    if not wire.author_ids(doc):
        problem("author", "auteur (identifiant national du professionnel) absent")
    number = wire.related_number(doc)
    if number is None or not is_valid_prescription_number(number):
        problem("context.related", "numéro d'ordonnance (16 chiffres, clé MOD 97-10) absent ou invalide")

    content = doc.get("content")
    content = content if isinstance(content, list) else []
    if len(content) != 1:
        problem("content", "exactement un contenu (le PDF) attendu")
    if not _has_code({"coding": [wire.dig(doc, "content", 0, "format")]}, wire.FORMAT_SYSTEM, wire.FORMAT_PDF):
        problem("content[0].format", f"format {wire.FORMAT_PDF} attendu")
    att = wire.attachment(doc)
    if att.get("contentType") != wire.PDF_MIME:
        problem("content[0].attachment.contentType", f"{wire.PDF_MIME} attendu")
    pdf = b""
    try:
        pdf = wire.attachment_pdf(doc)
    except (ValueError, binascii.Error):
        problem("content[0].attachment.data", "PDF absent ou base64 illisible")
    if pdf:
        if len(pdf) > wire.MAX_PDF_BYTES:
            problem("content[0].attachment.data", "PDF trop volumineux (10 Mo au plus)")
        if not pdf.startswith(b"%PDF-"):
            problem("content[0].attachment.data", "le contenu n'est pas un PDF")
        if "hash" in att and att["hash"] != wire.pdf_hash(pdf):
            problem("content[0].attachment.hash", "empreinte SHA-1 différente du contenu reçu")
        if "size" in att and att["size"] != len(pdf):
            problem("content[0].attachment.size", "taille différente du contenu reçu")
    if ins_problems or problems:
        return ins_problems, problems, None
    return [], [], CheckedDocument(normalize_nir(str(value)), str(number), pdf)


def check_registered_by_caller(state: Any, caller: Any, number: str, ins: str) -> None:
    """The copy of ordonnance ``number`` may come only from the prescriber the base registered it
    for, and be filed for that ordonnance's patient. A number never issued, issued but not
    registered, or registered by someone else answer alike (nobody learns which numbers exist,
    nobody can squat another prescriber's copy or a number in advance)."""
    with state.store.reading() as conn:
        row = conn.execute("SELECT prescriber, bundle FROM prescriptions WHERE number = ?", (number,)).fetchone()
    if row is None or row["prescriber"] != caller.holder.national_id:
        raise ApiError(422, "unregistered_number",
                       "Aucune ordonnance enregistrée sous ce numéro par ce prescripteur : copie refusée",
                       [{"path": "documentReference.context.related", "message": "ordonnance non enregistrée"
                         " par ce prescripteur"}])
    if ins not in bundle_ins(json.loads(row["bundle"])):
        raise ApiError(422, "invalid_document", "Document refusé par le DMP",
                       [{"path": "documentReference.subject.identifier",
                         "message": "ce n'est pas le patient de l'ordonnance enregistrée sous ce numéro"}])


def bundle_ins(bundle: dict[str, Any]) -> set[str]:
    found = set()
    for entry in bundle.get("entry") or []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and resource.get("resourceType") == "Patient":
            for ident in resource.get("identifier") or []:
                if isinstance(ident, dict) and ident.get("system") in wire.INS_SYSTEMS and ident.get("value"):
                    found.add(normalize_nir(str(ident["value"])))
    return found


def without_data(doc: dict[str, Any]) -> dict[str, Any]:
    """The DocumentReference as stored beside the PDF (the bytes are kept once, in their column)."""
    stored = dict(doc)
    stored["content"] = [dict(c) for c in doc.get("content") or []]
    if stored["content"]:
        stored["content"][0]["attachment"] = {k: v for k, v in wire.attachment(doc).items() if k != "data"}
    return stored
