"""The checks of an ordonnance written elsewhere (``lap-app prescribe``) know what the practice
records of its patient, found by INS, as the GUI's checks do: allergies and long-term
treatments, plus the allergies given with the command."""

from __future__ import annotations

from datetime import date

import pytest


@pytest.fixture
def patients(store_location):
    from lap_app.services.patients import PatientService
    from lap_app.storage.engine import open_store

    connection = open_store(store_location)  # a workstation's file, then a practice server
    yield PatientService(connection)
    connection.close()


def _dupont(ins: str | None):
    from lap_app.domain.model import Patient, Sex

    return Patient(family_name="DUPONT", given_names=["Jean"], sex=Sex.MALE, birth_date=date(1958, 3, 14), ins=ins)


def test_the_record_found_by_ins_brings_its_allergies_and_treatments(patients):
    from lap_app.domain.model import Sex
    from lap_app.services.ordonnance_builder import recorded_patient_facts
    from lap_app.services.patients import LongTermTreatment, PatientRecord

    patients.save(PatientRecord(family_name="Dupont", given_names=["Jean"], sex=Sex.MALE, birth_date=date(1958, 3, 14),
                                ins="158037505612321", allergies=["paracétamol", "Pénicilline"],
                                treatments=[LongTermTreatment("SIMVASTATINE 20 mg", "63073499")]))
    facts = recorded_patient_facts(patients, _dupont("1 58 03 75 056 123 21"), ["pénicilline", "iode"])
    assert facts.allergies == ("paracétamol", "Pénicilline", "pénicilline", "iode")
    assert facts.current_cis == ("63073499",)


def test_an_unknown_or_unidentified_patient_has_only_the_allergies_given(patients):
    from lap_app.services.ordonnance_builder import recorded_patient_facts

    assert recorded_patient_facts(patients, _dupont("158037505612321"), ["iode"]).allergies == ("iode",)
    facts = recorded_patient_facts(patients, _dupont(None), [])
    assert facts.allergies == () and facts.current_cis == ()
