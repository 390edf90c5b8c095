"""LPP devices on the medicines ordonnance, through the real widgets (a pharmacy delivers both):
one ordonnance, one number, the medicine and the device on its page — and, the patient being
in ALD, the bizone layout although no line is in the ALD zone; an adult's weight not printed."""

from __future__ import annotations

import io

import pypdf
from PySide6.QtCore import Qt
from test_editor_every_kind import page_qr_codes
from test_full_flow import add_drug

from lap_app.domain.kinds import OrdonnanceKind

from ui_support import login


def test_devices_go_on_the_medicines_ordonnance_of_a_patient_in_ald(qtbot, main_window) -> None:  # type: ignore[no-untyped-def]
    window = main_window
    login(qtbot, window, "1234")
    qtbot.waitUntil(lambda: not window.is_locked(), timeout=5000)
    record = window.context.services.patients.search("DURAND")[0]
    assert record.ald and record.weight_kg == 68
    window.patient_panel.select(record)
    add_drug(qtbot, window.editor, "paracetamol 500")

    care = window.care_editor
    care.choose_kind(OrdonnanceKind.DISPOSITIFS)
    care.with_medicines_check.setChecked(True)
    assert care.lines_title.text() == "Dispositifs de l'ordonnance de médicaments"
    qtbot.keyClicks(care.search_edit, "bandelettes")
    qtbot.waitUntil(lambda: care.results.count() > 0, timeout=3000)
    code = care.results.item(0).text().split()[0]
    qtbot.keyClick(care.search_edit, Qt.Key.Key_Return)
    assert care.message_label.text() == ""
    assert [line.code for line in care.draft.lines[OrdonnanceKind.MEDICAMENTS]] == [code]
    assert care.draft.lines[OrdonnanceKind.DISPOSITIFS] == [] and care.lines.count() == 1
    assert "Dispositifs avec les médicaments (1)" in care.summary_label.text()
    care.with_medicines_check.setChecked(False)  # the devices-alone ordonnance is another list
    assert care.lines.count() == 0

    qtbot.mouseClick(care.validate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: getattr(window, "_flow", None) is not None
                    and (window._flow.result_dialog is not None or window._flow.message is not None), timeout=30000)
    assert window._flow.message is None, window._flow.message.text()
    dialog = window._flow.result_dialog
    assert dialog.result.kinds == [OrdonnanceKind.MEDICAMENTS] and [o.status for o in dialog.result.outcomes] == [
        "registered"]
    number = dialog.result.numbers[0]
    assert page_qr_codes(dialog.result.pdf) == [[number]]
    pages = [" ".join((p.extract_text() or "").split()) for p in pypdf.PdfReader(io.BytesIO(dialog.result.pdf)).pages]
    assert len(pages) == 1
    text = pages[0]
    assert "PARACÉTAMOL" in text.upper() and code in text
    assert "Prescriptions relatives au traitement de l'affection de longue durée reconnue" in text
    assert "Prescriptions SANS RAPPORT avec l'affection de longue durée" in text
    assert "Poids" not in text  # an adult: the weight is not printed
    stored = window.context.store.by_number(number)
    resources = [e["resource"]["resourceType"] for e in stored.bundle["entry"]]
    assert resources.count("MedicationRequest") == 1 and resources.count("DeviceRequest") == 1
    assert care.draft.count() == 0 and window.editor.draft_lines() == []
    dialog.close()
