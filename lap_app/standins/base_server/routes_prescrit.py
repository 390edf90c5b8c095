"""Every prescrit (pharmacy, lab, nurse, physiotherapist, ..., device supplier): read an
ordonnance by its number, for the kinds its profession carries out; record its execution
line by line.

An execution is a PUT under an id the prescrit's software chooses: a retry after a lost answer
(or a kill -9 of either side) replays it, never records it twice.
"""

from __future__ import annotations

import binascii
import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable
from typing import Any, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from lap_app.base_client.protocol import b64d
from lap_app.standins.base_server.adjustments import AdjustmentIn, adjustment_bytes, adjustment_problems
from lap_app.standins.base_server.context import (
    BaseState,
    Caller,
    PrescritCaller,
    State,
    audited,
    check_number_format,
)
from lap_app.standins.base_server.dispensing_rules import french_day
from lap_app.standins.base_server.errors import ApiError
from lap_app.standins.base_server.execution_rules import ExecutableLine, amount, execution_problems
from lap_app.standins.base_server.execution_view import (
    AdjustmentOut,
    ExecutableLineOut,
    ExecutionRecordOut,
    adjustment_records,
    current_lines,
    execution_records,
    line_history,
    lines_out,
)
from lap_app.standins.base_server.prescrit_access import (
    carried_out_with_bundle,
    prescription_carried_out,
    stored_kind,
)
from lap_app.standins.base_server.security import SIGNATURE, verify_rs256
from lap_app.standins.base_server.status_rules import check_still_open, status_after

router = APIRouter(prefix="/v1/prescrit", tags=["prescrits"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Jeton ou installation refusés"},
    403: {"description": "Profession qui n'exécute pas ce type d'ordonnance"},
    404: {"description": "Numéro inconnu"}, 409: {"description": "Identifiant d'exécution déjà utilisé autrement"},
    410: {"description": "Ordonnance annulée ou entièrement exécutée (lecture)"},
    422: {"description": "Exécution refusée : liste de tous les problèmes, rien n'est enregistré"},
    429: {"description": "Trop de numéros inconnus lus : réessayer après Retry-After"}}
EXECUTION_ID = r"^[A-Za-z0-9_-]{8,64}$"


class PrescritViewOut(BaseModel):
    number: str
    kind: str
    status: str
    bundle: dict[str, Any]
    lines: list[ExecutableLineOut]
    executions: list[ExecutionRecordOut]
    adjustments: list[AdjustmentOut] = []
    replayed: bool = False


class ExecutionLineIn(BaseModel):
    line: int = Field(ge=1, le=1000)
    done: bool = Field(True, description="Faux : acte non réalisé, avec son motif")
    reason: str | None = Field(None, max_length=500)
    count: int = Field(1, ge=1, le=1000, description="Séances, visites, actes, analyses ou unités réalisés")
    quantity: float | None = Field(None, gt=0, le=10000, description="Médicaments : boîtes délivrées")
    substituted: bool = False
    date: dt.date | None = Field(None, description="Jour de réalisation (défaut : aujourd'hui)")
    code: str | None = Field(None, max_length=20, description="Code réalisé (NABM, LPP) : doit être celui de la ligne")
    act: str | None = Field(None, max_length=300, description="Soins : l'acte réalisé lors de la visite")
    supply: Literal["achat", "location"] | None = None
    until: dt.date | None = Field(None, description="Dispositif loué : fin de la location")


class ExecutionIn(BaseModel):
    lines: list[ExecutionLineIn] = Field(min_length=1, max_length=1000)
    complete: bool = Field(False, description="Exécution terminée : le numéro est ensuite clos")


def _view(conn: Any, row: Any, replayed: bool = False, *, status: str | None = None,
          bundle: dict[str, Any] | None = None, lines: list[ExecutableLine] | None = None) -> PrescritViewOut:
    """The answer of every route (``status``, ``bundle``, ``lines``: as the route just wrote or
    read them, the stored Bundle parsed once)."""
    bundle = bundle if bundle is not None else json.loads(row["bundle"])
    lines = lines if lines is not None else current_lines(conn, row, bundle)
    records = execution_records(conn, row["number"], lines)
    return PrescritViewOut(number=row["number"], kind=stored_kind(row, bundle), status=status or row["status"],
                           bundle=bundle, replayed=replayed,
                           adjustments=adjustment_records(conn, row["number"]), lines=lines_out(lines, records),
                           executions=records)


@router.get("/prescriptions/{number}", response_model=PrescritViewOut, responses=ERRORS, name="prescrit_read")
def read(number: str, state: State, caller: PrescritCaller) -> PrescritViewOut:
    """The ordonnance and what was done of each line, for a prescrit whose profession carries it out."""
    holder = caller.holder

    def run() -> PrescritViewOut:
        check_number_format(number)
        with state.store.transaction() as conn:
            row, bundle = carried_out_with_bundle(state, caller, conn, number)
            check_still_open(row, "Ordonnance entièrement exécutée : numéro clos")
            state.store.audit(conn, holder.national_id, holder.profession, caller.installation, number,
                              "prescrit_read", "ok")
            return _view(conn, row, bundle=bundle)

    return audited(state, holder, caller.installation, number, "prescrit_read", run)


@router.put("/prescriptions/{number}/executions/{execution_id}", response_model=PrescritViewOut, responses=ERRORS)
def execute(number: str, body: ExecutionIn, state: State, caller: PrescritCaller,
            execution_id: str = Path(pattern=EXECUTION_ID, description="Choisi par le logiciel du prescrit")
            ) -> PrescritViewOut:
    """Record an execution; the same id with the same content is a replay (200, ``replayed``)."""
    write = execution_write(state, caller, number, execution_id, body)

    def run() -> PrescritViewOut:
        check_number_format(number)
        with state.store.transaction() as conn:
            return write(conn)

    return audited(state, caller.holder, caller.installation, number, "execute", run)


def execution_write(state: BaseState, caller: Caller, number: str, execution_id: str,
                    body: ExecutionIn) -> Callable[[Any], PrescritViewOut]:
    """The transaction of ``PUT .../executions/{execution_id}`` once the request is read (also
    run by the lean path, ``fast_path.py``): raises ApiError, writing nothing."""
    holder = caller.holder
    content = hashlib.sha256(body.model_dump_json().encode()).hexdigest()

    def write(conn: Any) -> PrescritViewOut:
        row, bundle = carried_out_with_bundle(state, caller, conn, number)
        earlier = conn.execute("SELECT * FROM executions WHERE id = ?", (execution_id,)).fetchone()
        if earlier is not None:
            if (earlier["number"], earlier["actor"], earlier["content_sha256"]) != (number, holder.national_id,
                                                                                  content):
                raise ApiError(409, "execution_id_reused",
                               "Identifiant d'exécution déjà utilisé pour un autre contenu")
            return _replayed(state, caller, conn, row, "execute")
        lines = current_lines(conn, row, bundle)
        now = time.time()
        history = line_history(execution_records(conn, number, lines))
        problems = execution_problems(lines, row["status"], row["registered_at"], history, body.lines, now)
        if problems:
            raise ApiError(422, "invalid_execution", "Exécution refusée : rien n'a été enregistré", problems)
        _record(conn, number, execution_id, holder.national_id, holder.profession, content, lines, body, now)
        new_status = status_after(body.complete).value
        conn.execute("UPDATE prescriptions SET status = ?, updated_at = ? WHERE number = ?", (new_status, now, number))
        state.store.audit(conn, holder.national_id, holder.profession, caller.installation, number,
                          "execute", f"ok:{new_status}")
        return _view(conn, row, status=new_status, bundle=bundle, lines=lines)

    return write


def _replayed(state: BaseState, caller: Caller, conn: Any, row: Any, action: str) -> PrescritViewOut:
    """The first answer again, nothing recorded twice; audited like any access (as a replayed
    registration is)."""
    holder = caller.holder
    state.store.audit(conn, holder.national_id, holder.profession, caller.installation, row["number"], action,
                      "replayed")
    return _view(conn, row, replayed=True)


def _record(conn: Any, number: str, execution_id: str, actor: str, profession: str, content: str,
            lines: list[Any], body: ExecutionIn, now: float) -> None:
    conn.execute("INSERT INTO executions (id, number, actor, profession, content_sha256, recorded_at)"
                 " VALUES (?,?,?,?,?,?)", (execution_id, number, actor, profession, content, now))
    today = french_day(now)
    for item in body.lines:
        line = lines[item.line - 1]
        day = (item.date or today).isoformat()
        if line.medicine_index is not None and item.done:  # medicines: one ledger with the pharmacy route
            conn.execute("INSERT INTO dispensings (number, line, quantity, substituted, dispensed_on, pharmacist,"
                         " recorded_at) VALUES (?,?,?,?,?,?,?)",
                         (number, line.medicine_index, amount(item), int(item.substituted), day, actor, now))
            continue
        detail = {key: value for key, value in (
            ("count", item.count), ("reason", item.reason), ("act", item.act), ("code", item.code),
            ("supply", item.supply), ("until", item.until.isoformat() if item.until else None),
            ("substituted", item.substituted or None)) if value is not None}
        conn.execute("INSERT INTO execution_lines (execution, number, line, done, amount, done_on, detail)"
                     " VALUES (?,?,?,?,?,?,?)", (execution_id, number, item.line, int(item.done), amount(item), day,
                                                 json.dumps(detail, ensure_ascii=False)))


@router.put("/prescriptions/{number}/adjustments/{adjustment_id}", response_model=PrescritViewOut,
            responses=ERRORS)
def adjust(number: str, body: AdjustmentIn, state: State, caller: PrescritCaller,
           adjustment_id: str = Path(pattern=EXECUTION_ID, description="Choisi par le logiciel du prescrit")
           ) -> PrescritViewOut:
    """Record an adjustment of a line agreed by the prescriber, signed by the prescrit's card;
    the ordonnance stays as signed. The same id with the same content is a replay."""
    holder = caller.holder
    signed = adjustment_bytes(number, body)

    def run() -> PrescritViewOut:
        check_number_format(number)
        with state.store.transaction() as conn:
            row = prescription_carried_out(state, caller, conn, number)
            earlier = conn.execute("SELECT * FROM adjustments WHERE id = ?", (adjustment_id,)).fetchone()
            if earlier is not None:
                if (earlier["number"], earlier["actor"], earlier["content"]) != (number, holder.national_id,
                                                                                 signed.decode("utf-8")):
                    raise ApiError(409, "adjustment_id_reused",
                                   "Identifiant d'ajustement déjà utilisé pour un autre contenu")
                return _replayed(state, caller, conn, row, "adjust")
            now = time.time()
            problems = adjustment_problems(body, len(current_lines(conn, row)), row["status"], row["registered_at"], now)
            certificate, signature = _signature_problems(state, holder.national_id, body, signed, problems)
            if problems:
                raise ApiError(422, "invalid_adjustment", "Ajustement refusé : rien n'a été enregistré", problems)
            conn.execute("INSERT INTO adjustments (id, number, line, actor, profession, content, signature,"
                         " certificate, recorded_at) VALUES (?,?,?,?,?,?,?,?,?)",
                         (adjustment_id, number, body.line, holder.national_id, holder.profession,
                          signed.decode("utf-8"), signature, certificate, now))
            state.store.audit(conn, holder.national_id, holder.profession, caller.installation, number,
                              "adjust", f"ok:{body.agreement.mode}")
            return _view(conn, row)

    return audited(state, holder, caller.installation, number, "adjust", run)


def _signature_problems(state: BaseState, national_id: str, body: AdjustmentIn, signed: bytes,
                        problems: list[dict[str, str]]) -> tuple[bytes, bytes]:
    """The certificate and signature, once checked: the caller's own card, signature key, valid."""
    try:
        certificate, signature = b64d(body.certificate), b64d(body.signature)
    except (binascii.Error, ValueError):
        problems.append({"path": "signature", "message": "signature ou certificat illisible (base64 attendu)"})
        return b"", b""
    try:
        cert, signer = state.certificates.check(certificate, SIGNATURE)
    except ApiError as refused:
        problems.append({"path": "certificate", "message": refused.message})
        return certificate, signature
    if signer.national_id != national_id:
        problems.append({"path": "certificate", "message": "certificat d'une autre carte que celle authentifiée"})
    elif not verify_rs256(cert, signature, signed):
        problems.append({"path": "signature", "message": "signature de la carte invalide pour cet ajustement"})
    return certificate, signature
