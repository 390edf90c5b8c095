"""No prescription disappears: each patient's draft is saved in the local store on every change
to its lines, found again after a restart (a new connection to the same SQLite file), and
deleted once the ordonnance is validated. Also: taking the ALD off a patient moves their ALD
lines back "hors ALD" with a calm notice; favourites and templates removed after confirmation;
the interaction index warmed in a worker thread."""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import closing

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from lap_app.domain.model import Zone
from lap_app.drugs import open_drug_database
from lap_app.drugs.interactions import InteractionIndex
from lap_app.storage import connect
from lap_app.ui.editor import PrescriptionEditor
from lap_app.ui.patient_panel import PatientPanel

from practice_store_support import adult, answer_confirmation, make_context, type_text


@pytest.fixture(scope="module")
def drugs():
    database = open_drug_database()
    yield database
    database.close()


def _editor(qtbot, context) -> PrescriptionEditor:
    widget = PrescriptionEditor(context)
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.show()
    widget.activateWindow()  # keys reach the editor's shortcuts only in the active window
    qtbot.waitUntil(widget.isActiveWindow, timeout=3000)
    return widget


def _add(qtbot, editor: PrescriptionEditor, query: str, ald: bool = False, days: int = 0) -> None:
    editor.search.edit.setFocus()
    editor.search.edit.clear()
    type_text(qtbot, editor.search.edit, query)
    assert editor.search.model.rowCount() > 0, query
    qtbot.keyClick(editor.search.edit, Qt.Key.Key_Return)
    if ald:
        qtbot.mouseClick(editor.line_editor.ald_check, Qt.MouseButton.LeftButton)
    if days:
        editor.line_editor.duration_spin.setValue(days)
    qtbot.keyClick(editor.line_editor.dose_spin, Qt.Key.Key_Return)


def _saved_rows(path) -> dict[int, list[dict]]:
    """The drafts table read through a connection of its own, as another process would."""
    with closing(sqlite3.connect(path)) as other:
        rows = {pid: json.loads(lines) for pid, lines in other.execute("SELECT patient_id, lines FROM drafts")}
    return {pid: data["lines"] for pid, data in rows.items()}  # the medicines (the other kinds beside them)


def test_draft_survives_a_restart_and_goes_once_cleared(qtbot, tmp_path, drugs) -> None:
    path = tmp_path / "store.sqlite3"
    context = make_context(path, drugs=drugs)
    record = context.services.patients.save(adult(weight_kg=70))
    other = context.services.patients.save(adult(family_name="Autre", ins=None))
    editor = _editor(qtbot, context)
    editor.set_patient(record)
    _add(qtbot, editor, "levothyrox 100")
    assert [len(lines) for lines in _saved_rows(path).values()] == [1]  # saved at once, not on exit
    _add(qtbot, editor, "metformine 1000")
    editor.line_editor.reset()
    editor.lines_view.list.setFocus()
    editor.lines_view.list.setCurrentRow(1)
    qtbot.keyClick(editor.lines_view.list, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    before = editor.draft_lines()
    assert [line.dci_wording.split()[0] for line in before] == ["METFORMINE", "LÉVOTHYROXINE"]
    rows = _saved_rows(path)
    assert list(rows) == [record.id]
    assert [item["dci_wording"].split()[0] for item in rows[record.id]] == ["METFORMINE", "LÉVOTHYROXINE"]

    # the application goes away without validating (closed, or crashed): nothing is cleared
    editor.close()
    context.close()

    # a new start on the same file: choosing the patient brings the ordonnance back
    context = make_context(path, drugs=drugs)
    panel = PatientPanel(context)  # the list says whose ordonnance is waiting
    qtbot.addWidget(panel)
    marked = {panel.results.item(row).data(Qt.ItemDataRole.UserRole).id
              for row in range(panel.results.count()) if "ordonnance en cours" in panel.results.item(row).text()}
    assert marked == {record.id} and panel.results.count() == 2
    editor = _editor(qtbot, context)
    editor.set_patient(context.services.patients.get(other.id))
    assert editor.draft_lines() == [] and not editor.notice_label.isVisible()
    editor.set_patient(context.services.patients.get(record.id))
    after = editor.draft_lines()
    assert [(line.dci_wording, line.cis, line.posology.sentence(), line.resource_id) for line in after] == [
        (line.dci_wording, line.cis, line.posology.sentence(), line.resource_id) for line in before]
    assert editor.lines_view.list.count() == 2
    assert editor.notice_label.isVisible() and "reprise (2 lignes)" in editor.notice_label.text()

    # removing a line is saved too; clear() (after validation) deletes the saved draft
    editor.lines_view.list.setFocus()
    editor.lines_view.list.setCurrentRow(0)
    qtbot.keyClick(editor.lines_view.list, Qt.Key.Key_Delete)
    assert len(_saved_rows(path)[record.id]) == 1
    editor.clear()
    assert _saved_rows(path) == {}
    context.close()
    context = make_context(path, drugs=drugs)
    editor = _editor(qtbot, context)
    editor.set_patient(context.services.patients.get(record.id))
    assert editor.draft_lines() == []


def test_saved_draft_keeps_every_field_of_every_line(tmp_path) -> None:
    from lap_app.domain.model import NonSubstitutionReason, PrescriptionLine, Quantity
    from lap_app.domain.posology import Posology
    from lap_app.services.drafting import DraftingLibrary
    from lap_app.services.patients import PatientService
    from lap_app.storage import connect

    path = tmp_path / "store.sqlite3"
    connection = connect(path)
    patient = PatientService(connection).save(adult())
    lines = [
        PrescriptionLine("PARACÉTAMOL 1000 mg, comprimé", Posology(
            dose=1, dose_unit="comprimé", frequency=1, period=6, period_unit="h", as_needed=True,
            as_needed_reason="douleur", max_dose=4, max_period=1, max_period_unit="d", duration=5,
            duration_unit="d"), cis="60234100", cip13="3400935955838", product_name="DOLIPRANE 1000 mg",
            pack_label="8 comprimés", boxes=2, supply_duration=Quantity(5, "jours", "d"), instructions="à jeun"),
        PrescriptionLine("LÉVOTHYROXINE SODIQUE 100 µg, comprimé sécable", Posology(
            dose=1, dose_unit="comprimé", when=["MORN"], duration=3, duration_unit="mo"), renewals=2,
            substitution_allowed=False, non_substitution_reason=NonSubstitutionReason.MTE, zone=Zone.ALD),
    ]
    DraftingLibrary(connection).save_draft(patient.id, lines)
    connection.close()

    again = DraftingLibrary(connect(path))
    assert again.load_draft(patient.id) == lines  # every field, the line identities included
    assert again.patients_with_draft() == {patient.id}
    again.save_draft(patient.id, [])  # an emptied draft is not kept
    assert again.load_draft(patient.id) == [] and again.patients_with_draft() == set()


@pytest.mark.parametrize("stored", [
    '{"lines": [{"dci_wording": "PARACÉTAMOL", "zone": "zone-of-a-newer-version"}]}',  # a line it cannot read
    '{"lines": [',  # damaged JSON
])
def test_an_unreadable_draft_is_said_in_french_and_kept_aside(qtbot, tmp_path, drugs, stored: str) -> None:
    """Python's own words (« is not a valid Zone », « Expecting value ») stay in the log; the
    draft stays in the store, set aside, while the physician writes the ordonnance again."""
    path = tmp_path / "store.sqlite3"
    context = make_context(path, drugs=drugs)
    record = context.services.patients.save(adult())
    with closing(sqlite3.connect(path)) as other, other:
        other.execute("INSERT INTO drafts (patient_id, lines, updated_at, row_version) VALUES (?, ?, 0, 1)",
                      (record.id, stored))
    editor = _editor(qtbot, context)
    editor.set_patient(record)
    assert editor.notice_label.isVisible()
    assert editor.notice_label.text() == (
        "Brouillon non repris : Le brouillon enregistré de ce patient n'a pas pu être rouvert (abîmé, ou écrit par "
        "une version plus récente de LAP) : il est mis de côté, intact, pour le support, et l'ordonnance repart vide.")
    assert editor.draft_lines() == []
    _add(qtbot, editor, "doliprane 1000")  # written again: saved as usual
    assert len(_saved_rows(path)[record.id]) == 1
    with closing(sqlite3.connect(path)) as other:
        assert other.execute("SELECT patient_id, lines FROM drafts_set_aside").fetchall() == [(record.id, stored)]
    context.close()


def test_a_draft_that_cannot_be_saved_is_said_and_kept_in_memory(qtbot, tmp_path, drugs) -> None:
    path = tmp_path / "store.sqlite3"
    connection = connect(path)
    context = make_context(path, drugs=drugs, connection=connection)
    record = context.services.patients.save(adult())
    editor = _editor(qtbot, context)
    editor.set_patient(record)
    with closing(sqlite3.connect(path, isolation_level=None)) as blocker:
        blocker.execute("PRAGMA busy_timeout = 0")
        blocker.execute("BEGIN EXCLUSIVE")  # another writer holds the file: the save times out
        connection.execute("PRAGMA busy_timeout = 50")
        _add(qtbot, editor, "doliprane 1000")
        blocker.execute("ROLLBACK")
    assert len(editor.draft_lines()) == 1
    assert "Brouillon non enregistré" in editor.notice_label.text()
    _add(qtbot, editor, "levothyrox 100")  # the next change saves both lines and lifts the notice
    assert len(_saved_rows(path)[record.id]) == 2
    assert not editor.notice_label.isVisible()


def test_taking_the_ald_off_moves_the_ald_lines_out_with_a_notice(qtbot, tmp_path, drugs) -> None:
    path = tmp_path / "store.sqlite3"
    context = make_context(path, drugs=drugs)
    record = context.services.patients.save(adult(ald=True, ald_label="Diabète de type 2"))
    panel = PatientPanel(context)
    qtbot.addWidget(panel)
    panel.show()
    editor = _editor(qtbot, context)
    panel.patient_selected.connect(editor.set_patient)
    panel.select(record)
    _add(qtbot, editor, "metformine 1000", ald=True)
    _add(qtbot, editor, "doliprane 1000")
    assert [line.zone for line in editor.draft_lines()] == [Zone.ALD, Zone.HORS_ALD]
    assert "[ALD]" in editor.lines_view.list.item(0).text()

    form = panel.open_form(record)
    qtbot.waitExposed(form)
    box = form.ald_check  # a click on its box (the widget is stretched wider than its text)
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))  # the ALD is taken off
    assert not form.ald_check.isChecked()
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert not form.isVisible()

    assert [line.zone for line in editor.draft_lines()] == [Zone.HORS_ALD, Zone.HORS_ALD]
    assert "[ALD]" not in editor.lines_view.list.item(0).text()
    assert editor.notice_label.isVisible()
    assert "n'est plus en ALD : 1 ligne a été replacée hors ALD (METFORMINE" in editor.notice_label.text()
    assert QApplication.activeModalWidget() is None  # a notice, not a dialog to dismiss
    assert not editor.line_editor.ald_check.isEnabled()
    assert [item["zone"] for item in _saved_rows(path)[record.id]] == [Zone.HORS_ALD.value] * 2
    editor.grab().save(str(tmp_path / "ald-notice.png"))


def _submenu_action(menu, object_name: str, text: str):
    submenu = next(a.menu() for a in menu.actions() if a.menu() is not None and a.menu().objectName() == object_name)
    return next(a for a in submenu.actions() if a.text() == text)


def test_favourites_and_templates_are_removed_after_confirmation(qtbot, tmp_path, drugs) -> None:
    context = make_context(tmp_path / "store.sqlite3", drugs=drugs)
    editor = _editor(qtbot, context)
    editor.set_patient(context.services.patients.save(adult()))
    _add(qtbot, editor, "levothyrox 100")
    editor.lines_view.list.setCurrentRow(0)
    qtbot.mouseClick(editor.lines_view.favourite_button, Qt.MouseButton.LeftButton)
    editor.save_template("Hypothyroïdie")
    library = context.services.drafting
    favourite = library.favourites()[0]

    seen: list[str] = []
    editor._fill_favourites_menu()
    answer_confirmation(editor, QMessageBox.StandardButton.Cancel, seen)
    _submenu_action(editor.favourites_menu, "removeFavourite", favourite.name).trigger()
    assert seen and favourite.name in seen[0]
    assert [f.id for f in library.favourites()] == [favourite.id]  # "Annuler" keeps it

    editor._fill_favourites_menu()
    answer_confirmation(editor, QMessageBox.StandardButton.Yes, seen)
    _submenu_action(editor.favourites_menu, "removeFavourite", favourite.name).trigger()
    assert library.favourites() == []
    assert "Favori retiré" in editor.message_label.text()
    editor._fill_favourites_menu()
    assert not any(a.menu() for a in editor.favourites_menu.actions())  # nothing left to remove

    editor._fill_templates_menu()
    answer_confirmation(editor, QMessageBox.StandardButton.Yes, seen)
    _submenu_action(editor.templates_menu, "removeTemplate", "Hypothyroïdie").trigger()
    assert "Hypothyroïdie" in seen[-1]
    assert library.templates() == []
    assert "Modèle supprimé" in editor.message_label.text()
    assert len(editor.draft_lines()) == 1  # the ordonnance itself is untouched


def test_interaction_index_is_warmed_off_the_gui_thread(qtbot, tmp_path, monkeypatch) -> None:
    loads: list[str] = []
    original = InteractionIndex.load.__func__

    def recording_load(cls, conn):
        loads.append(threading.current_thread().name)
        return original(cls, conn)

    monkeypatch.setattr(InteractionIndex, "load", classmethod(recording_load))
    own = open_drug_database()  # a fresh instance: its index is not loaded yet
    try:
        context = make_context(tmp_path / "store.sqlite3", drugs=own)
        editor = _editor(qtbot, context)
        qtbot.waitUntil(lambda: editor.warm_task is not None and editor.warm_task.finished, timeout=5000)
        editor.set_patient(context.services.patients.save(adult()))
        _add(qtbot, editor, "simvastatine 20")
        _add(qtbot, editor, "clarithromycine 500")
        assert [a.level for a in editor.alerts_panel().unacknowledged_alerts()] == ["CI"]
        main = threading.main_thread().name
        assert loads and main not in loads, loads  # loaded by the worker, never in the GUI thread
    finally:
        own.close()


def test_validating_through_the_main_window_deletes_the_saved_draft(qtbot, main_window, demo_env) -> None:
    from ui_support import login

    window = main_window
    window.activateWindow()
    login(qtbot, window, "1234")
    qtbot.waitUntil(lambda: not window.is_locked(), timeout=5000)
    patients = window.context.services.patients
    record = patients.save(adult(family_name="Brouillon", given_names=["Léa"], ins=None))
    panel = window.patient_panel
    panel.search_edit.setText("brouillon lea")
    assert panel.results.count() == 1 and "ordonnance en cours" not in panel.results.item(0).text()
    panel.select(record)
    editor = window.editor
    _add(qtbot, editor, "levothyrox 100", days=30)
    path = demo_env.root / "lap.sqlite3"
    assert len(_saved_rows(path).get(record.id, [])) == 1
    assert "✎ ordonnance en cours" in panel.results.item(0).text()  # the list shows who has one

    qtbot.mouseClick(editor.validate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: getattr(window, "_flow", None) is not None and (
        window._flow.result_dialog is not None or window._flow.message is not None), timeout=15000)
    assert window._flow.message is None, window._flow.message.text()
    assert window._flow.result_dialog.result.status == "registered"
    assert editor.draft_lines() == []
    assert record.id not in _saved_rows(path)  # validated: no draft comes back at the next start
    assert "ordonnance en cours" not in panel.results.item(0).text()
    window._flow.result_dialog.close()


def test_renewal_over_an_ordonnance_being_written_asks_before_replacing_it(qtbot, tmp_path, drugs) -> None:
    context = make_context(tmp_path / "store.sqlite3", drugs=drugs)
    editor = _editor(qtbot, context)
    editor.set_patient(context.services.patients.save(adult()))
    _add(qtbot, editor, "levothyrox 100")
    being_written = [line.dci_wording for line in editor.draft_lines()]
    renewed = list(editor.draft_lines())
    renewed[0] = type(renewed[0])(dci_wording="PARACÉTAMOL 1000 mg, comprimé", posology=renewed[0].posology,
                                  supply_duration=renewed[0].supply_duration, boxes=1)

    seen: list[str] = []
    answer_confirmation(editor, QMessageBox.StandardButton.Cancel, seen)
    assert editor.renew_with(renewed) is False
    assert seen and "1 ligne" in seen[0]
    assert [line.dci_wording for line in editor.draft_lines()] == being_written  # nothing lost

    answer_confirmation(editor, QMessageBox.StandardButton.Yes, seen)
    assert editor.renew_with(renewed) is True
    assert [line.dci_wording for line in editor.draft_lines()] == ["PARACÉTAMOL 1000 mg, comprimé"]

    editor.clear()
    assert editor.renew_with(renewed) is True  # an empty draft: renewed at once, no question
    assert len(seen) == 2
