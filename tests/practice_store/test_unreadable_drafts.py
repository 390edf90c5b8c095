"""A patient's draft this version cannot read back (damaged, or written by a newer version of
LAP) is never overwritten: it is set aside, byte for byte, where support can read it, the
physician is told in French that it could not be reopened and was kept aside, and the next
ordonnance written for the patient is saved as usual. On the SQLite file and on the practice
server alike, an older store upgraded included."""

from __future__ import annotations

import json
from datetime import date

import pytest

from lap_app.domain.errors import UserError
from lap_app.domain.model import Posology, PrescriptionLine, Sex
from lap_app.domain.patient_record import PatientRecord
from lap_app.storage import MIGRATIONS, open_store

SET_ASIDE = ("Le brouillon enregistré de ce patient n'a pas pu être rouvert (abîmé, ou écrit par une version plus "
             "récente de LAP) : il est mis de côté, intact, pour le support, et l'ordonnance repart vide.")

UNREADABLE = {
    "a line of a newer version": '{"lines": [{"dci_wording": "PARACÉTAMOL", "zone": "zone-of-a-newer-version"}]}',
    "a kind of a newer version": '{"lines": [], "care": {"kind-of-a-newer-version": [{"text": "x"}]}}',
    "a format of a newer version": '{"format": 2, "lines": []}',
    "damaged JSON": '{"lines": [{"dci_wording": "PARACÉT',
    "not an object": '"lines"',
}


def _patient(conn) -> int:
    from lap_app.storage.patients import PatientTable

    record = PatientTable(conn).save(PatientRecord(family_name="Durand", given_names=["Léa"], sex=Sex.FEMALE,
                                                   birth_date=date(1985, 3, 7)))
    assert record.id is not None
    return record.id


def _store_draft(conn, patient_id: int, stored: str) -> None:
    """As another version of LAP left it (a newer one, or a disk that damaged it)."""
    conn.execute("INSERT INTO drafts (patient_id, lines, updated_at, row_version) VALUES (?, ?, ?, 4)",
                 (patient_id, stored, "2026-12-01T09:00:00+00:00"))


def _line() -> PrescriptionLine:
    return PrescriptionLine("AMOXICILLINE 1 g, comprimé", Posology(dose=1, dose_unit="comprimé", frequency=2,
                                                                    period=1, period_unit="d", duration=6,
                                                                    duration_unit="d"), cis="60000001")


@pytest.mark.parametrize("stored", UNREADABLE.values(), ids=UNREADABLE.keys())
def test_an_unreadable_draft_is_set_aside_and_the_next_one_saved(open_workstation, stored: str) -> None:
    from lap_app.services.drafting import DraftingLibrary

    store = open_workstation()
    patient_id = _patient(store.conn)
    _store_draft(store.conn, patient_id, stored)
    library = DraftingLibrary(store.conn)
    with pytest.raises(UserError) as reopened:  # the physician opens the patient
        library.load_draft(patient_id)
    assert reopened.value.message == SET_ASIDE
    assert library.load_open_line(patient_id) is None and not library.load_care_draft(patient_id).kinds_with_lines()
    line = _line()
    library.save_draft(patient_id, [line])  # the ordonnance written again is saved...
    assert library.load_draft(patient_id) == [line]
    # ...and the unreadable one is still there, as it was, for support (from any workstation)
    [kept] = DraftingLibrary(open_workstation().conn).set_aside_drafts()
    assert (kept.patient_id, kept.content, kept.version) == (patient_id, stored, 4)
    assert kept.reason and kept.set_aside_at


@pytest.mark.parametrize("stored", UNREADABLE.values(), ids=UNREADABLE.keys())
def test_a_save_over_an_unreadable_draft_it_never_opened_sets_it_aside(open_workstation, stored: str) -> None:
    """A workstation that saves without reading first (the draft of a patient validated while
    another was shown) does not overwrite what it cannot read either."""
    from lap_app.services.drafting import DraftingLibrary

    store = open_workstation()
    patient_id = _patient(store.conn)
    _store_draft(store.conn, patient_id, stored)
    library = DraftingLibrary(store.conn)
    line = _line()
    library.save_draft(patient_id, [line])  # never loaded here
    assert library.load_draft(patient_id) == [line]
    assert [kept.content for kept in library.set_aside_drafts()] == [stored]


def test_a_store_of_the_previous_schema_is_upgraded_and_its_unreadable_draft_set_aside(store_location) -> None:
    from lap_app.services.drafting import DraftingLibrary

    previous = MIGRATIONS[:11]  # as shipped before drafts could be set aside
    conn = open_store(store_location, migrations=previous)
    patient_id = _patient(conn)
    _store_draft(conn, patient_id, UNREADABLE["damaged JSON"])
    conn.close()
    conn = open_store(store_location)
    try:
        library = DraftingLibrary(conn)
        with pytest.raises(UserError, match="mis de côté"):
            library.load_draft(patient_id)
        assert [kept.content for kept in library.set_aside_drafts()] == [UNREADABLE["damaged JSON"]]
        assert library.load_draft(patient_id) == []
    finally:
        conn.close()


def test_a_readable_draft_is_not_set_aside(open_workstation) -> None:
    from lap_app.services.drafting import DraftingLibrary

    store = open_workstation()
    patient_id = _patient(store.conn)
    library = DraftingLibrary(store.conn)
    line = _line()
    library.save_draft(patient_id, [line])
    again = DraftingLibrary(open_workstation().conn)
    assert again.load_draft(patient_id) == [line]
    assert again.set_aside_drafts() == []
    assert json.loads(store.conn.execute("SELECT lines FROM drafts").fetchone()[0])["lines"][0]["cis"] == "60000001"
