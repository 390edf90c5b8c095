"""The whole consultation through the real widgets (offscreen), with the virtual card and the
reference base over loopback TLS: login with a wrong PIN first, a patient refused for a bad NIR
key then created, drugs searched and added, a contre-indication shown and acknowledged,
validation, the QR code of the produced PDF decoded, history after a simulated dispensing,
and the card pulled → locked."""

from __future__ import annotations

import pypdfium2 as pdfium
import zxingcpp
from PySide6.QtCore import Qt

from lap_app.demo.patients import nir_with_key
from lap_app.domain.identifiers import is_valid_prescription_number
from lap_app.domain.model import Sex

from ui_support import login, looks_until_locked


def qr_codes(pdf: bytes) -> list[str]:
    page = pdfium.PdfDocument(pdf)[0]
    image = page.render(scale=150 / 72).to_pil()
    return [c.text for c in zxingcpp.read_barcodes(image) if c.format == zxingcpp.BarcodeFormat.QRCode]


def add_drug(qtbot, editor, query: str) -> None:
    editor.search.edit.setFocus()
    editor.search.edit.clear()
    qtbot.keyClicks(editor.search.edit, query)
    qtbot.waitUntil(lambda: editor.search.model.rowCount() > 0, timeout=3000)
    qtbot.keyClick(editor.search.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: editor.line_editor.isEnabled(), timeout=3000)
    editor.line_editor.duration_spin.setValue(30)
    assert "30" in editor.line_editor.sentence()  # the posology sentence follows, live
    qtbot.mouseClick(editor.line_editor.commit_button, Qt.MouseButton.LeftButton)


def test_full_consultation(qtbot, main_window, demo_env):
    window = main_window
    page = window.login_page

    # 1. card login: a wrong PIN first, then the right one
    login(qtbot, window, "4321")
    qtbot.waitUntil(lambda: page.tries_label.text() == "2 essais restants", timeout=5000)
    assert window.is_locked()
    login(qtbot, window, "1234")
    qtbot.waitUntil(lambda: not window.is_locked(), timeout=5000)

    # 2. a new patient: a NIR with a wrong key is refused, field highlighted; the right key passes
    form = window.patient_panel.open_form()
    qtbot.keyClicks(form.family_edit, "LEFEVRE")
    qtbot.keyClicks(form.given_edit, "Alice")
    form.sex_combo.setCurrentIndex(form.sex_combo.findData(Sex.FEMALE))
    qtbot.keyClicks(form.birth_edit, "12/04/1985")
    good_ins = nir_with_key("2850475112042")
    bad_ins = good_ins[:13] + f"{(int(good_ins[13:]) + 1) % 100:02d}"
    qtbot.keyClicks(form.ins_edit, bad_ins)
    assert form.save() is None
    assert form.isVisible()
    assert form.ins_edit.property("invalid") in (True, "true")
    assert "NIR" in form.error_label.text()
    form.ins_edit.clear()
    qtbot.keyClicks(form.ins_edit, good_ins)
    record = form.save()
    assert record is not None and record.ins == good_ins
    qtbot.waitUntil(lambda: window.patient_panel.current_patient() is not None, timeout=3000)
    assert window.patient_panel.current_patient().family_name == "LEFEVRE"

    # 3. search as you type, lines added; simvastatine + itraconazole is a contre-indication
    editor = window.editor
    add_drug(qtbot, editor, "simvastatine 20")
    add_drug(qtbot, editor, "itraconazole")
    assert len(editor.draft_lines()) == 2
    alerts = editor.alerts_panel()
    qtbot.waitUntil(lambda: bool(alerts.unacknowledged_alerts()), timeout=3000)
    ci = alerts.unacknowledged_alerts()[0]
    assert ci.level == "CI"
    assert "contre-indication" in alerts.summary.text()

    # 4. validation is refused while the CI is not acknowledged
    qtbot.mouseClick(editor.validate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: getattr(window, "_flow", None) is not None and window._flow.message is not None,
                    timeout=3000)
    assert "contre-indication" in window._flow.message.text()
    assert window._flow.result_dialog is None
    window._flow.message.close()

    # 5. acknowledged → validated: signed with the card, registered, number shown
    card = next(c for c in alerts.cards() if c.ack_check is not None)
    card.ack_check.setChecked(True)
    assert alerts.unacknowledged_alerts() == []
    qtbot.mouseClick(editor.validate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window._flow.result_dialog is not None or window._flow.message is not None,
                    timeout=15000)
    assert window._flow.message is None, window._flow.message.text()
    dialog = window._flow.result_dialog
    result = dialog.result
    assert result.status == "registered"
    assert is_valid_prescription_number(result.number)
    assert dialog.number_label.text().replace(" ", "") == result.number
    assert qr_codes(result.pdf) == [result.number]  # what the pharmacist will scan
    assert editor.draft_lines() == []  # the next ordonnance starts empty
    # the acknowledgement is kept with the ordonnance: which alert, who (the card), when
    [kept] = window.context.store.acknowledgements(result.ordonnance_id)
    assert kept.alert_id == ci.alert_id and kept.level == "CI" and "SIMVASTATINE" in kept.text
    assert kept.by == window.context.session.identity.national_id

    # 6. print preview of that PDF
    dialog.show_preview()
    assert dialog.preview is not None and dialog.preview.isVisible()
    dialog.preview.close()
    dialog.close()

    # 7. history: registered, then dispensed once the pharmacy has dispensed it
    history = window.history
    qtbot.waitUntil(lambda: history.table.rowCount() >= 1, timeout=5000)
    assert history.table.item(0, 2).text().startswith("enregistrée")
    demo_env.prescrits.dispense_all(result.number)  # the pharmacy scans the QR code and dispenses
    history.refresh()
    qtbot.waitUntil(lambda: history.table.item(0, 2) is not None
                    and history.table.item(0, 2).text().startswith("délivrée"), timeout=5000)
    history.table.selectRow(0)
    history.consult_follow_up()
    qtbot.waitUntil(lambda: "SIMVASTATINE" in history.detail.text().upper(), timeout=5000)
    assert not history.cancel_button.isEnabled()  # dispensed: nothing to cancel any more
    # the status is read whole, not cut at the column's edge ("délivrée · DMP ✓")
    cell = history.table.item(0, 2)
    assert "DMP" in cell.text()
    shown = history.table.visualItemRect(cell)
    needed = history.table.fontMetrics().boundingRect(
        shown.adjusted(4, 0, -4, 0), int(Qt.TextFlag.TextWordWrap), cell.text())
    assert needed.width() <= shown.width() and needed.height() <= shown.height(), (cell.text(), shown, needed)

    # 8. card pulled → locked
    assert looks_until_locked(window, demo_env.pull_card) <= 1  # within 2 s: the first look after the pull
    demo_env.insert_card()
