"""One consultation, several ordonnances of different kinds (medicines, biology, nursing…):
one validation of them all before any number is spent, one card session (one PIN at most,
asked by the caller), each ordonnance its own number, and one PDF of every page to print
as one job.

A consultation can stop midway (the base refuses one ordonnance, the card is pulled out): the
ordonnances already signed stay signed and are reported with their numbers, the ones not made
are listed with the reason, and a retry (``remaining``) makes only those — never one twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lap_app.base_client import EPrescriptionBase
from lap_app.domain.errors import Problem, UserError, ValidationError
from lap_app.domain.kinds import OrdonnanceKind
from lap_app.domain.model import Ordonnance
from lap_app.domain.validation import validate_ordonnance
from lap_app.i18n import _
from lap_app.services.prescribing import NO_PATIENT_FACTS, PrescriptionOutcome, nomenclature_catalogue, prescribe
from lap_app.services.safety import PatientFacts
from lap_app.settings import PracticeSettings
from lap_app.storage import LocalStore

log = logging.getLogger(__name__)

NOT_ATTEMPTED = _("pas encore faite : la consultation s'est arrêtée à l'ordonnance précédente")
UNEXPECTED = _("erreur inattendue ; le détail technique est dans le journal")


@dataclass(frozen=True, slots=True)
class NotMade:
    """An ordonnance of the consultation that was not signed, and why (French)."""

    kind: OrdonnanceKind
    reason: str


@dataclass(frozen=True, slots=True)
class ConsultationOutcome:
    outcomes: list[PrescriptionOutcome]  # the ordonnances made, in order (the first ``len(outcomes)``)
    pdf: bytes  # every page of every ordonnance made: one print job
    kinds: list[OrdonnanceKind] = field(default_factory=list)  # the kind of each outcome
    not_made: list[NotMade] = field(default_factory=list)  # the rest, in order, with the reason

    @property
    def numbers(self) -> list[str | None]:
        return [outcome.number for outcome in self.outcomes]

    @property
    def complete(self) -> bool:
        return not self.not_made

    def summary(self) -> str:
        """What the GP must know when the consultation stopped midway (French)."""
        if self.complete:
            return ""
        lines = [_("Consultation incomplète : {done} ordonnance(s) faite(s), {left} non faite(s).").format(
            done=len(self.outcomes), left=len(self.not_made))]
        lines += [_("• {kind} : {number} ({status})").format(
            kind=kind.label, number=outcome.number or _("sans numéro"), status=outcome.status.label)
            for kind, outcome in zip(self.kinds, self.outcomes, strict=True)]
        lines += [_("• {kind} : NON FAITE — {reason}").format(kind=missing.kind.label, reason=missing.reason)
                  for missing in self.not_made]
        lines.append(_("Les ordonnances faites sont conservées ; « Réessayer » fait seulement celles qui manquent."))
        return "\n".join(lines)


def remaining(ordonnances: list[Ordonnance], outcome: ConsultationOutcome) -> list[Ordonnance]:
    """The ordonnances a retry must make: those after the ones ``outcome`` made."""
    return ordonnances[len(outcome.outcomes):]


def combined(earlier: ConsultationOutcome, later: ConsultationOutcome) -> ConsultationOutcome:
    """A first attempt, then the retry of what it had not made: one outcome, one PDF."""
    from lap_app.render.merge import merge_pdfs

    outcomes = earlier.outcomes + later.outcomes
    pdf = merge_pdfs([o.pdf for o in outcomes]) if outcomes else b""
    return ConsultationOutcome(outcomes, pdf, earlier.kinds + later.kinds, later.not_made)


def failed_retry(earlier: ConsultationOutcome, reason: str) -> ConsultationOutcome:
    """A retry that made nothing: the same outcome, the first missing one with the new reason."""
    first, *rest = earlier.not_made
    return ConsultationOutcome(earlier.outcomes, earlier.pdf, earlier.kinds,
                               [NotMade(first.kind, reason), *(NotMade(m.kind, NOT_ATTEMPTED) for m in rest)])


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
    under ``prescribing.prescribe``'s rules (practice, safety alerts acknowledged).

    Nothing made yet when the first one fails: its error is raised, as for one ordonnance.
    Once one is made, a failure stops the consultation there and is returned in ``not_made``
    with the ones after it: the ordonnances made are never lost behind an exception."""
    from lap_app.render.merge import merge_pdfs

    if not ordonnances:
        raise ValidationError(_("Aucune ordonnance à valider"), [])
    problems = consultation_problems(ordonnances)
    if problems:  # nothing is signed nor registered: every draft stays as it is
        raise ValidationError(_("Ordonnances incomplètes ou invalides"), problems)
    acknowledged = list(acknowledged)
    outcomes: list[PrescriptionOutcome] = []
    for ordonnance in ordonnances:
        try:
            outcomes.append(prescribe(ordonnance, card=card, client=client, store=store, opposition=opposition,
                                      page_size=page_size, practice=practice, patient=patient,
                                      acknowledged=acknowledged, drugs=drugs))
        except Exception as error:
            if not outcomes:
                raise
            if isinstance(error, UserError):
                reason = error.message
            else:
                log.exception("consultation stopped after %d ordonnance(s)", len(outcomes))
                reason = UNEXPECTED
            done = len(outcomes)
            not_made = [NotMade(ordonnances[done].kind, reason),
                        *(NotMade(o.kind, NOT_ATTEMPTED) for o in ordonnances[done + 1:])]
            break
    else:
        not_made = []
    kinds = [o.kind for o in ordonnances[:len(outcomes)]]
    return ConsultationOutcome(outcomes, merge_pdfs([outcome.pdf for outcome in outcomes]), kinds, not_made)
