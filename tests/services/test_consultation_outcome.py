"""What the GP reads of a consultation stopped midway, and of a retry that fails again: the
ordonnances made keep their numbers, the first one not made carries the new reason."""

from __future__ import annotations

from lap_app.domain.kinds import OrdonnanceKind
from lap_app.domain.status import OrdonnanceStatus
from lap_app.services.consultation import NOT_ATTEMPTED, ConsultationOutcome, NotMade, failed_retry
from lap_app.services.prescribing import PrescriptionOutcome

K = OrdonnanceKind


def _stopped() -> ConsultationOutcome:
    made = PrescriptionOutcome(1, "0600839751107438", OrdonnanceStatus.REGISTERED, b"%PDF-1.4")
    return ConsultationOutcome([made], made.pdf, [K.MEDICAMENTS],
                               [NotMade(K.BIOLOGIE, "Ordonnance refusée par la base : signature invalide"),
                                NotMade(K.SOINS_INFIRMIERS, NOT_ATTEMPTED)])


def test_the_summary_names_what_is_registered_and_what_is_not() -> None:
    lines = _stopped().summary().splitlines()
    assert lines[0] == "Consultation incomplète : 1 ordonnance(s) faite(s), 2 non faite(s)."
    assert lines[1] == "• Médicaments : 0600839751107438 (enregistrée)"
    assert lines[2] == "• Biologie médicale : NON FAITE — Ordonnance refusée par la base : signature invalide"
    assert lines[3].startswith("• Soins infirmiers : NON FAITE — pas encore faite")
    assert "seulement celles qui manquent" in lines[4]


def test_a_retry_that_fails_again_keeps_the_made_ones_and_says_the_new_reason() -> None:
    again = failed_retry(_stopped(), "La carte a été retirée du lecteur.")
    assert again.numbers == ["0600839751107438"] and again.kinds == [K.MEDICAMENTS]
    assert [(m.kind, m.reason) for m in again.not_made] == [
        (K.BIOLOGIE, "La carte a été retirée du lecteur."), (K.SOINS_INFIRMIERS, NOT_ATTEMPTED)]
    assert not again.complete and again.pdf == b"%PDF-1.4"
