"""A GP in a hurry, keyboard only, on the demo: the focus after the
login and the lock, Ctrl+F and Ctrl+Entrée from anywhere in the window, the contre-indication's
box reached by the keyboard, Alt+letter shortcuts of the line editor, a birth date typed without
slashes, the print preview within the screen, a partial dispensing at the demo pharmacy (« Prescrit (démo) »)."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel

from lap_app.ui.patient_form import parse_birth_date

from ui_support import login


def _open_session(qtbot, window) -> None:
    window.activateWindow()
    login(qtbot, window)
    qtbot.waitUntil(lambda: not window.is_locked(), timeout=5000)


def test_after_login_the_keyboard_is_in_the_patient_search_and_after_lock_in_the_pin(qtbot, main_window):
    window = main_window
    _open_session(qtbot, window)
    qtbot.waitUntil(lambda: window.focusWidget() is window.patient_panel.search_edit, timeout=2000)
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.is_locked()
    qtbot.waitUntil(lambda: window.focusWidget() is window.login_page.pin_edit, timeout=2000)


def test_ctrl_f_from_the_patient_list_goes_to_the_drug_search(qtbot, main_window):
    window = main_window
    _open_session(qtbot, window)
    window.patient_panel.select(window.context.services.patients.search("DURAND")[0])
    window.patient_panel.search_edit.setFocus()
    qtbot.keyClick(window.patient_panel.search_edit, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.focusWidget() is window.editor.search.edit


def test_validation_with_an_unticked_ci_puts_the_keyboard_on_its_box_then_ctrl_enter_validates(
        qtbot, main_window):
    window = main_window
    _open_session(qtbot, window)
    window.patient_panel.select(window.context.services.patients.search("DURAND")[0])
    editor = window.editor
    for query in ("simvastatine 20", "itraconazole"):
        editor.search.edit.setFocus()
        editor.search.edit.clear()
        qtbot.keyClicks(editor.search.edit, query)
        qtbot.waitUntil(lambda: editor.search.model.rowCount() > 0, timeout=3000)
        qtbot.keyClick(editor.search.edit, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: editor.line_editor.isEnabled(), timeout=3000)
        editor.line_editor.duration_spin.setValue(30)
        qtbot.keyClick(editor.line_editor.duration_spin, Qt.Key.Key_Return)
    alerts = editor.alerts_panel()
    qtbot.waitUntil(lambda: bool(alerts.unacknowledged_alerts()), timeout=3000)

    qtbot.keyClick(editor.search.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: getattr(window, "_flow", None) is not None and window._flow.message is not None,
                    timeout=3000)
    window._flow.message.close()
    box = next(card.ack_check for card in alerts.cards() if card.ack_check is not None)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is box, timeout=2000)
    qtbot.keyClick(box, Qt.Key.Key_Space)
    assert alerts.unacknowledged_alerts() == []

    window._flow = None
    qtbot.keyClick(box, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # from the alerts panel
    qtbot.waitUntil(lambda: getattr(window, "_flow", None) is not None
                    and (window._flow.result_dialog is not None or window._flow.message is not None),
                    timeout=15000)
    assert window._flow.message is None, window._flow.message.text()
    assert window._flow.result_dialog.result.status == "registered"
    window._flow.result_dialog.close()


def test_ctrl_enter_does_nothing_while_the_session_is_locked(qtbot, main_window):
    window = main_window
    _open_session(qtbot, window)
    window.patient_panel.select(window.context.services.patients.search("DURAND")[0])
    window.lock()
    window._flow = None
    qtbot.keyClick(window.login_page.pin_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.wait(50)
    assert getattr(window, "_flow", None) is None
    assert window.is_locked()


def test_line_editor_mnemonics_are_unique_and_alt_u_reaches_the_duration(qtbot, main_window):
    editor = main_window.editor
    line_editor = editor.line_editor
    letters = []
    for widget in line_editor.findChildren(QLabel) + line_editor.findChildren(QAbstractButton):
        text = widget.text()
        if "&" in text.replace("&&", ""):
            letters.append(text[text.index("&") + 1].lower())
    assert len(letters) == len(set(letters)), sorted(letters)
    duration_label = next(label for label in line_editor.findChildren(QLabel) if label.text() == "D&urée")
    assert duration_label.buddy() is line_editor.duration_spin
    quantity_label = next(label for label in line_editor.findChildren(QLabel) if label.text() == "&Quantité")
    assert quantity_label.buddy() is line_editor.boxes_spin


@pytest.mark.parametrize("typed", ["15/03/2022", "15032022", "15-03-2022", "15.03.2022", " 15 03 2022 "])
def test_birth_date_typed_in_a_hurry(typed):
    assert parse_birth_date(typed) == date(2022, 3, 15)


@pytest.mark.parametrize("typed", ["", "1503202", "32/01/2020", "2022-03-15x", "abc"])
def test_birth_date_that_is_no_date_is_refused(typed):
    with pytest.raises(ValueError):
        parse_birth_date(typed)


def test_patient_form_tidies_a_date_typed_without_slashes(qtbot, main_window):
    window = main_window
    _open_session(qtbot, window)
    form = window.patient_panel.open_form()
    qtbot.keyClicks(form.birth_edit, "15032022")
    assert form.age_label.text()  # the age shows at once
    form.birth_edit.editingFinished.emit()
    assert form.birth_edit.text() == "15/03/2022"
    form.reject()


def test_print_preview_fits_a_768_pixel_screen(qtbot, main_window):
    from lap_app.ui.printing_ui import fitted_size

    available = main_window.screen().availableGeometry()
    size = fitted_size(main_window, 900, 5000)
    assert size.height() <= available.height() - 40
    assert fitted_size(main_window, 100, 100).width() == 100  # small stays small


def test_demo_pharmacy_dispenses_part_then_the_rest(qtbot, main_window, demo_env):
    window = main_window
    _open_session(qtbot, window)
    window.patient_panel.select(window.context.services.patients.search("BERNARD")[0])
    editor = window.editor
    for query in ("doliprane 1000", "spasfon"):
        editor.search.edit.clear()
        qtbot.keyClicks(editor.search.edit, query)
        qtbot.waitUntil(lambda: editor.search.model.rowCount() > 0, timeout=3000)
        qtbot.keyClick(editor.search.edit, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: editor.line_editor.isEnabled(), timeout=3000)
        editor.line_editor.duration_spin.setValue(5)
        qtbot.keyClick(editor.line_editor.duration_spin, Qt.Key.Key_Return)
    assert len(editor.draft_lines()) == 2
    window._flow = None
    window.validate()
    qtbot.waitUntil(lambda: window._flow.result_dialog is not None or window._flow.message is not None,
                    timeout=15000)
    number = window._flow.result_dialog.result.number
    window._flow.result_dialog.close()

    pharmacy = demo_env.window_extension.open_prescrit()
    pharmacy.choose_profession("pharmacien")
    qtbot.keyClicks(pharmacy.number_edit, number)
    qtbot.keyClick(pharmacy.number_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: pharmacy.table.rowCount() == 2, timeout=5000)
    assert not pharmacy.dispense_some_button.isEnabled()  # nothing chosen yet
    pharmacy.table.selectRow(0)
    assert pharmacy.dispense_some_button.isEnabled()
    pharmacy.dispense_some_button.click()
    qtbot.waitUntil(lambda: "reste ouverte" in pharmacy.message.text(), timeout=5000)
    assert "partiellement délivrée" in pharmacy.header.text(), pharmacy.header.text()
    assert [pharmacy.table.item(row, 2).text().split()[0] for row in range(2)] == ["1", "0"]
    assert pharmacy.dispense_button.isEnabled()  # still open: the rest can follow

    pharmacy.dispense_button.click()
    qtbot.waitUntil(lambda: "close" in pharmacy.message.text(), timeout=5000)
    assert [pharmacy.table.item(row, 2).text().split()[0] for row in range(2)] == ["1", "1"]
    assert not pharmacy.dispense_button.isEnabled()
    assert not pharmacy.dispense_some_button.isEnabled()


def test_the_first_match_is_not_shown_as_chosen_before_the_gp_picks_it(qtbot, main_window):
    window = main_window
    _open_session(qtbot, window)
    panel = window.patient_panel
    panel.select(window.context.services.patients.search("DURAND")[0])
    panel.search_edit.clear()
    qtbot.keyClicks(panel.search_edit, "BERN")
    assert panel.results.currentRow() == 0  # Enter would take it...
    assert panel.results.selectedItems() == []  # ...but it is not highlighted as the patient seen
    qtbot.keyClick(panel.search_edit, Qt.Key.Key_Return)
    assert panel.current_patient().family_name == "BERNARD"
    assert len(panel.results.selectedItems()) == 1


def test_a_field_flagged_red_clears_once_corrected(qtbot, main_window):
    window = main_window
    _open_session(qtbot, window)
    form = window.patient_panel.open_form()
    qtbot.keyClicks(form.family_edit, "PETIT")
    qtbot.keyClicks(form.birth_edit, "15/03/2022")  # a child: the weight is required
    assert form.save() is None
    assert form.weight_edit.property("invalid") == "true"
    qtbot.keyClicks(form.weight_edit, "16,5")
    assert form.weight_edit.property("invalid") == "false"
    form.reject()


def test_after_unlock_the_keyboard_is_back_where_the_physician_left_it(qtbot, main_window):
    window = main_window
    _open_session(qtbot, window)
    window.patient_panel.select(window.context.services.patients.search("DURAND")[0])
    window.editor.search.edit.setFocus()
    qtbot.waitUntil(lambda: window.focusWidget() is window.editor.search.edit, timeout=2000)
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.is_locked()
    login(qtbot, window)
    qtbot.waitUntil(lambda: not window.is_locked(), timeout=5000)
    qtbot.waitUntil(lambda: window.focusWidget() is window.editor.search.edit, timeout=2000)
