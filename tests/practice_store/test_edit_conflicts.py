"""Two workstations on one practice store edit the same patient or the same draft: the second
save is refused with a French message naming the conflict, and nothing is overwritten."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from lap_app.domain.model import Sex
from lap_app.domain.patient_record import PatientRecord
from lap_app.services.drafting import DraftingLibrary
from lap_app.services.patients import PatientService
from lap_app.storage import open_store
from lap_app.storage.errors import EditConflict


@pytest.fixture
def two_workstations(store_location):
    """Two connections to the same store, as two workstations of the practice have."""
    first, second = open_store(store_location), open_store(store_location)
    yield first, second
    first.close()
    second.close()


def _patient() -> PatientRecord:
    return PatientRecord(family_name="Martin", given_names=["Hélène"], sex=Sex.FEMALE, birth_date=date(1962, 4, 17),
                         weight_kg=70.0)


def test_the_second_workstation_sees_the_patient_conflict(two_workstations):
    reception, consultation = (PatientService(conn) for conn in two_workstations)
    created = reception.save(_patient())
    at_reception = reception.get(created.id)
    in_consultation = consultation.get(created.id)

    reception.save(replace(at_reception, weight_kg=72.5))  # the secretary corrects the weight
    with pytest.raises(EditConflict) as conflict:  # the GP, who opened the record before, adds an allergy
        consultation.save(replace(in_consultation, allergies=["amoxicilline"]))
    assert "modifiée sur un autre poste" in conflict.value.message
    assert "MARTIN Hélène" in conflict.value.message and "rien n'a été écrasé" in conflict.value.message

    stored = consultation.get(created.id)
    assert stored.weight_kg == 72.5 and stored.allergies == []  # the first save kept, the second not applied
    again = consultation.save(replace(stored, allergies=["amoxicilline"]))  # reopened: saved over the new version
    assert reception.get(created.id).allergies == ["amoxicilline"] and reception.get(created.id).weight_kg == 72.5
    assert again.row_version == stored.row_version + 1


def test_one_workstation_saving_twice_is_no_conflict(two_workstations):
    service = PatientService(two_workstations[0])
    record = service.save(_patient())
    record = service.save(replace(record, weight_kg=71.0))
    record = service.save(replace(record, weight_kg=72.0))
    assert service.get(record.id).weight_kg == 72.0


def _lines(*names: str) -> list:
    from lap_app.domain.model import PrescriptionLine
    from lap_app.domain.posology import Posology

    return [PrescriptionLine(dci_wording=name, posology=Posology(dose=1, dose_unit="comprimé", when=["MORN"]))
            for name in names]


def test_the_second_workstation_sees_the_draft_conflict(two_workstations):
    patient = PatientService(two_workstations[0]).save(_patient())
    office, other_office = (DraftingLibrary(conn) for conn in two_workstations)
    assert office.load_draft(patient.id) == [] and other_office.load_draft(patient.id) == []
    office.save_draft(patient.id, _lines("paracétamol 1 g"))
    office.save_draft(patient.id, _lines("paracétamol 1 g", "ibuprofène 400 mg"))  # its own saves go on
    with pytest.raises(EditConflict, match=r"brouillon .* modifié sur un autre poste"):
        other_office.save_draft(patient.id, _lines("amoxicilline 1 g"))
    assert [line.dci_wording for line in other_office.load_draft(patient.id)] == ["paracétamol 1 g", "ibuprofène 400 mg"]
    other_office.save_draft(patient.id, _lines("amoxicilline 1 g"))  # after reading it again
    assert [line.dci_wording for line in office.load_draft(patient.id)] == ["amoxicilline 1 g"]


def test_the_medicines_and_the_other_kinds_of_one_workstation_do_not_conflict(two_workstations):
    from lap_app.services.care_drafting import CareDraft

    patient = PatientService(two_workstations[0]).save(_patient())
    library = DraftingLibrary(two_workstations[0])
    library.load_draft(patient.id)
    library.load_care_draft(patient.id)
    library.save_draft(patient.id, _lines("paracétamol 1 g"))
    library.save_care_draft(patient.id, CareDraft())
    library.save_draft(patient.id, _lines("paracétamol 1 g", "ibuprofène 400 mg"))
    assert len(library.load_draft(patient.id)) == 2
