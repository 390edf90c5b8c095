"""The pharmacy side: read an ordonnance by its number (as scanned), record what was dispensed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from lap_app.base_client import BaseRefused, EPrescriptionBase
from lap_app.base_client.client import wire_status
from lap_app.domain.errors import UserError
from lap_app.domain.identifiers import normalize_prescription_number
from lap_app.domain.status import OrdonnanceStatus
from lap_app.i18n import _


@dataclass(frozen=True, slots=True)
class PharmacyLine:
    line: int
    text: str
    dosage: str
    substitution_allowed: bool
    dispensed_quantity: float


@dataclass(frozen=True, slots=True)
class PharmacyView:
    number: str
    status: OrdonnanceStatus
    patient: str
    prescriber: str
    lines: list[PharmacyLine]
    bundle: dict[str, Any]


def _view(body: dict[str, Any]) -> PharmacyView:
    from lap_app.services.prescrit import bundle_names

    patient, prescriber = bundle_names(body["bundle"])
    return PharmacyView(body["number"], wire_status(body), patient, prescriber,
                        [PharmacyLine(**line) for line in body["lines"]], body["bundle"])


def _refused(action: str, error: BaseRefused) -> UserError:
    return UserError(_("{action} impossible : {reason}").format(action=action, reason=error.message))


def read_prescription(client: EPrescriptionBase, number: str) -> PharmacyView:
    number = normalize_prescription_number(number)
    try:
        return _view(client.pharmacy_read(number))
    except BaseRefused as error:
        raise _refused(_("Lecture"), error) from None


def dispense(client: EPrescriptionBase, number: str, lines: list[tuple[int, float, bool]] | None,
             *, complete: bool, on: date | None = None) -> PharmacyView:
    """Record dispensing: ``lines`` as (line, quantity, substituted); None = every line once, complete."""
    number = normalize_prescription_number(number)
    try:
        if lines is None:
            current = _view(client.pharmacy_read(number))
            lines = [(line.line, 1.0, False) for line in current.lines]
            complete = True
        payload = [{"line": n, "quantity": q, "substituted": s, **({"date": on.isoformat()} if on else {})}
                   for n, q, s in lines]
        return _view(client.pharmacy_dispense(number, payload, complete))
    except BaseRefused as error:
        raise _refused(_("Délivrance"), error) from None
