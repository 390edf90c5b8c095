"""The prescriber's side after registration: status follow-up, dispensing consultation, cancel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lap_app.base_client import BaseRefused, EPrescriptionBase
from lap_app.base_client.client import wire_status
from lap_app.domain.errors import UserError
from lap_app.domain.identifiers import normalize_prescription_number
from lap_app.domain.status import OrdonnanceStatus
from lap_app.i18n import _
from lap_app.storage import LocalStore


@dataclass(frozen=True, slots=True)
class DispensingLine:
    line: int
    quantity: float
    substituted: bool
    date: str
    pharmacist: str


@dataclass(frozen=True, slots=True)
class DispensingView:
    number: str
    status: OrdonnanceStatus
    records: list[DispensingLine]


def consult_dispensing(client: EPrescriptionBase, number: str, store: LocalStore | None = None) -> DispensingView:
    """What was dispensed; refused (``UserError`` with the base's reason) when not allowed."""
    number = normalize_prescription_number(number)
    try:
        body: dict[str, Any] = client.dispensings(number)
    except BaseRefused as error:
        raise UserError(_("Consultation refusée : {reason}").format(reason=error.reason)) from None
    view = DispensingView(number, wire_status(body), [DispensingLine(
        r["line"], r["quantity"], r["substituted"], r["date"], r["pharmacist"]) for r in body["dispensings"]])
    if store is not None and store.by_number(number) is not None:
        store.set_status(number, view.status)
    return view


def refresh_status(client: EPrescriptionBase, store: LocalStore, number: str) -> OrdonnanceStatus:
    status = client.status(number)
    store.set_status(number, status)
    return status


def cancel(client: EPrescriptionBase, store: LocalStore, number: str) -> OrdonnanceStatus:
    number = normalize_prescription_number(number)
    try:
        status = client.cancel(number)
    except BaseRefused as error:
        raise UserError(_("Annulation refusée : {reason}").format(reason=error.reason)) from None
    store.set_status(number, status)
    return status
