"""A complete, valid ordonnance to start from in tests (each test breaks one thing)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from lap_app.domain.model import (
    Address,
    NonSubstitutionReason,
    Ordonnance,
    Patient,
    Prescriber,
    PrescriptionLine,
    Sex,
    Zone,
)
from lap_app.domain.posology import Posology

PARIS = timezone(timedelta(hours=1))


def make_ordonnance() -> Ordonnance:
    prescriber = Prescriber(
        family_name="MARTIN",
        given_names=["Claire"],
        national_id="810101234564",
        qualification="Médecin qualifié en médecine générale",
        address=Address(["12 rue des Lilas"], "75011", "Paris"),
        phone="+33 1 23 45 67 89",
        email="claire.martin@cabinet-exemple.fr",
    )
    patient = Patient("DUPONT", ["Jean", "Émile"], Sex.MALE, date(1958, 3, 14), ins="158037505612321")
    lines = [
        PrescriptionLine(
            "CHLORHYDRATE DE METFORMINE 1000 mg, comprimé pelliculé",
            Posology(1, "comprimé", ["CM", "CV"], duration=3, duration_unit="mo"),
            cis="69065160",
            zone=Zone.ALD,
        ),
        PrescriptionLine(
            "LEVOTHYROX 100 microgrammes, comprimé sécable",
            Posology(1, "comprimé", ["ACM"], duration=1, duration_unit="mo"),
            cis="68416845",
            cip13="3400930065891",
            renewals=2,
            substitution_allowed=False,
            non_substitution_reason=NonSubstitutionReason.MTE,
        ),
    ]
    return Ordonnance(
        prescriber, patient, lines, datetime(2026, 11, 25, 10, 42, tzinfo=PARIS), number="2026112500004292"
    )
