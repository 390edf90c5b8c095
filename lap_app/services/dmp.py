"""The patient's copy in the DMP: the printed PDF, filed right after the base registered it.

Never lost: the copy is queued (with the printed bytes) in the local store before any network
attempt, and a numbered ordonnance found without a queued copy is queued when the outbox is
flushed. Never filed twice: the document id derives from the prescription number and the
DMP answers a replay of the same document with the first filing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from lap_app.base_client import BaseRefused, BaseUnavailable, EPrescriptionBase
from lap_app.base_client import dmp_protocol as wire
from lap_app.domain.status import OrdonnanceStatus
from lap_app.i18n import _
from lap_app.storage import LocalStore, StoredOrdonnance
from lap_app.storage.dmp_filings import DmpFiling, DmpFilings

log = logging.getLogger(__name__)
MAX_DELAY = 300.0
# Why a copy never goes to the DMP, for the statuses that say so (``OrdonnanceStatus.never_in_dmp``).
NEVER_FILED = {
    OrdonnanceStatus.REJECTED: _("ordonnance refusée par la base"),
    OrdonnanceStatus.PAPER: _("ordonnance papier sans numéro"),
    OrdonnanceStatus.CANCELLED: _("ordonnance annulée"),
}

STATE_LABELS = {
    "pending": _("copie DMP en attente"),
    "filed": _("copie classée dans le DMP"),
    "no_ins": _("copie DMP non classée (patient sans INS)"),
    "not_filed": _("copie DMP non classée"),
}
NO_INS_MESSAGE = _("Patient sans INS : la copie de l'ordonnance n'a pas pu être classée dans son DMP "
                   "(Mon espace santé). Remettez-lui l'ordonnance papier.")
FILED_MESSAGE = _("Copie de l'ordonnance classée dans le DMP du patient (Mon espace santé).")
PENDING_MESSAGE = _("La copie DMP sera classée dès que l'ordonnance sera enregistrée par la base.")


@dataclass(frozen=True, slots=True)
class DmpState:
    state: str  # pending | filed | no_ins | not_filed
    detail: str | None = None  # why it is waiting or not filed (French)

    @property
    def label(self) -> str:
        text = STATE_LABELS.get(self.state, self.state)
        return f"{text} : {self.detail}" if self.detail and self.state in ("pending", "not_filed") else text


# Short marks for a narrow status column (the full labels are STATE_LABELS).
COLUMN_LABELS = {"pending": _("DMP en attente"), "filed": _("DMP ✓"), "no_ins": _("DMP ✗ (sans INS)"),
                 "not_filed": _("DMP ✗")}


def dmp_column_text(store: LocalStore, ordonnance_id: int) -> str:
    """What an ordonnance list shows beside the base status ("" when no copy is due)."""
    state = dmp_state(store, ordonnance_id)
    return COLUMN_LABELS.get(state.state, "") if state else ""


def status_with_dmp(status_text: str, dmp_text: str) -> str:
    return f"{status_text} · {dmp_text}" if dmp_text else status_text


@dataclass(slots=True)
class DmpReport:
    filed: list[str] = field(default_factory=list)  # prescription numbers
    not_filed: dict[str, str] = field(default_factory=dict)  # number -> French reason
    waiting: list[str] = field(default_factory=list)
    error: str | None = None  # why filing stopped early (unreachable)


def _bundle_ins(bundle: dict[str, Any]) -> tuple[str | None, str]:
    for entry in bundle.get("entry") or []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and resource.get("resourceType") == "Patient":
            for ident in resource.get("identifier") or []:
                if isinstance(ident, dict) and ident.get("system") in wire.INS_SYSTEMS and ident.get("value"):
                    return str(ident["value"]), str(ident["system"])
    return None, ""


def bundle_patient_ins(bundle: dict[str, Any]) -> str | None:
    """The patient's INS in an ordonnance's Bundle, if any."""
    return _bundle_ins(bundle)[0]


def _patient_ins(ordonnance: StoredOrdonnance) -> tuple[str | None, str, str]:
    """(INS or None, its system, the patient's name) from the stored Bundle."""
    ins, system = _bundle_ins(ordonnance.bundle)
    return ins, system, ordonnance.patient_name


def copy_writer(number: str, bundle: dict[str, Any], pdf: bytes) -> Callable[[Any, int], None]:
    """The DMP copy's row, written in the transaction that saves the signed ordonnance."""
    from lap_app.storage.dmp_filings import queue_in

    ins, _system = _bundle_ins(bundle)

    def write(conn: Any, ordonnance_id: int) -> None:
        if ins is None:
            queue_in(conn, ordonnance_id, wire.new_document_id(), pdf, "no_ins", NO_INS_MESSAGE)
        else:
            queue_in(conn, ordonnance_id, wire.new_document_id(), pdf)  # opaque; an id already queued is kept

    return write


def queue_copy(store: LocalStore, ordonnance_id: int, pdf: bytes | None) -> DmpState:
    """Queue the DMP copy of a numbered ordonnance with the PDF as printed (before any sending)."""
    ordonnance = store.get(ordonnance_id)
    if ordonnance is None or ordonnance.number is None:
        return DmpState("not_filed", NEVER_FILED[OrdonnanceStatus.PAPER])
    filings = DmpFilings(store)
    ins, _system, _name = _patient_ins(ordonnance)
    if ins is None:
        filings.queue(ordonnance_id, wire.new_document_id(), pdf, "no_ins", NO_INS_MESSAGE)
    else:
        filings.queue(ordonnance_id, wire.new_document_id(), pdf)  # an id already queued is kept
    filing = filings.get(ordonnance_id)
    if filing is None:  # queued just above, in the same store
        raise RuntimeError(f"DMP filing of ordonnance {ordonnance_id} not recorded")
    return DmpState(filing.state, filing.last_error)


def queue_missing(store: LocalStore) -> int:
    """Queue a copy for every numbered ordonnance that has none (a crash before printing)."""
    missing = DmpFilings(store).unqueued_ordonnances()
    for ordonnance_id, _number in missing:
        queue_copy(store, ordonnance_id, None)
    return len(missing)


def copies_waiting(store: LocalStore) -> int:
    """How many DMP copies wait to be filed (queueing any that a crash left unqueued)."""
    queue_missing(store)
    return len(DmpFilings(store).pending())


def dmp_state(store: LocalStore, ordonnance_id: int) -> DmpState | None:
    filing = DmpFilings(store).get(ordonnance_id)
    return DmpState(filing.state, filing.last_error) if filing else None


def _pdf_of(store: LocalStore, ordonnance: StoredOrdonnance, filing: DmpFiling) -> bytes:
    """The printed bytes; rendered again (deterministic renderer) only if the app stopped before printing."""
    if filing.pdf is not None:
        return filing.pdf
    from lap_app.fhir import from_bundle
    from lap_app.render import render_ordonnance_pdf

    pdf = render_ordonnance_pdf(from_bundle(ordonnance.bundle))
    DmpFilings(store).set_pdf(ordonnance.id, pdf)
    return pdf


def build_reference(ordonnance: StoredOrdonnance, pdf: bytes, document_id: str) -> dict[str, Any]:
    from lap_app.domain.identifiers import format_prescription_number
    from lap_app.fhir import from_bundle

    if ordonnance.number is None:
        raise ValueError("a DMP copy needs a registered ordonnance (no prescription number)")
    parsed = from_bundle(ordonnance.bundle)
    ins, system, name = _patient_ins(ordonnance)
    written = parsed.written_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    title = _("Ordonnance du {date} — n° {number}").format(
        date=parsed.written_at.strftime("%d/%m/%Y"), number=format_prescription_number(ordonnance.number))
    return wire.document_reference(
        document_id=document_id, number=ordonnance.number, ins=ins or "",
        ins_system=system, patient_name=name, author_id=ordonnance.prescriber,
        author_name=parsed.prescriber.display_name, date=written, pdf=pdf, title=title)


def file_copy(store: LocalStore, client: EPrescriptionBase, filing: DmpFiling,
              reauthenticate: Callable[[], object] | None = None) -> DmpState:
    """Try to file one queued copy. Raises BaseUnavailable (copy kept for later)."""
    from lap_app.base_client.dmp import DmpClient

    filings = DmpFilings(store)
    ordonnance = store.get(filing.ordonnance_id)
    if ordonnance is None:
        filings.finish(filing.ordonnance_id, "not_filed", "ordonnance introuvable")
        return DmpState("not_filed", "ordonnance introuvable")
    if ordonnance.status.never_in_dmp:
        reason = NEVER_FILED[ordonnance.status]
        filings.finish(filing.ordonnance_id, "not_filed", reason)
        return DmpState("not_filed", reason)
    if not ordonnance.status.fileable_in_dmp:  # still in the base's outbox: the copy follows it
        return DmpState("pending", PENDING_MESSAGE)
    reference = build_reference(ordonnance, _pdf_of(store, ordonnance, filing), filing.document_id)
    dmp = DmpClient(client)  # type: ignore[arg-type]
    for attempt in (1, 2):
        try:
            dmp.file(filing.document_id, reference)
        except BaseUnavailable as error:
            filings.retry_later(filing.ordonnance_id, error.message, min(MAX_DELAY, 5.0 * 2 ** filing.attempts))
            raise
        except BaseRefused as error:
            if error.status == 401 and reauthenticate is not None and attempt == 1:
                reauthenticate()
                continue
            if error.status in (401, 429) or error.status >= 500:  # no verdict on the copy: keep it queued
                filings.retry_later(filing.ordonnance_id, error.message, min(MAX_DELAY, 5.0 * 2 ** filing.attempts))
                raise BaseUnavailable(error.message) from None
            reason = _("refusée par le DMP : {reason}").format(reason=error.message)
            filings.finish(filing.ordonnance_id, "not_filed", reason)
            log.warning("DMP refused the copy of %s: %s", ordonnance.number, error.code)
            return DmpState("not_filed", reason)
        filings.finish(filing.ordonnance_id, "filed")
        return DmpState("filed")
    raise AssertionError("unreachable")


def flush_dmp(store: LocalStore, client: EPrescriptionBase, reauthenticate: Callable[[], object] | None = None,
              *, due_only: bool = False) -> DmpReport:
    """File every queued copy whose ordonnance the base holds (called by the outbox flush)."""
    report = DmpReport()
    queue_missing(store)
    entries = DmpFilings(store).pending(due_only=due_only)
    for index, filing in enumerate(entries):
        ordonnance = store.get(filing.ordonnance_id)
        number = (ordonnance.number if ordonnance else None) or "?"
        try:
            state = file_copy(store, client, filing, reauthenticate)
        except BaseUnavailable as error:
            report.error = error.message
            for rest in entries[index:]:
                stored = store.get(rest.ordonnance_id)
                report.waiting.append((stored.number if stored else None) or "?")
            break
        except Exception as error:  # one bad copy must not block the others
            log.exception("DMP copy of %s failed unexpectedly", number)
            DmpFilings(store).retry_later(filing.ordonnance_id, type(error).__name__, MAX_DELAY)
            report.waiting.append(number)
            continue
        if state.state == "filed":
            report.filed.append(number)
        elif state.state == "pending":
            report.waiting.append(number)
        else:
            report.not_filed[number] = state.detail or ""
    return report


def after_prescription(store: LocalStore, client: EPrescriptionBase, ordonnance_id: int, pdf: bytes,
                       reauthenticate: Callable[[], object] | None = None) -> DmpState:
    """The prescribing flow's DMP step: queue the printed PDF, file it if the base has the
    ordonnance. Never raises for the network: the copy stays queued. ``label`` is what to tell."""
    state = queue_copy(store, ordonnance_id, pdf)
    if state.state == "pending":
        filing = DmpFilings(store).get(ordonnance_id)
        try:
            if filing is not None:
                state = file_copy(store, client, filing, reauthenticate)
        except (BaseUnavailable, BaseRefused) as error:
            log.info("DMP copy of ordonnance %s queued: %s", ordonnance_id, error.message)
            return DmpState("pending", _("Copie DMP en attente d'envoi : {reason}").format(reason=error.message))
        except Exception:  # the prescription is done; the flush will retry the copy
            log.exception("DMP copy of ordonnance %s failed unexpectedly", ordonnance_id)
            return DmpState("pending", _("Copie DMP en attente d'envoi."))
    if state.state == "filed":
        return DmpState("filed", FILED_MESSAGE)
    if state.state == "no_ins":
        return DmpState("no_ins", NO_INS_MESSAGE)
    if state.state == "pending":
        return DmpState("pending", PENDING_MESSAGE)
    return DmpState(state.state, _("La copie de l'ordonnance n'a pas pu être classée dans le DMP : {reason}").format(
        reason=state.detail or "?"))
