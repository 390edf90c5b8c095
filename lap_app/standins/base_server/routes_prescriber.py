"""Prescriber side: reserve numbers, register, cancel, follow status, consult dispensing."""

from __future__ import annotations

import secrets
import time
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from lap_app.base_client.protocol import SIGNED_NUMBER_GRACE
from lap_app.domain.status import OrdonnanceStatus
from lap_app.standins.base_server.context import (
    BaseState,
    Caller,
    PrescriberCaller,
    State,
    audited,
    check_lookup_allowed,
    check_number_format,
)
from lap_app.standins.base_server.errors import ApiError
from lap_app.standins.base_server.execution_view import (
    AdjustmentOut,
    ExecutableLineOut,
    ExecutionRecordOut,
    adjustment_records,
    current_lines,
    execution_records,
    lines_out,
)
from lap_app.standins.base_server.json_integers import check_integers
from lap_app.standins.base_server.opposition import prescriber_status
from lap_app.standins.base_server.prescrit_access import stored_kind
from lap_app.standins.base_server.registration import Registered, prepare_registration
from lap_app.standins.base_server.status_rules import stored_status

router = APIRouter(prefix="/v1", tags=["prescripteur"])
OPPOSITION_MESSAGE = "Le patient s'est opposé à la consultation des données de délivrance par le prescripteur"

ERRORS: dict[int | str, dict[str, Any]] = {401: {"description": "Jeton ou installation refusés"}, 403: {"description": "Profession ou prescripteur"},
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


def _unguessable_numbers(conn: Any, count: int) -> list[str]:
    """``count`` new numbers: a 14-digit serial drawn from the OS's CSPRNG (46 bits: a guess
    hits one of a million issued numbers about once in 10⁸ tries), unique against every number
    ever issued, and the MOD 97-10 check digits."""
    from lap_app.domain.identifiers import prescription_number_from_serial

    numbers: list[str] = []
    while len(numbers) < count:
        number = prescription_number_from_serial(secrets.randbelow(10 ** 14))
        if number in numbers or conn.execute("SELECT 1 FROM numbers WHERE number = ?", (number,)).fetchone():
            continue  # already issued (once in ~10⁸ draws with a million issued)
        numbers.append(number)
    return numbers


@router.post("/numbers", response_model=NumbersOut, status_code=201, responses=ERRORS)
def reserve_numbers(body: NumbersIn, state: State, caller: PrescriberCaller) -> NumbersOut:
    holder = caller.holder
    now = time.time()
    expires = now + state.config.number_ttl
    with state.store.transaction() as conn:
        numbers = _unguessable_numbers(conn, body.count)
        conn.executemany("INSERT INTO numbers (number, prescriber, reserved_at, expires_at) VALUES (?,?,?,?)",
                         [(n, holder.national_id, now, expires) for n in numbers])
        state.store.audit(conn, holder.national_id, holder.profession, caller.installation, None,
                          "reserve", f"ok:{body.count}")
    return NumbersOut(numbers=numbers, expires_at=expires)


class NumberState(BaseModel):
    number: str
    state: str = Field(description="reserved | used")
    expires_at: float


class NumbersStateOut(BaseModel):
    numbers: list[NumberState]


@router.get("/numbers", response_model=NumbersStateOut, responses=ERRORS)
def numbers_state(state: State, caller: PrescriberCaller) -> NumbersStateOut:
    """The caller's numbers still within reach (reserved, or used), for the client to reconcile its
    pool: a store restored from a backup must never hand out a number already used."""
    holder = caller.holder
    since = time.time() - state.config.number_ttl - SIGNED_NUMBER_GRACE
    with state.store.transaction() as conn:
        rows = conn.execute("SELECT number, state, expires_at FROM numbers WHERE prescriber = ? AND expires_at > ?"
                            " ORDER BY number", (holder.national_id, since)).fetchall()
        state.store.audit(conn, holder.national_id, holder.profession, caller.installation, None,
                          "numbers_state", f"ok:{len(rows)}")
    return NumbersStateOut(numbers=[NumberState(number=r["number"], state=r["state"], expires_at=r["expires_at"])
                                    for r in rows])


@router.put("/prescriptions/{number}", response_model=RegistrationOut, status_code=201,
            responses={**ERRORS, 200: {"description": "Déjà enregistrée à l'identique (rejeu)", "model": RegistrationOut},
                       409: {"description": "Numéro déjà utilisé pour un autre contenu"}})
def register(number: str, body: RegistrationIn, state: State, caller: PrescriberCaller,
             response: Response) -> RegistrationOut:
    # This route documents the operation (OpenAPI); on a served base the lean ASGI path
    # (fast_path.py) answers it first, with the same checks and the same group commit.
    holder = caller.holder

    def run() -> RegistrationOut:
        check_integers(body.bundle, "body.bundle")  # as the lean path refuses them (json_integers.py)
        outcome = prepare_registration(state, caller, number, body.bundle)
        if not isinstance(outcome, Registered):
            outcome = state.store.grouped(outcome)  # acknowledged only once durable (group commit)
        if outcome.replayed:
            response.status_code = 200
        return RegistrationOut(**outcome.body())

    return audited(state, holder, caller.installation, number, "register", run)


def _own_prescription(state: BaseState, caller: Caller, conn: Any, number: str) -> Any:
    """The caller's ordonnance under ``number``. Unknown and another prescriber's answer alike
    (404): both count as a miss towards the unknown-number rate limit, checked first."""
    check_lookup_allowed(state, caller)
    state.store.lock_number(conn, number)  # what is checked here holds until the transaction ends
    row = conn.execute("SELECT * FROM prescriptions WHERE number = ?", (number,)).fetchone()
    if row is None or row["prescriber"] != caller.holder.national_id:
        raise ApiError(404, "unknown_prescription", "Aucune ordonnance enregistrée sous ce numéro pour ce prescripteur")
    return row


@router.post("/prescriptions/{number}/cancel", response_model=StatusOut,
             responses={**ERRORS, 404: {"description": "Inconnue"}, 409: {"description": "Déjà délivrée"},
                        429: {"description": "Trop de numéros inconnus lus : réessayer après Retry-After"}})
def cancel(number: str, state: State, caller: PrescriberCaller) -> StatusOut:
    """Refused once dispensing started, except under the patient's opposition: then the answer
    may not reveal execution, so the cancel is accepted alike (what is left cannot be dispensed)."""
    holder = caller.holder

    def run() -> StatusOut:
        check_number_format(number)
        with state.store.transaction() as conn:
            row = _own_prescription(state, caller, conn, number)
            now, status, cancelled = time.time(), stored_status(row), OrdonnanceStatus.CANCELLED
            if not row["opposition"] and status.tells_dispensing:
                raise ApiError(409, "already_dispensed", "Annulation impossible : la délivrance a commencé")
            # under opposition, an ordonnance dispensed in full keeps its status: only the request is kept
            if status not in (OrdonnanceStatus.DISPENSED, cancelled):
                conn.execute("UPDATE prescriptions SET status = ?, updated_at = ? WHERE number = ?",
                             (cancelled.value, now, number))
            # the moment of the first cancel, which the prescriber's follow-up tells
            conn.execute("UPDATE prescriptions SET cancel_requested_at = coalesce(cancel_requested_at, ?)"
                         " WHERE number = ?", (now, number))
            state.store.audit(conn, holder.national_id, holder.profession, caller.installation, number, "cancel",
                              f"ok:{status.value}")
            return StatusOut(number=number, status=cancelled.value, opposition=bool(row["opposition"]))

    return audited(state, holder, caller.installation, number, "cancel", run)


@router.get("/prescriptions/{number}/status", response_model=StatusOut,
            responses={**ERRORS, 404: {"description": "Inconnue"},
                       429: {"description": "Trop de numéros inconnus lus : réessayer après Retry-After"}})
def status(number: str, state: State, caller: PrescriberCaller) -> StatusOut:
    """The prescriber's view of the status; with the patient's opposition, dispensing progress is hidden."""
    holder = caller.holder

    def run() -> StatusOut:
        check_number_format(number)
        with state.store.transaction() as conn:
            row = _own_prescription(state, caller, conn, number)
            state.store.audit(conn, holder.national_id, holder.profession, caller.installation, number, "status", "ok")
        return StatusOut(number=number, status=prescriber_status(row), opposition=bool(row["opposition"]))

    return audited(state, holder, caller.installation, number, "status", run)


@router.get("/prescriptions/{number}/dispensings", response_model=DispensingsOut,
            responses={**ERRORS, 404: {"description": "Inconnue"},
                       429: {"description": "Trop de numéros inconnus lus : réessayer après Retry-After"}})
def consult_dispensing(number: str, state: State, caller: PrescriberCaller) -> DispensingsOut:
    holder = caller.holder

    def run() -> DispensingsOut:
        check_number_format(number)
        with state.store.transaction() as conn:
            row = _own_prescription(state, caller, conn, number)
            if row["opposition"]:
                raise ApiError(403, "patient_opposition", OPPOSITION_MESSAGE)
            rows = conn.execute("SELECT * FROM dispensings WHERE number = ? ORDER BY id", (number,)).fetchall()
            state.store.audit(conn, holder.national_id, holder.profession, caller.installation, number,
                              "consult_dispensing", "ok")
        return DispensingsOut(number=number, status=prescriber_status(row), dispensings=[
            DispensingRecord(line=r["line"], quantity=r["quantity"], substituted=bool(r["substituted"]),
                             date=r["dispensed_on"], pharmacist=r["pharmacist"]) for r in rows])

    return audited(state, holder, caller.installation, number, "consult_dispensing", run)


class FollowUpOut(BaseModel):
    number: str
    kind: str
    status: str
    lines: list[ExecutableLineOut]
    executions: list[ExecutionRecordOut] = Field(description="Ce qui a été fait, par quelle profession, quand")
    adjustments: list[AdjustmentOut] = Field(description="Ce qui a été ajusté, et comment l'accord a été obtenu")
    cancelled_at: float | None = Field(None, description="Annulée : quand le prescripteur l'a annulée (secondes "
                                                         "depuis 1970)")


@router.get("/prescriptions/{number}/follow-up", response_model=FollowUpOut,
            responses={**ERRORS, 403: {"description": "Profession, ou opposition du patient (`patient_opposition`)"},
                       404: {"description": "Inconnue"},
                       429: {"description": "Trop de numéros inconnus lus : réessayer après Retry-After"}})
def follow_up(number: str, state: State, caller: PrescriberCaller) -> FollowUpOut:
    """The prescriber's follow-up of an ordonnance of any kind: each line (n of N, period k of K),
    every execution and every adjustment; 403 ``patient_opposition`` when the patient objected
    (the opposition as it stands now: the patient may change their mind after the consultation)."""
    holder = caller.holder

    def run() -> FollowUpOut:
        check_number_format(number)
        with state.store.transaction() as conn:
            row = _own_prescription(state, caller, conn, number)
            if row["opposition"]:
                raise ApiError(403, "patient_opposition", OPPOSITION_MESSAGE)
            lines = current_lines(conn, row)
            records = execution_records(conn, number, lines)
            adjustments = adjustment_records(conn, number)
            state.store.audit(conn, holder.national_id, holder.profession, caller.installation, number,
                              "follow_up", "ok")
        return FollowUpOut(number=number, kind=stored_kind(row), status=prescriber_status(row),
                           lines=lines_out(lines, records), executions=records, adjustments=adjustments,
                           cancelled_at=row["cancel_requested_at"])

    return audited(state, holder, caller.installation, number, "follow_up", run)
