"""The patient's control, through « Mon espace santé »: withdraw the consent to the prescriber
seeing the execution of an ordonnance, or give it back, after the consultation.

The signed Bundle keeps the choice made at the consultation; the change is a column of the
prescription (``opposition``) that every later answer to the prescriber reads (``opposition.py``,
the dispensing and follow-up routes), and a row of the audit trail. The caller is the portal,
which authenticated the patient: the stand-in checks the portal's secret (a file of the base's
data directory) and that the INS is the ordonnance's patient.
"""

from __future__ import annotations

import hmac
import json
import time
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, Field

from lap_app.base_client.protocol import PATIENT_PORTAL_HEADER
from lap_app.domain.identifiers import nir_problem, normalize_nir
from lap_app.standins.base_server.context import BaseState, State, check_number_format
from lap_app.standins.base_server.errors import ApiError
from lap_app.standins.dmp.checks import bundle_ins

router = APIRouter(prefix="/v1/patient", tags=["patient"])

PORTAL = "mon-espace-sante"  # the audit's installation column for the portal's calls
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Appel qui ne vient pas du portail du patient"},
    404: {"description": "Aucune ordonnance de ce patient sous ce numéro"},
    422: {"description": "INS ou numéro invalide"}}


class ConsentIn(BaseModel):
    opposition: bool = Field(description="Vrai : le patient s'oppose à ce que le prescripteur consulte l'exécution")


class ConsentOut(BaseModel):
    number: str
    opposition: bool
    changed: bool = Field(description="Faux quand le choix était déjà celui-là (rien n'a changé)")


def _portal(request: Request, secret: str | None) -> None:
    key: bytes = request.app.state.patient_portal_key
    if not secret or not hmac.compare_digest(secret.encode("utf-8", "replace"), key.hex().encode("ascii")):
        raise ApiError(401, "not_patient_portal", "Opération réservée au portail Mon espace santé du patient")


def _patient_prescription(state: BaseState, conn: Any, ins: str, number: str) -> Any:
    problem = nir_problem(normalize_nir(ins))
    if problem:
        raise ApiError(422, "invalid_ins", f"INS du patient invalide : {problem}",
                       [{"path": "ins", "message": problem}])
    check_number_format(number)
    state.store.lock_number(conn, number)  # the choice read here holds until the transaction ends
    row = conn.execute("SELECT number, bundle, opposition FROM prescriptions WHERE number = ?", (number,)).fetchone()
    if row is None or normalize_nir(ins) not in bundle_ins(json.loads(row["bundle"])):
        # an ordonnance of another patient answers as a number never issued
        raise ApiError(404, "unknown_prescription", "Aucune ordonnance de ce patient sous ce numéro")
    return row


def _audit_refusal(state: BaseState, ins: str, number: str, action: str, error: ApiError) -> None:
    error.audited = True
    with state.store.transaction() as conn:
        state.store.audit(conn, normalize_nir(ins), "patient", PORTAL, number, action,
                          f"refused:{error.status}:{error.code}")


@router.get("/patients/{ins}/prescriptions/{number}/consent", response_model=ConsentOut, responses=ERRORS)
def read_consent(ins: str, number: str, request: Request, state: State,
                 portal: Annotated[str | None, Header(alias=PATIENT_PORTAL_HEADER)] = None) -> ConsentOut:
    """The patient's current choice for this ordonnance."""
    _portal(request, portal)
    try:
        with state.store.transaction() as conn:
            row = _patient_prescription(state, conn, ins, number)
            state.store.audit(conn, normalize_nir(ins), "patient", PORTAL, number, "consent_read", "ok")
    except ApiError as error:
        _audit_refusal(state, ins, number, "consent_read", error)
        raise
    return ConsentOut(number=number, opposition=bool(row["opposition"]), changed=False)


@router.put("/patients/{ins}/prescriptions/{number}/consent", response_model=ConsentOut, responses=ERRORS)
def change_consent(ins: str, number: str, body: ConsentIn, request: Request, state: State,
                   portal: Annotated[str | None, Header(alias=PATIENT_PORTAL_HEADER)] = None) -> ConsentOut:
    """Withdraw the consent (``opposition: true``) or give it back; applies to every later
    consultation by the prescriber. Setting the choice it already has changes nothing (a retry)."""
    _portal(request, portal)
    try:
        with state.store.transaction() as conn:
            row = _patient_prescription(state, conn, ins, number)
            changed = bool(row["opposition"]) != body.opposition
            if changed:
                conn.execute("UPDATE prescriptions SET opposition = ?, updated_at = ? WHERE number = ?",
                             (int(body.opposition), time.time(), number))
            outcome = "ok:withdrawn" if body.opposition else "ok:given"
            state.store.audit(conn, normalize_nir(ins), "patient", PORTAL, number, "consent",
                              outcome if changed else f"{outcome}:unchanged")
    except ApiError as error:
        _audit_refusal(state, ins, number, "consent", error)
        raise
    return ConsentOut(number=number, opposition=body.opposition, changed=changed)
