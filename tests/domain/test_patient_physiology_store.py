"""Pregnancy, breastfeeding and the last creatinine are kept with the patient (store migration 8)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from lap_app.domain.model import Sex
from lap_app.domain.patient_record import PatientRecord
from lap_app.domain.physiology import Creatinine, clearances


def test_physiology_survives_the_store(store_location: Path | str) -> None:
    from lap_app.services.patients import PatientService
    from lap_app.storage import LocalStore

    store = LocalStore(store_location)
    try:
        service = PatientService(store.conn)
        saved = service.save(PatientRecord("MOREAU", ["Louise"], Sex.FEMALE, date(1949, 7, 2), weight_kg=58,
                                           creatinine=Creatinine(95, "µmol/L", date(2026, 9, 1))))
        again = service.get(saved.id)
        assert again is not None and again.creatinine == Creatinine(95, "µmol/L", date(2026, 9, 1))
        state = again.physiological_state()
        assert [c.formula for c in clearances(again.birth_date, again.sex, state)] == ["Cockcroft-Gault", "CKD-EPI"]
        young = service.save(PatientRecord("ROUX", ["Léa"], Sex.FEMALE, date(1994, 2, 2), pregnant=True,
                                           pregnancy_weeks=24, breastfeeding=False))
        back = service.get(young.id)
        assert back is not None and (back.pregnant, back.pregnancy_weeks, back.creatinine) == (True, 24, None)
    finally:
        store.close()
