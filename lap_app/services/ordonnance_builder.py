"""The ordonnance to sign, made from what the physician wrote: the draft's lines, the patient
chosen, the card holder at the practice. The GUI calls it; the CLI reads a whole ordonnance
from a Bundle and goes through the same prescriber and checks in ``prescribing.prescribe``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from lap_app.domain.errors import UserError
from lap_app.domain.kinds import OrdonnanceKind
from lap_app.domain.model import Ordonnance, Patient, PrescriptionLine
from lap_app.i18n import _
from lap_app.services.care_drafting import CareDraft
from lap_app.services.patients import PatientRecord, PatientService
from lap_app.services.practice import CardHolder, prescriber_for
from lap_app.services.safety import PatientFacts
from lap_app.settings import PracticeSettings


def build_ordonnance(holder: CardHolder | None, practice: PracticeSettings, record: PatientRecord | None,
                     lines: Sequence[PrescriptionLine], *, now: datetime | None = None) -> Ordonnance:
    """The ordonnance to sign, or a ``UserError`` saying what is missing (a ``ValidationError``
    lists every problem of the ordonnance itself)."""
    from lap_app.domain.validation import check_ordonnance

    if holder is None:
        raise UserError(_("Connectez-vous avec votre carte CPS avant de valider."))
    if record is None:
        raise UserError(_("Choisissez d'abord le patient."))
    if not lines:
        raise UserError(_("L'ordonnance ne contient aucune ligne."))
    ordonnance = Ordonnance(
        prescriber=prescriber_for(holder, practice),  # PracticeIncomplete names what is missing
        patient=record.to_patient(),
        lines=list(lines),
        written_at=now or datetime.now(UTC).astimezone(),
        opposition=record.opposition,
    )
    check_ordonnance(ordonnance)
    return ordonnance


def patient_facts(record: PatientRecord | None) -> PatientFacts:
    """What the safety checks need from the patient's record (allergies, long-term treatments)."""
    if record is None:
        return PatientFacts()
    return PatientFacts(allergies=tuple(record.allergies), current_cis=tuple(record.treatment_cis))


def recorded_patient_facts(patients: PatientService, patient: Patient, allergies: Sequence[str] = ()) -> PatientFacts:
    """The checks' facts for an ordonnance written elsewhere (``lap-app prescribe``): what the
    practice records of the patient found by INS (allergies, long-term treatments), as the GUI
    checks them, plus the ``allergies`` given with it."""
    recorded = patient_facts(patients.by_ins(patient.ins))
    return PatientFacts(allergies=tuple(dict.fromkeys((*recorded.allergies, *allergies))),
                        current_cis=recorded.current_cis)


def build_consultation(holder: CardHolder | None, practice: PracticeSettings, record: PatientRecord | None,
                       medicine_lines: Sequence[PrescriptionLine], care: CareDraft) -> list[Ordonnance]:
    """The ordonnances of a consultation, medicines first (then one per kind of care), or a
    ``UserError`` when nothing can be built; each is validated when the consultation is signed."""
    from lap_app.services.care_drafting import build_ordonnances

    if holder is None:
        raise UserError(_("Connectez-vous avec votre carte CPS avant de valider."))
    if record is None:
        raise UserError(_("Choisissez d'abord le patient."))
    prescriber = prescriber_for(holder, practice)  # PracticeIncomplete names what is missing
    patient = record.to_patient()
    out = []
    devices = care.lines[OrdonnanceKind.MEDICAMENTS]  # LPP devices the pharmacy delivers with the medicines
    if medicine_lines or devices:
        out.append(Ordonnance(prescriber=prescriber, patient=patient, lines=list(medicine_lines),
                              written_at=datetime.now(UTC).astimezone(), opposition=record.opposition,
                              devices=list(devices)))
    out += build_ordonnances(care, prescriber, patient, opposition=record.opposition)
    if not out:
        raise UserError(_("La consultation ne contient aucune ligne de prescription."))
    return out
