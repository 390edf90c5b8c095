"""A few fictitious patients for the demo (valid NIR keys, test INS)."""

from __future__ import annotations

from datetime import date

from lap_app.domain.model import Sex


def nir_with_key(nir13: str) -> str:
    """The 15-character INS: the 13 characters and their key (97 − NIR mod 97; Corsica mapped)."""
    numeric = nir13.replace("2A", "19").replace("2B", "18")
    return f"{nir13}{97 - int(numeric) % 97:02d}"


def demo_patient_records():
    from lap_app.services.patients import LongTermTreatment, PatientRecord

    return [
        PatientRecord("DURAND", ["Jeanne"], Sex.FEMALE, date(1956, 3, 14), ins=nir_with_key("2560369123045"),
                      weight_kg=68, height_cm=162, ald=True, ald_label="Diabète de type 2",
                      allergies=["amoxicilline"], treatments=[LongTermTreatment("Metformine 1000 mg")]),
        PatientRecord("PETIT", ["Lucas"], Sex.MALE, date(2019, 6, 2), ins=nir_with_key("1190675056123"),
                      weight_kg=19, height_cm=112),
        PatientRecord("BERNARD", ["Paul", "Henri"], Sex.MALE, date(1948, 11, 30),
                      ins=nir_with_key("1481133063007"), opposition=True),
        PatientRecord("ROUSSEAU", ["Inès"], Sex.FEMALE, date(1991, 9, 21), ins=nir_with_key("2910913055089")),
    ]


def seed_demo_patients(service) -> int:
    """Add the demo patients once (an empty patient list); returns how many were added."""
    if service.count():
        return 0
    records = demo_patient_records()
    for record in records:
        service.save(record)
    return len(records)
