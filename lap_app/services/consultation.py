"""One consultation, several ordonnances of different kinds (medicines, biology, nursing…):
one validation of them all before any number is spent, one card session (one PIN at most,
asked by the caller), each ordonnance its own number, and one PDF of every page to print
as one job.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lap_app.base_client import EPrescriptionBase
from lap_app.domain.errors import Problem, ValidationError
from lap_app.domain.model import Ordonnance
from lap_app.domain.validation import validate_ordonnance
from lap_app.i18n import _
from lap_app.services.prescribing import NO_PATIENT_FACTS, PrescriptionOutcome, nomenclature_catalogue, prescribe
from lap_app.services.safety import PatientFacts
from lap_app.settings import PracticeSettings
from lap_app.storage import LocalStore


@dataclass(frozen=True, slots=True)
class ConsultationOutcome:
    outcomes: list[PrescriptionOutcome]  # one per ordonnance, in order
    pdf: bytes  # every page of every ordonnance: one print job

    @property
    def numbers(self) -> list[str | None]:
        return [outcome.number for outcome in self.outcomes]


def consultation_problems(ordonnances: list[Ordonnance]) -> list[Problem]:
    """The errors of every ordonnance, each path prefixed by the ordonnance it belongs to
    (``ordonnances[1].analyses[0].code``). The prescriber is left out: it becomes the card
    holder when each one is signed, and is checked then."""
    problems: list[Problem] = []
    for index, ordonnance in enumerate(ordonnances):
        for problem in validate_ordonnance(ordonnance, catalogue=nomenclature_catalogue(ordonnance)):
            if problem.is_error and not problem.path.startswith("prescriber"):
                where = f"ordonnances[{index}]" + (f".{problem.path}" if problem.path else "")
                label = f"{ordonnance.kind.label} — "
                problems.append(Problem(where, label + problem.message, problem.severity))
    return problems


def prescribe_consultation(ordonnances: list[Ordonnance], *, card: Any, client: EPrescriptionBase, store: LocalStore,
                           opposition: bool = False, page_size: str = "A4", practice: PracticeSettings | None = None,
                           patient: PatientFacts = NO_PATIENT_FACTS, acknowledged: Iterable[str] = (),
                           drugs: Any = None) -> ConsultationOutcome:
    """Validate them all, then sign and register each (imaging and transport: paper only),
    under ``prescribing.prescribe``'s rules (practice, safety alerts acknowledged)."""
    from lap_app.render.merge import merge_pdfs

    if not ordonnances:
        raise ValidationError(_("Aucune ordonnance à valider"), [])
    problems = consultation_problems(ordonnances)
    if problems:  # nothing is signed nor registered: every draft stays as it is
        raise ValidationError(_("Ordonnances incomplètes ou invalides"), problems)
    acknowledged = list(acknowledged)
    outcomes = [prescribe(ordonnance, card=card, client=client, store=store, opposition=opposition,
                          page_size=page_size, practice=practice, patient=patient, acknowledged=acknowledged,
                          drugs=drugs) for ordonnance in ordonnances]
    return ConsultationOutcome(outcomes, merge_pdfs([outcome.pdf for outcome in outcomes]))
