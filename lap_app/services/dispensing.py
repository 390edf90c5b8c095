"""The prescriber's side after registration: status refresh, cancel (the follow-up of what was
executed: ``lap_app.services.follow_up``)."""

from __future__ import annotations

from lap_app.base_client import BaseRefused, EPrescriptionBase
from lap_app.domain.errors import UserError
from lap_app.domain.identifiers import normalize_prescription_number
from lap_app.domain.status import OrdonnanceStatus
from lap_app.i18n import _
from lap_app.storage import LocalStore


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
