"""DMP routes: file an ordonnance's PDF, list a patient's documents, return one document.

Same card authentication and installation credential as the base (its dependencies are
reused, not copied). Filing is reserved to prescribers and must be by the document's author;
reading is open to any authenticated professional of the demo (no consent model here).
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from lap_app.base_client.dmp_protocol import DMP_PATH, DOCUMENT_ID_RE, author_ids
from lap_app.base_client.protocol import PHARMACIST_PROFESSIONS, PRESCRIBER_PROFESSIONS
from lap_app.domain.identifiers import nir_problem, normalize_nir
from lap_app.standins.base_server.context import Caller, PrescriberCaller, State, _requiring, check_lookup_allowed
from lap_app.standins.base_server.errors import ApiError
from lap_app.standins.dmp.checks import check_document, check_registered_by_caller, without_data
from lap_app.standins.dmp.store import DmpStore

router = APIRouter(prefix="/v1" + DMP_PATH, tags=["DMP"])

ProfessionalCaller = Annotated[Caller, Depends(_requiring(
    PRESCRIBER_PROFESSIONS | PHARMACIST_PROFESSIONS, "Accès au DMP réservé aux professionnels de santé"))]
ERRORS: dict[int | str, dict[str, Any]] = {401: {"description": "Jeton ou installation refusés"}, 403: {"description": "Profession ou auteur"},
          422: {"description": "Document ou INS invalides (problèmes listés)"}}


def dmp_of(request: Request) -> DmpStore:
    return request.app.state.dmp


Dmp = Annotated[DmpStore, Depends(dmp_of)]


class FilingIn(BaseModel):
    documentReference: dict[str, Any] = Field(  # noqa: N815 - the FHIR element name
        description="DocumentReference FHIR R4 : type LOINC 57833-6, classe Traitement, PDF (format "
                    "urn:ihe:iti:xds-sd:pdf:2008) dans content[0].attachment.data, patient par son INS")


class FilingOut(BaseModel):
    id: str
    number: str
    patient: str
    filed_at: float


class DocumentSummary(BaseModel):
    id: str
    number: str
    author: str
    author_name: str
    title: str
    date: str
    size: int
    filed_at: float


class DocumentList(BaseModel):
    patient: str
    documents: list[DocumentSummary]


def _check_id(document_id: str) -> None:
    if not DOCUMENT_ID_RE.match(document_id):
        raise ApiError(422, "invalid_document_id", "Identifiant de document invalide",
                       [{"path": "document_id", "message": "lettres, chiffres, « . » et « - » (64 au plus)"}])


def _refused(dmp: DmpStore, caller: Caller, action: str, error: ApiError, **where: str | None) -> ApiError:
    error.audited = True  # in the DMP's own access log
    with dmp.transaction() as conn:
        dmp.log(conn, caller, action, f"refused:{error.status}:{error.code}", **where)
    return error


@router.put("/documents/{document_id}", response_model=FilingOut, status_code=201,
            responses={**ERRORS, 200: {"description": "Déjà classé à l'identique (rejeu)"},
                       409: {"description": "Un autre document occupe cet identifiant ou ce numéro"}})
def file_document(document_id: str, body: FilingIn, response: Response, dmp: Dmp, state: State,
                  caller: PrescriberCaller) -> FilingOut:
    """Idempotent: the same document filed again answers 200 with the first filing. Only the
    prescriber who registered the ordonnance may file its copy, for that ordonnance's patient."""
    doc = body.documentReference
    try:
        _check_id(document_id)
        ins_problems, problems, checked = check_document(document_id, doc)
        if ins_problems:
            raise ApiError(422, "invalid_ins", f"INS du patient invalide : {ins_problems[0]['message']}",
                           ins_problems + problems)
        if problems or checked is None:
            raise ApiError(422, "invalid_document", "Document refusé par le DMP", problems)
        if caller.holder.national_id not in author_ids(doc):
            raise ApiError(403, "author_not_holder",
                           "L'auteur du document n'est pas le porteur de la carte authentifiée")
        check_registered_by_caller(state, caller, checked.number, checked.ins)
    except ApiError as error:
        raise _refused(dmp, caller, "file", error, document=document_id) from None
    digest = hashlib.sha256(checked.pdf).hexdigest()
    now = time.time()
    with dmp.transaction() as conn:
        row = conn.execute("SELECT * FROM documents WHERE id = ? OR number = ?", (document_id, checked.number)).fetchone()
        if row is not None:
            same = (row["id"] == document_id and row["pdf_sha256"] == digest and row["patient_ins"] == checked.ins
                    and row["author"] == caller.holder.national_id)
            if not same:
                conflict = ApiError(409, "document_conflict",
                                    f"Un autre document est déjà classé dans le DMP pour l'ordonnance {row['number']}")
                dmp.log(conn, caller, "file", f"refused:409:{conflict.code}", patient_ins=checked.ins,
                        document=document_id)
                conflict.audited = True
                raise conflict
            dmp.log(conn, caller, "file", "replayed", patient_ins=checked.ins, document=document_id)
            response.status_code = 200
            return FilingOut(id=row["id"], number=row["number"], patient=row["patient_ins"], filed_at=row["filed_at"])
        conn.execute("INSERT INTO documents (id, patient_ins, number, author, installation, pdf_sha256, reference, pdf,"
                     " filed_at) VALUES (?,?,?,?,?,?,?,?,?)",
                     (document_id, checked.ins, checked.number, caller.holder.national_id, caller.installation, digest,
                      json.dumps(without_data(doc), ensure_ascii=False), checked.pdf, now))
        dmp.log(conn, caller, "file", "ok", patient_ins=checked.ins, document=document_id)
    return FilingOut(id=document_id, number=checked.number, patient=checked.ins, filed_at=now)


@router.get("/patients/{ins}/documents", response_model=DocumentList, responses=ERRORS)
def list_documents(ins: str, dmp: Dmp, caller: ProfessionalCaller) -> DocumentList:
    ins = normalize_nir(ins)
    why = nir_problem(ins)
    if why:
        raise _refused(dmp, caller, "list", ApiError(422, "invalid_ins", f"INS invalide : {why}",
                                                     [{"path": "ins", "message": why}]))
    with dmp.transaction() as conn:
        rows = conn.execute("SELECT id, number, author, reference, filed_at FROM documents WHERE patient_ins = ?"
                            " ORDER BY filed_at DESC, id", (ins,)).fetchall()
        dmp.log(conn, caller, "list", "ok", patient_ins=ins)
    documents = []
    for row in rows:
        reference = json.loads(row["reference"])
        attachment = (reference.get("content") or [{}])[0].get("attachment") or {}
        author = (reference.get("author") or [{}])[0]
        documents.append(DocumentSummary(
            id=row["id"], number=row["number"], author=row["author"], author_name=str(author.get("display") or ""),
            title=str(attachment.get("title") or reference.get("description") or ""),
            date=str(reference.get("date") or ""), size=int(attachment.get("size") or 0), filed_at=row["filed_at"]))
    return DocumentList(patient=ins, documents=documents)


@router.get("/documents/{document_id}", responses={**ERRORS, 404: {"description": "Document inconnu"},
                                                  429: {"description": "Trop d'identifiants inconnus lus"}})
def get_document(document_id: str, dmp: Dmp, state: State, caller: ProfessionalCaller) -> dict[str, Any]:
    """The DocumentReference as filed, with the PDF in ``content[0].attachment.data``. An unknown
    id counts towards the unknown-number rate limit (429 once exceeded)."""
    import base64

    try:
        check_lookup_allowed(state, caller)
    except ApiError as error:
        raise _refused(dmp, caller, "read", error, document=document_id) from None
    with dmp.transaction() as conn:
        row = conn.execute("SELECT reference, pdf, patient_ins FROM documents WHERE id = ?", (document_id,)).fetchone()
        outcome = "ok" if row is not None else "refused:404:unknown_document"
        dmp.log(conn, caller, "read", outcome, patient_ins=row["patient_ins"] if row else None, document=document_id)
    if row is None:
        with state.store.transaction() as base_conn:
            state.unknown_numbers.record(base_conn, caller.holder.national_id, caller.installation)
        unknown = ApiError(404, "unknown_document", "Aucun document du DMP sous cet identifiant")
        unknown.audited = True  # logged above
        raise unknown
    reference = json.loads(row["reference"])
    reference["content"][0]["attachment"]["data"] = base64.b64encode(row["pdf"]).decode("ascii")
    return reference
