"""Prescriber side: reserve numbers, register, cancel, follow status, consult dispensing."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from lap_app.standins.base_server.context import PrescriberCaller, State, audited, check_number_format
from lap_app.standins.base_server.errors import ApiError
from lap_app.standins.base_server.registration import Registered, prepare_registration

router = APIRouter(prefix="/v1", tags=["prescripteur"])

ERRORS = {401: {"description": "Jeton ou installation refusés"}, 403: {"description": "Profession ou prescripteur"},
          422: {"description": "Requête ou contenu invalides (problèmes listés)"}}


class NumbersIn(BaseModel):
    count: int = Field(ge=1, le=50)


class NumbersOut(BaseModel):
    numbers: list[str]
    expires_at: float


class RegistrationIn(BaseModel):
    bundle: dict[str, Any] = Field(description="Bundle FHIR signé (Bundle.signature, certificat en extension) ;"
                                   " l'opposition du patient est l'extension de la Composition")


class RegistrationOut(BaseModel):
    number: str
    status: str
    registered_at: float
    opposition: bool


class StatusOut(BaseModel):
    number: str
    status: str
    opposition: bool


class DispensingRecord(BaseModel):
    line: int
    quantity: float
    substituted: bool
    date: str
    pharmacist: str


class DispensingsOut(BaseModel):
    number: str
    status: str
    dispensings: list[DispensingRecord]


def _serial_day(conn: Any, count: int) -> list[str]:
    from lap_app.domain.identifiers import prescription_number_from_serial

    day = datetime.now(UTC).strftime("%Y%m%d")
    row = conn.execute("SELECT last FROM serials WHERE day = ?", (day,)).fetchone()
    last = row["last"] if row else 0
    if last + count > 999_999:
        raise ApiError(503, "exhausted", "Plus de numéros disponibles aujourd'hui", headers={"Retry-After": "60"})
    conn.execute("INSERT INTO serials (day, last) VALUES (?, ?) ON CONFLICT(day) DO UPDATE SET last = excluded.last",
                 (day, last + count))
    return [prescription_number_from_serial(f"{day}{n:06d}") for n in range(last + 1, last + count + 1)]


@router.post("/numbers", response_model=NumbersOut, status_code=201, responses=ERRORS)
def reserve_numbers(body: NumbersIn, state: State, caller: PrescriberCaller) -> NumbersOut:
    holder = caller.holder
    now = time.time()
    expires = now + state.config.number_ttl
    with state.store.transaction() as conn:
        numbers = _serial_day(conn, body.count)
        conn.executemany("INSERT INTO numbers (number, prescriber, reserved_at, expires_at) VALUES (?,?,?,?)",
                         [(n, holder.national_id, now, expires) for n in numbers])
        state.store.audit(conn, holder.national_id, holder.profession, caller.installation, None,
                          "reserve", f"ok:{body.count}")
    return NumbersOut(numbers=numbers, expires_at=expires)


@router.put("/prescriptions/{number}", response_model=RegistrationOut, status_code=201,
            responses={**ERRORS, 200: {"description": "Déjà enregistrée à l'identique (rejeu)", "model": RegistrationOut},
                       409: {"description": "Numéro déjà utilisé pour un autre contenu"}})
def register(number: str, body: RegistrationIn, state: State, caller: PrescriberCaller,
             response: Response) -> RegistrationOut:
    # This route documents the operation (OpenAPI); on a served base the lean ASGI path
    # (fast_path.py) answers it first, with the same checks and the same group commit.
    holder = caller.holder

    def run() -> RegistrationOut:
        outcome = prepare_registration(state, caller, number, body.bundle)
        if not isinstance(outcome, Registered):
            outcome = state.store.grouped(outcome)  # acknowledged only once durable (group commit)
        if outcome.replayed:
            response.status_code = 200
        return RegistrationOut(**outcome.body())

    return audited(state, holder, caller.installation, number, "register", run)


def _own_prescription(conn: Any, number: str, prescriber: str) -> Any:
    row = conn.execute("SELECT * FROM prescriptions WHERE number = ?", (number,)).fetchone()
    if row is None:
        raise ApiError(404, "unknown_prescription", "Aucune ordonnance enregistrée sous ce numéro")
    if row["prescriber"] != prescriber:
        raise ApiError(403, "not_prescriber", "Seul le prescripteur de cette ordonnance peut y accéder")
    return row


@router.post("/prescriptions/{number}/cancel", response_model=StatusOut,
             responses={**ERRORS, 404: {"description": "Inconnue"}, 409: {"description": "Déjà délivrée"}})
def cancel(number: str, state: State, caller: PrescriberCaller) -> StatusOut:
    holder = caller.holder

    def run() -> StatusOut:
        check_number_format(number)
        with state.store.transaction() as conn:
            row = _own_prescription(conn, number, holder.national_id)
            if row["status"] in ("partly_dispensed", "dispensed"):
                raise ApiError(409, "already_dispensed", "Annulation impossible : la délivrance a commencé")
            conn.execute("UPDATE prescriptions SET status = 'cancelled', updated_at = ? WHERE number = ?",
                         (time.time(), number))
            state.store.audit(conn, holder.national_id, holder.profession, caller.installation, number, "cancel", "ok")
            return StatusOut(number=number, status="cancelled", opposition=bool(row["opposition"]))

    return audited(state, holder, caller.installation, number, "cancel", run)


@router.get("/prescriptions/{number}/status", response_model=StatusOut,
            responses={**ERRORS, 404: {"description": "Inconnue"}})
def status(number: str, state: State, caller: PrescriberCaller) -> StatusOut:
    """The prescriber's view of the status; with the patient's opposition, dispensing progress is hidden."""
    holder = caller.holder

    def run() -> StatusOut:
        check_number_format(number)
        with state.store.transaction() as conn:
            row = _own_prescription(conn, number, holder.national_id)
            state.store.audit(conn, holder.national_id, holder.profession, caller.installation, number, "status", "ok")
        shown = row["status"]
        if row["opposition"] and shown in ("partly_dispensed", "dispensed"):
            shown = "registered"
        return StatusOut(number=number, status=shown, opposition=bool(row["opposition"]))

    return audited(state, holder, caller.installation, number, "status", run)


@router.get("/prescriptions/{number}/dispensings", response_model=DispensingsOut,
            responses={**ERRORS, 404: {"description": "Inconnue"}})
def consult_dispensing(number: str, state: State, caller: PrescriberCaller) -> DispensingsOut:
    holder = caller.holder

    def run() -> DispensingsOut:
        check_number_format(number)
        with state.store.transaction() as conn:
            row = _own_prescription(conn, number, holder.national_id)
            if row["opposition"]:
                raise ApiError(403, "patient_opposition",
                               "Le patient s'est opposé à la consultation des données de délivrance par le prescripteur")
            rows = conn.execute("SELECT * FROM dispensings WHERE number = ? ORDER BY id", (number,)).fetchall()
            state.store.audit(conn, holder.national_id, holder.profession, caller.installation, number,
                              "consult_dispensing", "ok")
        return DispensingsOut(number=number, status=row["status"], dispensings=[
            DispensingRecord(line=r["line"], quantity=r["quantity"], substituted=bool(r["substituted"]),
                             date=r["dispensed_on"], pharmacist=r["pharmacist"]) for r in rows])

    return audited(state, holder, caller.installation, number, "consult_dispensing", run)
