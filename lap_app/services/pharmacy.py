"""The pharmacy side: read an ordonnance by its number (as scanned), record what was dispensed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lap_app.base_client import BaseRefused, EPrescriptionBase
from lap_app.base_client.client import wire_status
from lap_app.base_client.protocol import medication_requests, medication_summary
from lap_app.domain.errors import UserError
from lap_app.domain.identifiers import normalize_prescription_number
from lap_app.domain.status import OrdonnanceStatus
from lap_app.i18n import _
from lap_app.storage.execution_journal import ExecutionJournal


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


def dispense(client: EPrescriptionBase, journal: ExecutionJournal, number: str,
             lines: list[tuple[int, float, bool]] | None, *, complete: bool) -> PharmacyView:
    """Record dispensing: ``lines`` as (line, quantity, substituted); None = every line once,
    complete. Through the prescrit's journal, as ``lap-app prescrit execute``
    (``prescrit.send_execution``): an execution id kept before sending, the same one when the
    command is typed again after a lost answer or a crash, so that the base replays it and never
    records the boxes twice; the base out of reach, it stays kept for the next command."""
    from lap_app.services.prescrit import LineExecution, read_ordonnance, send_execution

    number = normalize_prescription_number(number)
    if lines is None:
        current = read_ordonnance(client, number)
        lines = [(line.line, 1.0, False) for line in current.lines if line.type == "medicament"]
        complete = True
    executions = [LineExecution(n, quantity=q, substituted=s) for n, q, s in lines]
    view = send_execution(client, journal, number, executions, complete=complete)
    bundle = view.body["bundle"]
    requests = medication_requests(bundle)
    return PharmacyView(view.number, view.status, view.patient, view.prescriber, [
        PharmacyLine(line.line, *medication_summary(requests[line.line - 1]), line.done)
        for line in view.lines if line.type == "medicament" and line.line <= len(requests)], bundle)
