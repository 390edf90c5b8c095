"""A consultation at the keyboard, in the main window on the demo: one click or an arrow key
chooses the patient, a key reaches the patient search and the menus say which, the line editor
is empty once its line is added, a refusal about the open line is said on the line."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication

from ui_support import login


def _open_session(qtbot, window) -> None:
    window.activateWindow()
    login(qtbot, window)
    qtbot.waitUntil(lambda: not window.is_locked(), timeout=5000)


def _show_everyone(qtbot, panel) -> None:
    panel.search_edit.clear()
    qtbot.waitUntil(lambda: panel.results.count() >= 2, timeout=2000)


def _row_of(panel, family_name: str) -> int:
    for row in range(panel.results.count()):
        if panel.results.item(row).data(Qt.ItemDataRole.UserRole).family_name == family_name:
            return row
    raise AssertionError(f"{family_name} not in the patient list")


def _editor_names(window, family_name: str) -> bool:
    return family_name.upper() in window.editor.patient_label.text().upper()


def test_one_click_on_a_patient_chooses_them(qtbot, main_window):
    window = main_window
    _open_session(qtbot, window)
    panel = window.patient_panel
    _show_everyone(qtbot, panel)
    assert panel.current_patient() is None
    assert "Choisissez un patient" in window.editor.patient_label.text()
    row = _row_of(panel, "BERNARD")
    rect = panel.results.visualItemRect(panel.results.item(row))
    qtbot.mouseClick(panel.results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert panel.current_patient().family_name == "BERNARD"
    assert _editor_names(window, "BERNARD")
    assert "BERNARD" in panel.summary.text()
    assert window.editor.search.isEnabled()  # the GP can search a drug at once


def test_the_first_match_is_chosen_by_one_click_too(qtbot, main_window):
    """The first match is the list's current row before any click (Enter would take it): a click
    on it must choose it all the same."""
    window = main_window
    _open_session(qtbot, window)
    panel = window.patient_panel
    panel.search_edit.setFocus()
    qtbot.keyClicks(panel.search_edit, "DURAND")
    qtbot.waitUntil(lambda: panel.results.count() == 1, timeout=2000)
    assert panel.current_patient() is None
    rect = panel.results.visualItemRect(panel.results.item(0))
    qtbot.mouseClick(panel.results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert panel.current_patient().family_name == "DURAND"


def test_arrow_keys_in_the_list_choose_and_each_patient_keeps_their_draft(qtbot, main_window, demo_context):
    window = main_window
    drafting = demo_context.services.drafting
    for patient_id in drafting.patients_with_draft():  # left by an earlier test in the demo store
        drafting.delete_draft(patient_id)
    _open_session(qtbot, window)
    panel, editor = window.patient_panel, window.editor
    _show_everyone(qtbot, panel)
    panel.search_edit.setFocus()
    qtbot.keyClick(panel.search_edit, Qt.Key.Key_Down)  # into the list: the first patient is chosen
    assert QApplication.focusWidget() is panel.results
    first = panel.results.item(0).data(Qt.ItemDataRole.UserRole)
    assert panel.current_patient().id == first.id
    assert _editor_names(window, first.family_name)

    editor.search.edit.setText("doliprane 1000")
    qtbot.waitUntil(lambda: editor.search.model.rowCount() > 0, timeout=3000)
    editor.search._choose_current()
    editor.line_editor.duration_spin.setValue(5)
    editor.line_editor.commit()
    assert len(editor.draft_lines()) == 1

    panel.results.setFocus()
    qtbot.keyClick(panel.results, Qt.Key.Key_Down)
    second = panel.results.item(1).data(Qt.ItemDataRole.UserRole)
    assert panel.current_patient().id == second.id
    assert _editor_names(window, second.family_name)
    assert editor.draft_lines() == []  # the second patient's own ordonnance
    qtbot.keyClick(panel.results, Qt.Key.Key_Up)
    assert panel.current_patient().id == first.id
    assert len(editor.draft_lines()) == 1  # the first patient's draft is still there
    editor.clear()


def test_enter_on_a_patient_goes_on_to_the_drug_search(qtbot, main_window):
    window = main_window
    _open_session(qtbot, window)
    panel = window.patient_panel
    panel.search_edit.setFocus()
    qtbot.keyClicks(panel.search_edit, "BERN")
    qtbot.keyClick(panel.search_edit, Qt.Key.Key_Return)
    assert panel.current_patient().family_name == "BERNARD"
    assert QApplication.focusWidget() is window.editor.search.edit


def test_a_key_reaches_the_patient_search_and_the_menus_show_both_searches(qtbot, main_window):
    window = main_window
    _open_session(qtbot, window)
    window.patient_panel.select(window.context.services.patients.search("DURAND")[0])
    window.editor.search.edit.setFocus()
    window.patient_panel.search_edit.setText("DURAND")
    qtbot.keyClick(window.editor.search.edit, Qt.Key.Key_F,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    search = window.patient_panel.search_edit
    assert QApplication.focusWidget() is search
    assert search.selectedText() == "DURAND"  # typing replaces the last name searched
    qtbot.keyClick(search, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is window.editor.search.edit

    entries = {}
    for menu_action in window.menuBar().actions():
        for action in menu_action.menu().actions():
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.PortableText) or action.text().partition("\t")[2]
            entries[action.text().split("\t")[0].replace("&", "")] = keys
    assert entries["Rechercher un patient"] == "Ctrl+Shift+F"  # the menu shows it (« Ctrl+Maj+F » in French)
    assert entries["Rechercher un médicament"] == "Ctrl+F"


def test_the_line_editor_is_empty_once_its_line_is_added(qtbot, main_window):
    window = main_window
    _open_session(qtbot, window)
    window.patient_panel.select(window.context.services.patients.search("DURAND")[0])
    editor, line = window.editor, window.editor.line_editor
    editor.search.edit.setFocus()
    qtbot.keyClicks(editor.search.edit, "doliprane 1000")
    qtbot.waitUntil(lambda: editor.search.model.rowCount() > 0, timeout=3000)
    qtbot.keyClick(editor.search.edit, Qt.Key.Key_Return)
    assert line.isEnabled() and line.drug_label.text()
    line.duration_spin.setValue(5)
    line.instructions_edit.setText("en cas de fièvre")
    line.nonsub_check.setChecked(True)
    dose = line.dose_spin.value()
    assert dose
    qtbot.keyClick(line.duration_spin, Qt.Key.Key_Return)  # « Ajouter »
    assert len(editor.draft_lines()) == 1
    assert not line.isEnabled()
    assert line.dose_spin.value() == 0 and line.dose_spin.text() == "—"
    assert line.duration_spin.value() == 0 and line.instructions_edit.text() == ""
    assert not line.nonsub_check.isChecked()
    assert not any(check.isChecked() for check in line.moment_checks.values())
    assert line.drug_label.text() == ""
    assert dose and "Choisissez un médicament" in line.sentence()
    editor.clear()


def test_validating_with_a_line_open_says_so_on_the_line_and_puts_the_keyboard_there(qtbot, main_window):
    window = main_window
    _open_session(qtbot, window)
    window.patient_panel.select(window.context.services.patients.search("DURAND")[0])
    editor, line = window.editor, window.editor.line_editor
    editor.search.edit.setFocus()
    qtbot.keyClicks(editor.search.edit, "doliprane 1000")
    qtbot.keyClick(editor.search.edit, Qt.Key.Key_Return)
    line.duration_spin.setValue(5)
    qtbot.keyClick(line.duration_spin, Qt.Key.Key_Return)
    qtbot.keyClicks(editor.search.edit, "spasfon")
    qtbot.keyClick(editor.search.edit, Qt.Key.Key_Return)
    line.duration_spin.setFocus()
    window._flow = None
    qtbot.keyClick(line.duration_spin, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert getattr(window, "_flow", None) is None  # not validated
    problem = line.problem_label
    assert problem.isVisible() and "Ajoutez ou annulez la ligne en cours" in problem.text()
    # where the GP looks: on the line, above its fields, within the visible part of the editor
    viewport = editor.scroll_area.viewport()
    top_left = problem.mapTo(viewport, QPoint(0, 0))
    assert viewport.rect().contains(top_left) and top_left.y() + problem.height() <= viewport.height()
    assert QApplication.focusWidget() is line.dose_spin
    qtbot.keyClick(line.dose_spin, Qt.Key.Key_Escape)  # the GP cancels the line: the notice goes
    assert not problem.isVisible() and editor.message_label.text() == ""
    assert len(editor.draft_lines()) == 1
    editor.clear()



def _add_line(qtbot, editor, query: str, days: int = 5) -> None:
    editor.search.edit.setFocus()
    editor.search.edit.clear()
    qtbot.keyClicks(editor.search.edit, query)
    qtbot.waitUntil(lambda: editor.search.model.rowCount() > 0, timeout=3000)
    qtbot.keyClick(editor.search.edit, Qt.Key.Key_Return)
    editor.line_editor.duration_spin.setValue(days)
    qtbot.keyClick(editor.line_editor.duration_spin, Qt.Key.Key_Return)


def _laptop_with_two_lines(qtbot, window):
    """The window at 1366 × 768 less a taskbar and a title bar (698 pixels), two lines written,
    the keyboard in the drug search."""
    _open_session(qtbot, window)
    window.resize(1366, 698)
    qtbot.waitUntil(lambda: window.size().width() == 1366 and window.size().height() == 698, timeout=2000)
    window.patient_panel.select(window.context.services.patients.search("BERNARD")[0])
    editor = window.editor
    for query in ("spasfon", "amoxicilline 1 g"):
        _add_line(qtbot, editor, query)
    editor.search.edit.setFocus()
    return editor


def test_at_1366_by_768_the_results_show_ten_rows_whole_that_tell_the_drugs_apart(qtbot, main_window):
    """A 1366 × 768 laptop less its taskbar and the title bar: 698 pixels for the window. With
    two lines already written, « doliprane 1000 » shows at least ten rows (or every result),
    each name whole (brand, strength, form), the tablet and the effervescent tablet apart."""
    editor = _laptop_with_two_lines(qtbot, main_window)
    qtbot.keyClicks(editor.search.edit, "doliprane 1000")
    qtbot.waitUntil(lambda: editor.search.model.rowCount() >= 7, timeout=3000)
    qtbot.wait(50)
    view, model = editor.search.view, editor.search.model
    shown = _rows_in_view(editor)
    assert len(shown) >= min(10, model.rowCount()), (len(shown), model.rowCount(), view.viewport().rect())
    names = [model.index(row, 0).data() for row in shown]
    assert "DOLIPRANE 1000 mg, comprimé" in names
    assert "DOLIPRANE 1000 mg, comprimé effervescent sécable" in names  # apart, at a glance
    metrics = view.fontMetrics()
    for row in shown:  # every name whole in its cell (wrapped, never cut)
        rect = view.visualRect(model.index(row, 0)).adjusted(3, 1, -3, -1)
        needed = metrics.boundingRect(rect, int(Qt.TextFlag.TextWordWrap), model.index(row, 0).data())
        assert needed.height() <= rect.height() + 2 and needed.width() <= rect.width(), (names, row)
    assert len(editor.draft_lines()) == 2
    assert editor.lines_view.list.height() < 200  # the lines written leave the height to the search
    editor.clear()


def _rows_in_view(editor) -> list[int]:
    view, model = editor.search.view, editor.search.model
    viewport = view.viewport().rect()
    return [row for row in range(model.rowCount()) if viewport.contains(view.visualRect(model.index(row, 0)))]


def test_at_1366_by_768_long_combination_names_still_show_ten_rows_that_tell_them_apart(qtbot, main_window):
    """« amoxicilline acide clavulanique »: names of 130 to 170 characters. Ten rows in view at
    least, each name on two lines at the most and whole in its cell (lab, strength, adults or
    children, form), the ratio note left out (the strength says it), the DCI in the tooltip."""
    editor = _laptop_with_two_lines(qtbot, main_window)
    qtbot.keyClicks(editor.search.edit, "amoxicilline acide clavulanique")
    qtbot.waitUntil(lambda: editor.search.model.rowCount() == 20, timeout=3000)
    qtbot.wait(50)
    view, model = editor.search.view, editor.search.model
    shown = _rows_in_view(editor)
    assert len(shown) >= 10, (len(shown), view.viewport().rect())
    metrics = view.fontMetrics()
    texts = []
    for row in shown:
        index = model.index(row, 0)
        drug = model.drug(row)
        text = index.data()
        assert "rapport" not in text.lower() and text == drug.name[: len(text)]  # the name, less its note
        assert view.rowHeight(row) <= 2 * metrics.lineSpacing() + 8  # two lines at the most
        rect = view.visualRect(index).adjusted(3, 1, -3, -1)
        needed = metrics.boundingRect(rect, int(Qt.TextFlag.TextWordWrap), text)
        assert needed.height() <= rect.height() + 2 and needed.width() <= rect.width(), text  # whole
        assert "ACIDE CLAVULANIQUE" in index.data(Qt.ItemDataRole.ToolTipRole)  # the DCI, for the asking
        texts.append(text)
    assert len(set(texts)) == len(texts)  # no two rows read alike
    assert any("ENFANTS" in t for t in texts) and any("NOURRISSONS" in t for t in texts)
    assert editor.lines_view.list.isVisible() and editor.validate_button.isVisible()
    editor.clear()


def test_after_a_dialog_the_keyboard_is_back_in_the_field_the_gp_was_in(qtbot, main_window):
    window = main_window
    _open_session(qtbot, window)
    window.patient_panel.select(window.context.services.patients.search("BERNARD")[0])
    editor = window.editor
    _add_line(qtbot, editor, "doliprane 1000")
    assert QApplication.focusWidget() is editor.search.edit

    # validation refused (an incomplete line): the message, then back in the search
    editor.draft.lines[0].posology.duration = None
    window._flow = None
    qtbot.keyClick(editor.search.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window._flow is not None and window._flow.message is not None, timeout=5000)
    message = window._flow.message
    qtbot.waitUntil(message.isVisible, timeout=2000)
    message.done(0)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is editor.search.edit, timeout=2000)

    # a confirmation (renewing over the ordonnance being written), then back in the line
    editor.draft.lines[0].posology.duration = 5
    editor.edit_line(0)
    assert QApplication.focusWidget() is editor.line_editor.dose_spin
    editor.line_editor.duration_spin.setFocus()
    from PySide6.QtCore import QTimer

    QTimer.singleShot(100, lambda: editor.confirm_box.reject())
    editor._confirm("Renouveler", "Remplacer ?")
    qtbot.waitUntil(lambda: QApplication.focusWidget() is editor.line_editor.duration_spin, timeout=2000)
    qtbot.keyClick(editor.line_editor.duration_spin, Qt.Key.Key_Return)

    # validated: the result dialog closed with Échap, the keyboard is back in the drug search
    window._flow = None
    editor.search.edit.setFocus()
    qtbot.keyClick(editor.search.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window._flow is not None and window._flow.result_dialog is not None, timeout=15000)
    result = window._flow.result_dialog
    qtbot.waitUntil(result.isVisible, timeout=2000)
    result.activateWindow()
    qtbot.keyClick(result, Qt.Key.Key_Escape)
    assert not result.isVisible()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is editor.search.edit, timeout=2000)


def test_a_line_left_open_waits_for_its_patient_and_entree_elsewhere_is_not_for_it(qtbot, main_window):
    """A line being written, then Ctrl+Maj+F, another name and Entrée: the other patient is
    chosen (Entrée does not add the line from the patient search); back to the first patient,
    the line is open again and Entrée there adds it."""
    window = main_window
    _open_session(qtbot, window)
    panel, editor = window.patient_panel, window.editor
    panel.select(window.context.services.patients.search("BERNARD")[0])
    editor.search.edit.setFocus()
    qtbot.keyClicks(editor.search.edit, "kardegic 75")
    qtbot.waitUntil(lambda: editor.search.model.rowCount() > 0, timeout=3000)
    qtbot.keyClick(editor.search.edit, Qt.Key.Key_Return)
    editor.line_editor.duration_spin.setFocus()
    editor.line_editor.duration_spin.setValue(30)
    written = editor.line_editor.line()

    qtbot.keyClick(editor.line_editor.duration_spin, Qt.Key.Key_F,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(panel.search_edit, "DURAND")
    qtbot.waitUntil(lambda: panel.results.count() == 1, timeout=2000)
    qtbot.keyClick(panel.search_edit, Qt.Key.Key_Return)
    assert panel.current_patient().family_name == "DURAND"
    assert not editor.line_editor.isEnabled() and editor.draft_lines() == []
    assert QApplication.focusWidget() is editor.search.edit

    qtbot.keyClick(editor.search.edit, Qt.Key.Key_F,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(panel.search_edit, "BERNARD")
    qtbot.waitUntil(lambda: panel.results.count() == 1, timeout=2000)
    qtbot.keyClick(panel.search_edit, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is editor.line_editor.dose_spin  # back in the line
    assert editor.line_editor.line() == written
    qtbot.keyClick(editor.line_editor.dose_spin, Qt.Key.Key_Return)
    assert [line.posology.duration for line in editor.draft_lines()] == [30]
    editor.clear()


def test_the_alerts_panel_folds_while_there_is_no_alert_and_opens_without_taking_the_keyboard(qtbot, main_window):
    window = main_window
    _open_session(qtbot, window)
    window.resize(1366, 698)
    editor, alerts, history = window.editor, window.editor.alerts_panel(), window.history
    window.patient_panel.select(window.context.services.patients.search("DURAND")[0])
    qtbot.waitUntil(lambda: alerts.is_folded(), timeout=2000)
    qtbot.wait(50)
    assert alerts.height() < 90 and "Aucune alerte" in alerts.summary.text() and alerts.summary.isVisible()
    assert history.height() > 3 * alerts.height()  # the room goes to the history

    _add_line(qtbot, editor, "simvastatine 20")
    assert alerts.is_folded()
    _add_line(qtbot, editor, "clarithromycine 500")  # a contre-indication: the panel opens
    assert not alerts.is_folded() and alerts.cards()
    qtbot.wait(50)
    assert alerts.height() > 200 and alerts.cards()[0].isVisible()
    assert QApplication.focusWidget() is editor.search.edit  # the GP types on, the panel only shows

    editor.search.edit.setFocus()
    qtbot.keyClicks(editor.search.edit, "kardegic")  # typing on: the alerts stay open
    assert not alerts.is_folded() and QApplication.focusWidget() is editor.search.edit
    editor.remove_line(1)  # no alert left: folded again, the history has the room back
    assert alerts.is_folded()
    qtbot.wait(50)
    assert alerts.height() < 90 and history.height() > 3 * alerts.height()
    editor.clear()
