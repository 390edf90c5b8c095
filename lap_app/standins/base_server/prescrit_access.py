"""Which kinds of ordonnance a prescrit may read by number and execute (protocol.kinds_carried_out)."""

from __future__ import annotations

import json
from typing import Any

from lap_app.base_client.protocol import kinds_carried_out
from lap_app.domain.kinds import KIND_LABELS
from lap_app.fhir import kind_of_bundle
from lap_app.standins.base_server.context import BaseState, Caller, check_lookup_allowed
from lap_app.standins.base_server.errors import ApiError
from lap_app.standins.base_server.security import Holder


def stored_kind(row: Any, bundle: dict[str, Any] | None = None) -> str:
    """The kind of a ``prescriptions`` row (the base registers only Bundles it could read);
    ``bundle``: its Bundle, when the caller has parsed it already."""
    kind = kind_of_bundle(bundle if bundle is not None else json.loads(row["bundle"]))
    return kind.value if kind is not None else "medicaments"


def check_kind_carried_out(holder: Holder, kind: str) -> None:
    """403 unless the holder's profession carries out this kind of ordonnance."""
    if kind not in kinds_carried_out(holder.profession, holder.specialty):
        label = next((str(text) for k, text in KIND_LABELS.items() if k.value == kind), kind)
        raise ApiError(403, "kind_not_carried_out",
                       f"Ordonnance de type « {label} » : votre profession ne l'exécute pas, lecture refusée")


def prescription_carried_out(state: BaseState, caller: Caller, conn: Any, number: str) -> Any:
    """The ``prescriptions`` row a prescrit (pharmacist or other) asks for by number, locked until
    the transaction ends: 429 once too many unknown numbers were read, 404 unknown, 403 when the
    caller's profession does not carry out its kind."""
    return carried_out_with_bundle(state, caller, conn, number)[0]


def carried_out_with_bundle(state: BaseState, caller: Caller, conn: Any, number: str) -> tuple[Any, dict[str, Any]]:
    """``prescription_carried_out`` and its stored Bundle, parsed once."""
    check_lookup_allowed(state, caller)  # before any lookup
    state.store.lock_number(conn, number)  # what is checked here holds until the transaction ends
    row = conn.execute("SELECT * FROM prescriptions WHERE number = ?", (number,)).fetchone()
    if row is None:
        raise ApiError(404, "unknown_prescription", "Aucune ordonnance enregistrée sous ce numéro")
    bundle = json.loads(row["bundle"])
    check_kind_carried_out(caller.holder, stored_kind(row, bundle))  # e.g. a pharmacist reads no biology, nursing
    return row, bundle
