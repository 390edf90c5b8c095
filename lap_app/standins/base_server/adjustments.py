"""A prescrit's adjustment of a line with the prescriber's agreement (« accord du prescripteur »).

What changed (dose, form, quantity, number of sessions, the product replaced), how the
agreement was obtained (téléphone, messagerie sécurisée, autre), when and from whom. The
signed ordonnance is never touched: the adjustment is a record of its own, signed by the
prescrit's card over its canonical JSON (``adjustment_bytes``). A new quantity or number of
sessions becomes what the line allows for later executions.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from pydantic import BaseModel, Field

from lap_app.base_client.protocol import AGREEMENT_MODES, adjustment_content
from lap_app.standins.base_server.status_rules import closed_problems

NEW_LIMIT_FIELDS = ("quantite", "seances")


class ChangeIn(BaseModel):
    field: Literal["dose", "forme", "quantite", "seances", "produit"]
    value: str = Field(min_length=1, max_length=300, description="La nouvelle valeur, en clair (nombre pour quantite et seances)")


class AgreementIn(BaseModel):
    mode: str | None = Field(None, max_length=20, description="telephone | messagerie | autre")
    at: dt.datetime | None = Field(None, description="Quand l'accord a été obtenu")
    given_by: str | None = Field(None, max_length=200, description="Qui l'a donné (le prescripteur, son remplaçant...)")


class AdjustmentIn(BaseModel):
    line: int = Field(ge=1, le=1000)
    changes: list[ChangeIn] = Field(min_length=1, max_length=20)
    agreement: AgreementIn
    certificate: str = Field(max_length=20000, description="Certificat de signature de la carte du prescrit, DER en base64")
    signature: str = Field(max_length=2000, description="RS256 par la carte sur adjustment_bytes, base64")


def adjustment_bytes(number: str, body: Any) -> bytes:
    """What the prescrit's card signs: number, line, changes, agreement as canonical JSON."""
    agreement = body.agreement
    return adjustment_content(number, body.line, [{"field": c.field, "value": c.value} for c in body.changes],
                              agreement.mode, agreement.given_by, agreement.at.isoformat() if agreement.at else None)


def adjustment_problems(body: AdjustmentIn, line_count: int, status: str, registered_at: float,
                        now: float) -> list[dict[str, str]]:
    problems = closed_problems(status, "aucun ajustement possible")
    if body.line > line_count:
        problems.append({"path": "line", "message": f"ligne inexistante (1 à {line_count})"})
    agreement = body.agreement
    if agreement.mode not in AGREEMENT_MODES:
        problems.append({"path": "agreement.mode", "message": "mode de l'accord du prescripteur obligatoire : "
                                                            "telephone, messagerie ou autre"})
    if agreement.at is None:
        problems.append({"path": "agreement.at", "message": "date de l'accord du prescripteur obligatoire"})
    else:
        at = agreement.at.timestamp() if agreement.at.tzinfo else agreement.at.replace(tzinfo=dt.UTC).timestamp()
        if at > now + 300:
            problems.append({"path": "agreement.at", "message": "date de l'accord dans le futur"})
        elif at < registered_at - 86400:
            problems.append({"path": "agreement.at", "message": "accord antérieur à l'ordonnance"})
    if not (agreement.given_by or "").strip():
        problems.append({"path": "agreement.given_by", "message": "auteur de l'accord obligatoire"})
    for i, change in enumerate(body.changes):
        if change.field in NEW_LIMIT_FIELDS and new_limit(change.value) is None:
            problems.append({"path": f"changes[{i}].value", "message": "nombre positif attendu"})
    return problems


def new_limit(value: str) -> float | None:
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        return None
    return number if 0 < number <= 10000 else None


def adjusted_limits(rows: list[Any]) -> dict[int, float]:
    """The latest new quantity or number of sessions per line (``adjustments`` rows in order)."""
    limits: dict[int, float] = {}
    for row in rows:
        for change in json.loads(row["content"])["changes"]:
            if change["field"] in NEW_LIMIT_FIELDS and (limit := new_limit(change["value"])) is not None:
                limits[row["line"]] = limit
    return limits
