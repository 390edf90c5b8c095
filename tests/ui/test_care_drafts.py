"""Nothing is lost in the other kinds either: the biology, nursing, device… lines being written
are the patient's draft too, kept beside the medicines in the same row of the local store, found
again when the patient comes back and after a restart, and emptied once sent."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing

from PySide6.QtCore import Qt

from lap_app.domain.care import BiologyLine, NursingLine
from lap_app.domain.kinds import OrdonnanceKind
from lap_app.domain.model import PrescriptionLine
from lap_app.domain.posology import Posology
from lap_app.services.care_drafting import CareDraft
from lap_app.services.drafting import DraftingLibrary
from lap_app.services.patients import PatientService
from lap_app.storage import connect
from lap_app.ui.editor.care_editor import CareEditor

from practice_store_support import adult, make_context


def _medicine() -> PrescriptionLine:
    return PrescriptionLine("PARACÉTAMOL 1000 mg, comprimé", Posology(
        dose=1, dose_unit="comprimé", frequency=3, period=1, period_unit="d", duration=5, duration_unit="d"))


def _row(path) -> dict | list | None:
    with closing(sqlite3.connect(path)) as other:
        rows = other.execute("SELECT lines FROM drafts").fetchall()
    return json.loads(rows[0][0]) if rows else None


def test_medicines_and_other_kinds_share_the_draft_without_overwriting(tmp_path) -> None:
    path = tmp_path / "store.sqlite3"
    connection = connect(path)
    patient = PatientService(connection).save(adult())
    library = DraftingLibrary(connection)
    care = CareDraft()
    care.add(OrdonnanceKind.BIOLOGIE, BiologyLine(code="1104", label="HEMOGRAMME"))
    care.add(OrdonnanceKind.SOINS_INFIRMIERS, NursingLine(act="Prise de sang à domicile"))
    medicine = _medicine()
    library.save_draft(patient.id, [medicine])
    library.save_care_draft(patient.id, care)
    library.save_draft(patient.id, [medicine])  # the medicine editor saving again keeps the care part
    connection.close()

    again = DraftingLibrary(connect(path))
    assert again.load_draft(patient.id) == [medicine]
    assert again.load_care_draft(patient.id).lines == care.lines  # every field, identities included
    assert again.patients_with_draft() == {patient.id}
    again.save_draft(patient.id, [])  # medicines sent: the care lines stay
    assert again.load_care_draft(patient.id).lines == care.lines and again.patients_with_draft() == {patient.id}
    again.save_care_draft(patient.id, CareDraft())  # both parts empty: no row left
    assert again.patients_with_draft() == set() and _row(path) is None


def test_a_draft_stored_as_a_plain_list_is_read_as_its_medicines(tmp_path) -> None:
    path = tmp_path / "store.sqlite3"
    connection = connect(path)
    patient = PatientService(connection).save(adult())
    library = DraftingLibrary(connection)
    medicine = _medicine()
    library.save_draft(patient.id, [medicine])
    stored = _row(path)["lines"]
    connection.execute("UPDATE drafts SET lines = ?", (json.dumps(stored),))  # the format before the care part
    assert library.load_draft(patient.id) == [medicine]
    assert library.load_care_draft(patient.id).count() == 0
    care = CareDraft()
    care.add(OrdonnanceKind.BIOLOGIE, BiologyLine(code="1104", label="HEMOGRAMME"))
    library.save_care_draft(patient.id, care)
    assert library.load_draft(patient.id) == [medicine]  # the old medicines kept beside the new part
    assert [line.code for line in library.load_care_draft(patient.id).lines[OrdonnanceKind.BIOLOGIE]] == ["1104"]


def _care_editor(qtbot, context) -> CareEditor:
    widget = CareEditor(context)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def _two_patients_in_the_editor(qtbot, context):
    """Two patients of the practice and a care editor over its store."""
    first = context.services.patients.save(adult())
    second = context.services.patients.save(adult(family_name="Autre", ins=None))
    return first, second, _care_editor(qtbot, context)


def test_a_biology_line_comes_back_with_its_patient_and_after_a_restart(qtbot, tmp_path) -> None:
    path = tmp_path / "store.sqlite3"
    context = make_context(path)
    first, second, editor = _two_patients_in_the_editor(qtbot, context)
    editor.set_patient(first)
    editor.choose_kind(OrdonnanceKind.BIOLOGIE)
    qtbot.keyClicks(editor.search_edit, "NFS")
    qtbot.waitUntil(lambda: editor.results.count() > 0, timeout=3000)
    qtbot.keyClick(editor.search_edit, Qt.Key.Key_Return)
    assert [line.code for line in editor.draft.lines[OrdonnanceKind.BIOLOGIE]] == ["1104"]
    assert context.services.drafting.patients_with_draft() == {first.id}  # the patient list marks it

    editor.set_patient(second)
    assert editor.draft.count() == 0
    editor.set_patient(first)
    assert [line.code for line in editor.draft.lines[OrdonnanceKind.BIOLOGIE]] == ["1104"]

    restarted = _care_editor(qtbot, make_context(path))
    restarted.set_patient(first)
    assert [line.code for line in restarted.draft.lines[OrdonnanceKind.BIOLOGIE]] == ["1104"]

    restarted.clear(first)  # validated: sent, not kept
    assert _row(path) is None
    assert _care_editor(qtbot, make_context(path)).draft.count() == 0


def test_a_form_left_half_filled_stays_with_its_patient_and_never_reaches_the_next(qtbot, tmp_path) -> None:
    context = make_context(tmp_path / "store.sqlite3")
    first, second, editor = _two_patients_in_the_editor(qtbot, context)
    editor.set_patient(first)
    editor.choose_kind(OrdonnanceKind.SOINS_INFIRMIERS)
    editor.act_combo.setCurrentText("Pansement simple")
    editor.nursing_duration.setValue(10)
    editor.nursing_note.setText("pour le premier patient")

    editor.set_patient(second)  # the form is not added to the second patient's draft
    assert editor.act_combo.currentText() == "" and editor.nursing_note.text() == ""
    editor.add_current()
    assert editor.draft.count() == 0 and "soin infirmier" in editor.message_label.text()

    editor.set_patient(first)  # given back as it was left
    assert editor.act_combo.currentText() == "Pansement simple"
    assert editor.nursing_duration.value() == 10 and editor.nursing_note.text() == "pour le premier patient"
    assert "reprise" in editor.message_label.text()
    editor.add_current()
    [line] = editor.draft.lines[OrdonnanceKind.SOINS_INFIRMIERS]
    assert line.act == "Pansement simple" and line.note == "pour le premier patient"
    editor.set_patient(second)
    editor.set_patient(first)  # added, so nothing half filled comes back
    assert editor.act_combo.currentText() == "" and "reprise" not in editor.message_label.text()


def test_a_biology_search_left_open_comes_back_with_its_chosen_result(qtbot, tmp_path) -> None:
    context = make_context(tmp_path / "store.sqlite3")
    first, second, editor = _two_patients_in_the_editor(qtbot, context)
    editor.set_patient(first)
    editor.choose_kind(OrdonnanceKind.BIOLOGIE)
    qtbot.keyClicks(editor.search_edit, "TSH")
    qtbot.waitUntil(lambda: editor.results.count() > 1, timeout=3000)
    editor.results.setCurrentRow(1)
    chosen = editor.results.currentItem().text()
    editor.set_patient(second)
    assert editor.search_edit.text() == "" and editor.results.count() == 0
    editor.set_patient(first)
    assert editor.search_edit.text() == "TSH" and editor.results.currentItem().text() == chosen
