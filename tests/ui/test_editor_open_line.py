"""Nothing lost when the GP changes patient (or renews) with a line still being written: the open line
stays with that patient's draft (in memory and in the local store), opens again with its values
when the patient is chosen again — without taking the keyboard from the patient list — and
after a restart; once added or cancelled, its saved copy goes."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from lap_app.drugs import open_drug_database
from lap_app.ui.editor import PrescriptionEditor
from lap_app.ui.patient_panel import PatientPanel

from practice_store_support import adult, answer_confirmation, make_context, type_text


@pytest.fixture(scope="module")
def drugs():
    database = open_drug_database()
    yield database
    database.close()


_WINDOWS = []  # the test's windows live until the module ends (qtbot holds them weakly)


def _desk(qtbot, context) -> tuple[PatientPanel, PrescriptionEditor]:
    """The patient list and the editor side by side in one window, wired as the main window does."""
    from PySide6.QtWidgets import QHBoxLayout, QWidget

    window = QWidget()
    _WINDOWS.append(window)
    qtbot.addWidget(window)
    panel, editor = PatientPanel(context), PrescriptionEditor(context)
    layout = QHBoxLayout(window)
    layout.addWidget(panel)
    layout.addWidget(editor, 1)
    panel.patient_selected.connect(editor.set_patient)
    panel.done.connect(editor.resume)
    editor.lines_changed.connect(panel.refresh_draft_marks)
    window.resize(1400, 820)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    return panel, editor


def _open_line(qtbot, editor: PrescriptionEditor, query: str) -> None:
    editor.search.edit.setFocus()
    editor.search.edit.clear()
    type_text(qtbot, editor.search.edit, query)
    qtbot.waitUntil(lambda: editor.search.model.rowCount() > 0, timeout=3000)
    qtbot.keyClick(editor.search.edit, Qt.Key.Key_Return)
    assert editor.line_editor.isEnabled()


def _add_line(qtbot, editor: PrescriptionEditor, query: str, days: int) -> None:
    """The first drug found for ``query``, for ``days`` days, added with Entrée."""
    _open_line(qtbot, editor, query)
    editor.line_editor.duration_spin.setValue(days)
    qtbot.keyClick(editor.line_editor.duration_spin, Qt.Key.Key_Return)


def _stored(path) -> dict[int, dict]:
    """The drafts table read through a connection of its own, as another process would."""
    with closing(sqlite3.connect(path)) as other:
        return {pid: json.loads(data) for pid, data in other.execute("SELECT patient_id, lines FROM drafts")}


def _row(panel: PatientPanel, patient_id: int) -> int:
    return next(row for row in range(panel.results.count())
                if panel.results.item(row).data(Qt.ItemDataRole.UserRole).id == patient_id)


def _two_patients(qtbot, path, drugs):
    """Two patients in a store at ``path``, the list and the editor on it."""
    context = make_context(path, drugs=drugs)
    first = context.services.patients.save(adult(family_name="Aubert", ins=None))
    second = context.services.patients.save(adult(family_name="Blanc", ins=None))
    return first, second, *_desk(qtbot, context)


def test_a_line_left_open_stays_with_its_patient_and_opens_again(qtbot, tmp_path, drugs) -> None:
    path = tmp_path / "store.sqlite3"
    first, second, panel, editor = _two_patients(qtbot, path, drugs)
    line = editor.line_editor
    panel.select(first)
    assert editor._patient.id == first.id

    _open_line(qtbot, editor, "levothyrox 100")
    line.dose_spin.setValue(1.5)
    line.moments_radio.setChecked(True)
    line.moment_checks["MORN"].setChecked(True)
    line.duration_spin.setValue(3)
    line.duration_combo.setCurrentIndex(line.duration_combo.findData("mo"))
    line.instructions_edit.setText("à jeun")
    written = line.line()
    sentence = line.sentence()

    # the GP goes down the list with the arrow keys, the line not added
    panel.results.setFocus()
    qtbot.keyClick(panel.results, Qt.Key.Key_Down if _row(panel, second.id) > _row(panel, first.id) else Qt.Key.Key_Up)
    assert editor._patient.id == second.id
    assert not line.isEnabled() and line.drug_label.text() == ""  # the second patient has no line open
    assert editor.draft_lines() == []
    saved = _stored(path)[first.id]
    assert saved["open"]["line"]["dci_wording"] == written.dci_wording  # kept in the local store at once
    assert saved["open"]["line"]["instructions"] == "à jeun"

    # back to the first patient: the line is open again, as it was, the keyboard still in the list
    qtbot.keyClick(panel.results, Qt.Key.Key_Up if _row(panel, second.id) > _row(panel, first.id) else Qt.Key.Key_Down)
    assert editor._patient.id == first.id
    assert QApplication.focusWidget() is panel.results
    assert line.isEnabled() and editor.workspace.currentWidget() is line
    assert line.line() == written and line.sentence() == sentence
    assert "Ligne en cours reprise" in editor.notice_label.text() and editor.notice_label.isVisible()
    assert "ordonnance en cours" in panel.results.item(_row(panel, first.id)).text()

    # Entrée on the patient: the keyboard goes to the line, Entrée adds it; its saved copy goes
    qtbot.keyClick(panel.results, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is line.dose_spin
    qtbot.keyClick(line.dose_spin, Qt.Key.Key_Return)
    assert [(added.dci_wording, added.posology.sentence(), added.instructions) for added in editor.draft_lines()] == [
        (written.dci_wording, written.posology.sentence(), "à jeun")]
    assert not _stored(path)[first.id].get("open")
    assert len(_stored(path)[first.id]["lines"]) == 1


def test_a_line_being_changed_comes_back_as_a_change_not_a_new_line(qtbot, tmp_path, drugs) -> None:
    path = tmp_path / "store.sqlite3"
    first, second, panel, editor = _two_patients(qtbot, path, drugs)
    panel.select(first)
    _add_line(qtbot, editor, "doliprane 1000", days=5)
    editor.edit_line(0)
    editor.line_editor.duration_spin.setValue(8)

    panel.select(second)
    panel.select(first)
    assert editor.line_editor.editing and editor.line_editor.duration_spin.value() == 8
    editor.line_editor.commit()
    assert [line.posology.duration for line in editor.draft_lines()] == [8]  # replaced, not added

    # Échap cancels a reopened line: its saved copy goes, the draft's lines stay
    _open_line(qtbot, editor, "kardegic")
    panel.select(second)
    assert _stored(path)[first.id].get("open")
    panel.select(first)
    editor.resume()  # what Entrée on the patient does
    assert QApplication.focusWidget() is editor.line_editor.dose_spin
    qtbot.keyClick(editor.line_editor.dose_spin, Qt.Key.Key_Escape)
    assert not editor.line_editor.isEnabled()
    assert not _stored(path)[first.id].get("open") and len(_stored(path)[first.id]["lines"]) == 1


def test_a_line_left_open_survives_a_restart(qtbot, tmp_path, drugs) -> None:
    path = tmp_path / "store.sqlite3"
    context = make_context(path, drugs=drugs)
    record = context.services.patients.save(adult())
    other = context.services.patients.save(adult(family_name="Autre", ins=None))
    panel, editor = _desk(qtbot, context)
    panel.select(record)
    _open_line(qtbot, editor, "metformine 1000")  # nothing added: the draft has no line, only the open one
    editor.line_editor.duration_spin.setValue(30)
    written = editor.line_editor.line()
    editor.keep_open_line()  # what the main window does when it closes
    context.close()

    context = make_context(path, drugs=drugs)
    panel, editor = _desk(qtbot, context)
    marked = [panel.results.item(row).text() for row in range(panel.results.count())]
    assert sum("ordonnance en cours" in text for text in marked) == 1  # the list says whose line waits
    panel.select(context.services.patients.get(other.id))
    assert not editor.line_editor.isEnabled()
    panel.select(context.services.patients.get(record.id))
    assert editor.line_editor.isEnabled() and editor.line_editor.line() == written
    assert editor.draft_lines() == []


def test_renewal_asks_before_dropping_a_line_left_open(qtbot, tmp_path, drugs) -> None:
    path = tmp_path / "store.sqlite3"
    first, _second, panel, editor = _two_patients(qtbot, path, drugs)
    panel.select(first)
    _add_line(qtbot, editor, "doliprane 1000", days=5)
    renewed = editor.draft_lines()
    editor.clear()
    _open_line(qtbot, editor, "levothyrox 100")  # the draft has no line, only this open one
    written = editor.line_editor.line()

    seen: list[str] = []
    answer_confirmation(editor, QMessageBox.StandardButton.Cancel, seen)
    assert editor.renew_with(renewed) is False
    assert seen == ["Abandonner l'ordonnance en cours ?"]  # Ctrl+N's question
    assert editor.line_editor.isEnabled() and editor.line_editor.line() == written  # nothing lost
    assert editor.draft_lines() == [] and "Renouvellement annulé" in editor.message_label.text()

    answer_confirmation(editor, QMessageBox.StandardButton.Yes, seen)
    assert editor.renew_with(renewed) is True
    assert len(seen) == 2 and not editor.line_editor.isEnabled()
    assert [line.dci_wording for line in editor.draft_lines()] == [renewed[0].dci_wording]
    assert not _stored(path)[first.id].get("open")
