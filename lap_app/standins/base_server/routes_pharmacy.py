"""Pharmacy side: read an ordonnance by its number, record dispensing per line."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from lap_app.base_client.protocol import medication_requests, medication_summary
from lap_app.standins.base_server.context import (
    BaseState,
    Caller,
    PharmacistCaller,
    State,
    audited,
    check_number_format,
)
from lap_app.standins.base_server.dispensing_rules import dispensing_problems, french_day
from lap_app.standins.base_server.errors import ApiError
from lap_app.standins.base_server.execution_view import current_lines, execution_records, line_history
from lap_app.standins.base_server.periods import period_problems
from lap_app.standins.base_server.prescrit_access import prescription_carried_out
from lap_app.standins.base_server.routes_prescriber import DispensingRecord
from lap_app.standins.base_server.status_rules import check_still_open, status_after

router = APIRouter(prefix="/v1/pharmacy", tags=["pharmacie"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Jeton ou installation refusés"},
    403: {"description": "Pas un pharmacien, ou une ordonnance qu'un pharmacien n'exécute pas"},
    404: {"description": "Numéro inconnu"}, 410: {"description": "Ordonnance annulée ou entièrement délivrée"},
    429: {"description": "Trop de numéros inconnus lus : réessayer après Retry-After"},
    422: {"description": "Requête invalide"}}


class LineOut(BaseModel):
    line: int
    text: str
    dosage: str
    substitution_allowed: bool
    dispensed_quantity: float


class PrescriptionOut(BaseModel):
    number: str
    status: str
    bundle: dict[str, Any]
    lines: list[LineOut]
    dispensings: list[DispensingRecord]


class DispenseLineIn(BaseModel):
    line: int = Field(ge=1, le=1000)
    quantity: float = Field(gt=0, le=10000)
    substituted: bool = False
    date: dt.date | None = None


class DispenseIn(BaseModel):
    lines: list[DispenseLineIn] = Field(min_length=1, max_length=1000)
    complete: bool = Field(description="Délivrance complète : le numéro est ensuite clos")


def _open_prescription(state: BaseState, caller: Caller, conn: Any, number: str) -> Any:
    row = prescription_carried_out(state, caller, conn, number)
    check_still_open(row, "Ordonnance déjà entièrement délivrée : numéro clos")
    return row


def _view(conn: Any, row: Any) -> PrescriptionOut:
    bundle = json.loads(row["bundle"])
    records = conn.execute("SELECT * FROM dispensings WHERE number = ? ORDER BY id", (row["number"],)).fetchall()
    totals: dict[int, float] = {}
    for r in records:
        totals[r["line"]] = totals.get(r["line"], 0.0) + r["quantity"]
    lines = []
    for index, request in enumerate(medication_requests(bundle), start=1):
        text, dosage, substitution_allowed = medication_summary(request)
        lines.append(LineOut(line=index, text=text, dosage=dosage, substitution_allowed=substitution_allowed,
                             dispensed_quantity=totals.get(index, 0.0)))
    return PrescriptionOut(number=row["number"], status=row["status"], bundle=bundle, lines=lines, dispensings=[
        DispensingRecord(line=r["line"], quantity=r["quantity"], substituted=bool(r["substituted"]),
                         date=r["dispensed_on"], pharmacist=r["pharmacist"]) for r in records])


def _period_problems(conn: Any, row: Any, items: list[DispenseLineIn]) -> list[dict[str, str]]:
    """A renewal (or the next month of a longer treatment) delivered too early: the same rule as
    the prescrit route (periods.py), over the one ledger of dispensings."""
    lines = current_lines(conn, row)
    by_index = {line.medicine_index: line.line for line in lines if line.medicine_index is not None}
    today = french_day(time.time())
    return period_problems(lines, line_history(execution_records(conn, row["number"], lines)), [
        (f"lines[{i}].quantity", by_index[item.line], item.date or today, item.quantity)
        for i, item in enumerate(items) if item.line in by_index])


@router.get("/prescriptions/{number}", response_model=PrescriptionOut, responses=ERRORS)
def read(number: str, state: State, caller: PharmacistCaller) -> PrescriptionOut:
    holder = caller.holder

    def run() -> PrescriptionOut:
        check_number_format(number)
        with state.store.transaction() as conn:
            row = _open_prescription(state, caller, conn, number)
            state.store.audit(conn, holder.national_id, holder.profession, caller.installation, number, "read", "ok")
            return _view(conn, row)

    return audited(state, holder, caller.installation, number, "read", run)


@router.post("/prescriptions/{number}/dispensings", response_model=PrescriptionOut, responses=ERRORS)
def dispense(number: str, body: DispenseIn, state: State, caller: PharmacistCaller) -> PrescriptionOut:
    holder = caller.holder

    def run() -> PrescriptionOut:
        check_number_format(number)
        with state.store.transaction() as conn:
            row = _open_prescription(state, caller, conn, number)
            bundle = json.loads(row["bundle"])
            already: dict[int, float] = {}
            for record in conn.execute("SELECT line, quantity FROM dispensings WHERE number = ?", (number,)):
                already[record["line"]] = already.get(record["line"], 0.0) + record["quantity"]
            problems = dispensing_problems(bundle, row["registered_at"], already, body.lines, time.time())
            problems += _period_problems(conn, row, body.lines)
            if problems:
                raise ApiError(422, "invalid_dispensing", "Délivrance refusée", problems)
            now = time.time()
            conn.executemany(
                "INSERT INTO dispensings (number, line, quantity, substituted, dispensed_on, pharmacist, recorded_at)"
                " VALUES (?,?,?,?,?,?,?)",
                [(number, item.line, item.quantity, int(item.substituted), (item.date or french_day(now)).isoformat(),
                  holder.national_id, now) for item in body.lines])
            new_status = status_after(body.complete).value
            conn.execute("UPDATE prescriptions SET status = ?, updated_at = ? WHERE number = ?", (new_status, now, number))
            state.store.audit(conn, holder.national_id, holder.profession, caller.installation, number,
                              "dispense", f"ok:{new_status}")
            return _view(conn, conn.execute("SELECT * FROM prescriptions WHERE number = ?", (number,)).fetchone())

    return audited(state, holder, caller.installation, number, "dispense", run)
