"""What was done of an ordonnance, as both the prescrit (its read) and the prescriber (its
follow-up) see it: each line with what it allows and what was done, every execution record
(medicines from the one ledger shared with the pharmacy route), every adjustment."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

from pydantic import BaseModel, Field

from lap_app.base_client.protocol import b64e
from lap_app.standins.base_server.adjustments import adjusted_limits
from lap_app.standins.base_server.execution_rules import ExecutableLine, executable_lines
from lap_app.standins.base_server.periods import period_state
from lap_app.standins.base_server.prescrit_access import stored_kind


class ExecutableLineOut(BaseModel):
    line: int
    type: str = Field(description="medicament | dispositif | analyse | soin | seance")
    text: str
    code: str | None
    prescribed: float | None = Field(description="Ce que l'ordonnance prescrit en tout (boîtes, unités, séances...) ;"
                                     " null si elle ne fixe pas de total (médicament sans nombre de boîtes)")
    done: float = Field(description="Déjà réalisé (« séance n sur N »)")
    substitution_allowed: bool
    supply: str | None
    per_period: float | None = Field(None, description="Renouvellements, soins séquencés : autant par période...")
    period_days: float | None = Field(None, description="... de tant de jours")
    period: int | None = Field(None, description="Période atteinte (« période k sur K » ; 0 : rien de fait)")
    periods: int | None = Field(None, description="Nombre de périodes prescrites (K)")
    next_from: dt.date | None = Field(None, description="Jour d'ouverture de la période suivante, la courante pleine")


class ExecutionRecordOut(BaseModel):
    line: int
    done: bool
    amount: float
    date: dt.date
    by: str
    profession: str
    detail: dict[str, Any]


class AdjustmentOut(BaseModel):
    id: str
    line: int
    changes: list[dict[str, str]]
    agreement: dict[str, str | None]
    by: str
    profession: str
    recorded_at: float
    signature: str = Field(description="RS256 de la carte du prescrit sur le contenu signé, base64")


def current_lines(conn: Any, row: Any, bundle: dict[str, Any] | None = None) -> list[ExecutableLine]:
    """The ordonnance's lines, with what the prescriber agreed to since (a new quantity or number
    of sessions) as what each allows (``bundle``: the stored Bundle, when already parsed)."""
    bundle = bundle if bundle is not None else json.loads(row["bundle"])
    lines = executable_lines(bundle, stored_kind(row, bundle))
    limits = adjusted_limits(conn.execute("SELECT line, content FROM adjustments WHERE number = ? ORDER BY rowid",
                                          (row["number"],)).fetchall())
    return [dataclasses.replace(x, prescribed=limits[x.line], stated=True) if x.line in limits else x for x in lines]


def line_history(records: list[ExecutionRecordOut]) -> dict[int, list[tuple[dt.date, float]]]:
    """Each line's done records, (day, amount), in recording order."""
    history: dict[int, list[tuple[dt.date, float]]] = {}
    for record in records:
        if record.amount > 0:
            history.setdefault(record.line, []).append((record.date, record.amount))
    return history


def execution_records(conn: Any, number: str, lines: list[ExecutableLine]) -> list[ExecutionRecordOut]:
    """Every execution record, medicines' dispensings first, each group in recording order."""
    by_medicine = {line.medicine_index: line.line for line in lines if line.medicine_index is not None}
    records = [ExecutionRecordOut(line=by_medicine.get(r["line"], r["line"]), done=True, amount=r["quantity"],
                                  date=r["dispensed_on"], by=r["pharmacist"], profession="21",
                                  detail={"substituted": bool(r["substituted"])})
               for r in conn.execute("SELECT * FROM dispensings WHERE number = ? ORDER BY id", (number,))]
    records += [ExecutionRecordOut(line=r["line"], done=bool(r["done"]), amount=r["amount"], date=r["done_on"],
                                   by=r["actor"], profession=r["profession"], detail=json.loads(r["detail"]))
                for r in conn.execute("SELECT l.*, e.actor, e.profession FROM execution_lines l JOIN executions e"
                                      " ON e.id = l.execution WHERE l.number = ? ORDER BY l.id", (number,))]
    return records


def adjustment_records(conn: Any, number: str) -> list[AdjustmentOut]:
    out = []
    for r in conn.execute("SELECT * FROM adjustments WHERE number = ? ORDER BY rowid", (number,)):
        content = json.loads(r["content"])
        out.append(AdjustmentOut(id=r["id"], line=r["line"], changes=content["changes"],
                                 agreement=content["agreement"], by=r["actor"], profession=r["profession"],
                                 recorded_at=r["recorded_at"], signature=b64e(r["signature"])))
    return out


def lines_out(lines: list[ExecutableLine], records: list[ExecutionRecordOut]) -> list[ExecutableLineOut]:
    history = line_history(records)
    out = []
    for x in lines:
        state = period_state(x, history.get(x.line, []))
        out.append(ExecutableLineOut(
            line=x.line, type=x.type, text=x.text, code=x.code, prescribed=x.written,
            done=sum(amount for _day, amount in history.get(x.line, [])), substitution_allowed=x.substitution_allowed,
            supply=x.supply, per_period=x.per_period, period_days=x.period_days,
            period=state.period if state else None, periods=state.periods if state else None,
            next_from=state.next_from if state else None))
    return out
