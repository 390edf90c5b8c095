"""Prescribing: from a draft ordonnance to a signed, registered (or queued) one and its PDF.

The rules every front end obeys live here: the prescriber is the card holder at the practice
(``practice.prescriber_for``, refused while practice details are missing), the ordonnance is
validated, and the safety checks run (``safety``): a contre-indication or an allergy not
acknowledged stops the signature; the acknowledgements are stored with the ordonnance.

The order matters for "never lost": take a number from the local pool, sign, then write the
ordonnance AND its outbox entry in one transaction, and only then talk to the base. Offline
with a reserved number → printed with its QR code and queued; offline with no number left →
a plain paper ordonnance without QR code saying why (CSP R.4073-2).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lap_app.base_client import BaseRefused, BaseUnavailable, EPrescriptionBase
from lap_app.base_client.protocol import PRESCRIBER_PROFESSIONS, SIGNATURE_FORMAT, signed_digest
from lap_app.domain.acknowledgement import Acknowledgement
from lap_app.domain.care_validation import CodeCatalogue
from lap_app.domain.errors import UserError
from lap_app.domain.model import Ordonnance, Signature
from lap_app.domain.status import OrdonnanceStatus
from lap_app.i18n import _
from lap_app.services.card_session import ensure_token, renew_token
from lap_app.services.dmp import PENDING_MESSAGE, DmpState
from lap_app.services.drafting import DraftAlert
from lap_app.services.number_pool import reconcile_once
from lap_app.services.outbox import send_entry
from lap_app.services.practice import practice_of, prescriber_for
from lap_app.services.safety import PatientFacts, acknowledgements_for, review
from lap_app.settings import PracticeSettings
from lap_app.storage import LocalStore

log = logging.getLogger(__name__)

POOL_LOW_WATER = 3  # top the pool up when fewer numbers than this remain
POOL_SIZE = 10
# The renderer prints the R.4073-2 mention; this says what happened.
NO_PATIENT_FACTS = PatientFacts()  # no allergy or treatment known: the lines are checked together
OFFLINE_REASON = _("base des ordonnances numériques injoignable au moment de la prescription")
LOCAL_WRITE_DEFERRED = _("Ordonnance signée et conservée ; son envoi à la base sera repris (écriture locale "
                         "impossible pour l'instant : vérifiez la place sur le disque)")


@dataclass(frozen=True, slots=True)
class PrescriptionOutcome:
    ordonnance_id: int
    number: str | None
    status: OrdonnanceStatus  # registered, waiting or paper
    pdf: bytes
    message: str | None = None  # why it is queued, on paper, or refused (French)
    dmp_message: str | None = None  # where the patient's DMP copy stands (French, lap_app.services.dmp)
    dmp_state: str | None = None  # pending | filed | no_ins | not_filed


def top_up_pool(store: LocalStore, client: EPrescriptionBase, prescriber_id: str) -> None:
    if store.available_numbers(prescriber_id) < POOL_LOW_WATER:
        numbers, expires_at = client.reserve_numbers(POOL_SIZE)
        store.add_numbers(prescriber_id, numbers, expires_at)


def prescribe(ordonnance: Ordonnance, *, card: Any, client: EPrescriptionBase, store: LocalStore,
              opposition: bool = False, page_size: str = "A4", practice: PracticeSettings | None = None,
              patient: PatientFacts = NO_PATIENT_FACTS, acknowledged: Iterable[str] = (),
              drugs: Any = None) -> PrescriptionOutcome:
    """Sign and register ``ordonnance`` with the card (PIN already verified); render its PDF.

    The ordonnance's prescriber becomes the card holder at ``practice`` (None: the practice
    details the draft carries); its number comes from the pool. ``patient``: the allergies and
    current treatments the safety checks use; ``acknowledged``: the ids of the blocking alerts
    the physician acknowledged; ``drugs``: the ``DrugDatabase`` of the calling thread (None:
    this installation's, opened here).
    """
    from lap_app.domain.validation import check_ordonnance
    from lap_app.fhir import to_bundle
    from lap_app.render import render_ordonnance_pdf

    identity = card.identity()
    if identity.profession_code not in PRESCRIBER_PROFESSIONS:
        raise UserError(_("La carte insérée n'est pas celle d'un prescripteur ({label}) : ordonnance non signée").format(
            label=identity.profession_label))
    ordonnance.prescriber = prescriber_for(identity, practice or practice_of(ordonnance.prescriber),
                                           prefix=ordonnance.prescriber.prefix)
    ordonnance.opposition = opposition
    ordonnance.signature = None
    ordonnance.number = None
    catalogue = nomenclature_catalogue(ordonnance)
    check_ordonnance(ordonnance, catalogue=catalogue)  # before spending a number on it
    acknowledgements = acknowledgements_for(_review(drugs, ordonnance, patient), acknowledged,
                                            by=identity.national_id, at=datetime.now(UTC))
    if not ordonnance.kind.registrable:  # imaging, transport: printed only, never sent
        return _paper_only(ordonnance, store, identity.national_id, opposition, page_size, acknowledgements)

    offline_message: str | None = None
    try:
        ensure_token(card, client)
        try:
            reconcile_once(store, client, identity.national_id)  # a restored store must not reuse a number
        except BaseRefused as error:  # a base that cannot list them: the offline rule applies
            log.warning("number pool not reconciled: %s", error.message)
        top_up_pool(store, client, identity.national_id)
    except BaseUnavailable as error:
        offline_message = error.message
        log.warning("base unreachable at prescription time: %s", error.message)

    number = store.reserve_number_for_signing(identity.national_id)
    if number is None:
        if offline_message is None:  # online yet no number: the base refused to give one
            raise UserError(_("La base n'a fourni aucun numéro d'ordonnance"))
        bundle = to_bundle(ordonnance)
        ordonnance_id = store.save_paper(prescriber=identity.national_id, patient_name=ordonnance.patient.display_name,
                                         opposition=opposition, bundle=bundle, reason=offline_message,
                                         acknowledgements=acknowledgements)
        pdf = render_ordonnance_pdf(ordonnance, page_size, offline_reason=OFFLINE_REASON)
        return PrescriptionOutcome(ordonnance_id, None, OrdonnanceStatus.PAPER, pdf, offline_message)

    ordonnance.number = number
    check_ordonnance(ordonnance, catalogue=catalogue)
    bundle = to_bundle(ordonnance)
    certificate = card.sign_certificate_der()
    ordonnance.signature = Signature(when=datetime.now(UTC), signer_id=identity.national_id,
                                     data=card.sign_digest(signed_digest(bundle)), certificate=certificate,
                                     sig_format=SIGNATURE_FORMAT)
    signed = to_bundle(ordonnance)  # the same Bundle, now carrying Bundle.signature
    # The PDF exists, and is on disk with the ordonnance (its DMP copy), before the base hears
    # of it: a full disk after the registration can no longer cost the user the paper.
    pdf = render_ordonnance_pdf(ordonnance, page_size)
    from lap_app.services.dmp import after_prescription, copy_writer  # the patient's copy, through the outbox

    ordonnance_id = store.save_signed(number=number, prescriber=identity.national_id,
                                      patient_name=ordonnance.patient.display_name, opposition=opposition,
                                      bundle=signed, signer_certificate=certificate,
                                      acknowledgements=acknowledgements,
                                      also=copy_writer(number, signed, pdf))
    # From here the ordonnance is safe on disk; the network can fail at will.
    status, message = OrdonnanceStatus.WAITING, offline_message
    if offline_message is None:
        try:
            status = _send_saved(store, client, ordonnance_id, reauthenticate=lambda: renew_token(card, client))
        except (BaseUnavailable, BaseRefused) as error:
            message = error.message
        except Exception:
            log.exception("ordonnance %s saved and queued; sending deferred", number)
            message = LOCAL_WRITE_DEFERRED
        else:
            if status is OrdonnanceStatus.REJECTED:  # a QR code for a refused number would mislead the pharmacist
                stored = store.get(ordonnance_id)
                raise UserError(_("Ordonnance refusée par la base : {reason}").format(
                    reason=(stored.last_error if stored else None) or "?"))
    try:
        dmp = after_prescription(store, client, ordonnance_id, pdf, reauthenticate=lambda: renew_token(card, client))
    except Exception:
        log.exception("DMP step of ordonnance %s deferred", ordonnance_id)
        dmp = DmpState("pending", PENDING_MESSAGE)
    return PrescriptionOutcome(ordonnance_id, number, status, pdf, message, dmp.detail, dmp.state)


def _send_saved(store: LocalStore, client: EPrescriptionBase, ordonnance_id: int,
                reauthenticate: Callable[[], object]) -> OrdonnanceStatus:
    """Register the ordonnance just saved. On the practice server another workstation's flush
    may have sent it already, the moment it was saved: its outbox entry is gone, and the store
    says what the base answered."""
    entry = store.outbox_entry(ordonnance_id)
    if entry is not None:
        return send_entry(store, client, entry, reauthenticate=reauthenticate)
    stored = store.get(ordonnance_id)
    return stored.status if stored is not None else OrdonnanceStatus.WAITING


def _review(drugs: Any, ordonnance: Ordonnance, patient: PatientFacts) -> list[DraftAlert]:
    if not any(line.cis for line in ordonnance.lines):  # no medicine to check (biology, nursing…)
        return []
    if drugs is not None:
        return review(drugs, ordonnance, patient)
    from lap_app.drugs import open_drug_database

    with open_drug_database() as own:
        return review(own, ordonnance, patient)


def nomenclature_catalogue(ordonnance: Ordonnance) -> CodeCatalogue | None:
    """The NABM/LPP nomenclature when the ordonnance has coded analyses or devices (opened
    once per process: a closed or unknown code is refused whatever the front end)."""
    if not (ordonnance.analyses or ordonnance.devices):
        return None
    global _NOMENCLATURES
    if _NOMENCLATURES is None:
        from lap_app.nomenclatures import open_nomenclatures

        _NOMENCLATURES = open_nomenclatures()
    return _NOMENCLATURES


_NOMENCLATURES: CodeCatalogue | None = None


def _paper_only(ordonnance: Ordonnance, store: LocalStore, prescriber_id: str, opposition: bool,
                page_size: str, acknowledgements: list[Acknowledgement]) -> PrescriptionOutcome:
    """Kept in the history as paper, with the reason the page prints; no number, no signature."""
    from lap_app.domain.kinds import PAPER_ONLY_REASONS
    from lap_app.fhir import to_bundle
    from lap_app.render import render_ordonnance_pdf

    reason = _(PAPER_ONLY_REASONS[ordonnance.kind])
    ordonnance_id = store.save_paper(prescriber=prescriber_id, patient_name=ordonnance.patient.display_name,
                                     opposition=opposition, bundle=to_bundle(ordonnance), reason=reason,
                                     acknowledgements=acknowledgements)
    return PrescriptionOutcome(ordonnance_id, None, OrdonnanceStatus.PAPER, render_ordonnance_pdf(ordonnance, page_size),
                               reason)
