"""Ordonnances built from model objects for the renderer tests and the bench."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from lap_app.domain.model import (
    Address,
    NonSubstitutionReason,
    Ordonnance,
    Patient,
    Prescriber,
    PrescriptionLine,
    Quantity,
    Sex,
    Zone,
)
from lap_app.domain.posology import Posology

NUMBER = "2026112500004292"  # the shared example's number (MOD 97-10 valid)
PARIS = timezone(timedelta(hours=1))


def prescriber() -> Prescriber:
    return Prescriber(
        family_name="MARTIN",
        given_names=["Claire"],
        national_id="810101234564",
        qualification="Médecin qualifié en médecine générale",
        address=Address(lines=["12 rue des Lilas"], postal_code="75011", city="Paris"),
        phone="+33 1 23 45 67 89",
        email="claire.martin@cabinet-exemple.fr",
    )


def patient(**changes) -> Patient:
    values = dict(
        family_name="DUPONT",
        given_names=["Jean", "Émile"],
        sex=Sex.MALE,
        birth_date=date(1958, 3, 14),
        ins="158037505612321",
    )
    values.update(changes)
    return Patient(**values)


def metformin(zone: Zone = Zone.ALD) -> PrescriptionLine:
    return PrescriptionLine(
        dci_wording="CHLORHYDRATE DE METFORMINE 1000 mg, comprimé pelliculé",
        posology=Posology(text="1 comprimé matin et soir, au cours des repas, pendant 3 mois"),
        cis="69065160",
        product_name="METFORMINE ALMUS 1000 mg, comprimé pelliculé",
        supply_duration=Quantity(90, "jours", "d"),
        zone=zone,
    )


def levothyrox(zone: Zone = Zone.HORS_ALD) -> PrescriptionLine:
    return PrescriptionLine(
        dci_wording="LEVOTHYROX 100 microgrammes, comprimé sécable",
        posology=Posology(text="1 comprimé le matin à jeun, pendant 1 mois"),
        cis="68416845",
        cip13="3400930065891",
        product_name="LEVOTHYROX 100 microgrammes, comprimé sécable",
        renewals=2,
        substitution_allowed=False,
        non_substitution_reason=NonSubstitutionReason.MTE,
        zone=zone,
    )


def paracetamol(zone: Zone = Zone.HORS_ALD) -> PrescriptionLine:
    return PrescriptionLine(
        dci_wording="PARACÉTAMOL 1000 mg, comprimé",
        posology=Posology(
            text="1 comprimé si douleur, 3 comprimés par jour au maximum, "
            "en respectant 6 heures entre deux prises, pendant 5 jours"
        ),
        cis="60234100",
        product_name="DOLIPRANE 1000 mg, comprimé",
        boxes=1,
        instructions="Ne pas associer à un autre médicament contenant du paracétamol.",
        zone=zone,
    )


def numbered_line(index: int, zone: Zone = Zone.HORS_ALD) -> PrescriptionLine:
    return PrescriptionLine(
        dci_wording=f"MÉDICAMENT D'ESSAI N° {index:02d} {index * 5} mg, comprimé",
        # structured: the PDF goes through the posology sentence, as a new ordonnance does
        posology=Posology(index, "comprimé", ["MORN", "NOON", "EVE"], duration=index, duration_unit="d"),
        boxes=1 + index % 3,
        renewals=index % 3,
        instructions="À prendre avec un grand verre d'eau." if index % 2 else "",
        zone=zone,
    )


def ordonnance(lines: list[PrescriptionLine] | None = None, **changes) -> Ordonnance:
    values = dict(
        prescriber=prescriber(),
        patient=patient(),
        lines=lines if lines is not None else [metformin(), levothyrox(), paracetamol()],
        written_at=datetime(2026, 11, 25, 10, 42, tzinfo=PARIS),
        number=NUMBER,
    )
    values.update(changes)
    return Ordonnance(**values)


def plain(count: int, **changes) -> Ordonnance:
    """A single-zone ordonnance of ``count`` numbered lines."""
    return ordonnance([numbered_line(i) for i in range(1, count + 1)], **changes)
