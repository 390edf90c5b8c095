"""One consultation through the real widgets: medicines + biology (NABM search, « bilan
diabète annuel ») + nursing, validated once, three numbers registered in the reference base,
the three pages printed in one job through CUPS; kinds chosen with their shortcuts."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PySide6.QtCore import Qt
from test_printing_cups import _cups_pdf_queue_ready, _file_cups_wrote

from lap_app.domain.identifiers import is_valid_prescription_number
from lap_app.domain.kinds import OrdonnanceKind
from lap_app.services.care_templates import BUILT_IN_TEMPLATES

from ui_support import paracetamol_for_rousseau, require_service


def page_qr_codes(pdf: bytes) -> list[list[str]]:
    document = pdfium.PdfDocument(pdf)
    try:
        images = [page.render(scale=150 / 72).to_pil() for page in document]
    finally:
        document.close()
    return [[c.text for c in zxingcpp.read_barcodes(image) if c.format == zxingcpp.BarcodeFormat.QRCode]
            for image in images]


@pytest.mark.cups
def test_medicines_biology_and_nursing_in_one_validation(qtbot, main_window, tmp_path: Path) -> None:
    window = main_window
    care = paracetamol_for_rousseau(qtbot, window)  # medicines, in their own editor
    assert len(window.editor.draft_lines()) == 1

    # biology: Ctrl+Alt+B brings the other editor forward on the biology page
    qtbot.keyClick(window, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
    assert window.kinds_tabs.currentWidget() is care and care.kind is OrdonnanceKind.BIOLOGIE
    qtbot.keyClicks(care.search_edit, "NFS")
    qtbot.waitUntil(lambda: care.results.count() > 0, timeout=3000)
    assert care.results.item(0).text().startswith("1104  HEMOGRAMME")
    care.urgent_check.setChecked(True)
    qtbot.keyClick(care.search_edit, Qt.Key.Key_Return)
    template = next(t for t in BUILT_IN_TEMPLATES if t.label == "Bilan diabète annuel")
    care.apply_template(template)
    assert [line.code for line in care.draft.lines[OrdonnanceKind.BIOLOGIE]] == ["1104", "1577", "0996", "0592", "1133"]

    # a closed code is found and refused with a French message
    care.search_edit.clear()
    qtbot.keyClicks(care.search_edit, "spirochetes rech")
    qtbot.waitUntil(lambda: care.results.count() > 0, timeout=3000)
    closed_row = next(i for i in range(care.results.count()) if care.results.item(i).text().startswith("0246"))
    care.results.setCurrentRow(closed_row)
    care.add_current()
    assert care.message_label.text() == "code NABM 0246 fermé depuis le 04/09/2014 : il ne peut plus être prescrit"
    assert len(care.draft.lines[OrdonnanceKind.BIOLOGIE]) == 5

    # nursing: a missing duration is named, then the line is added
    qtbot.keyClick(window, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
    assert care.kind is OrdonnanceKind.SOINS_INFIRMIERS
    care.act_combo.setCurrentText("Pansement simple d'une plaie")
    care.add_current()
    assert care.message_label.text() == "Indiquez la durée des soins infirmiers."
    care.times_spin.setValue(2)
    care.nursing_duration.setValue(15)
    care.nursing_home.setChecked(True)
    care.sundays_check.setChecked(True)
    care.add_current()
    assert care.lines.item(0).text() == (
        "1. Pansement simple d'une plaie — Soins infirmiers à domicile, 2 fois par jour pendant 15 jours, "
        "dimanches et jours fériés inclus")

    # one validation for the three ordonnances
    qtbot.mouseClick(care.validate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: getattr(window, "_flow", None) is not None
                    and (window._flow.result_dialog is not None or window._flow.message is not None), timeout=30000)
    assert window._flow.message is None, window._flow.message.text()
    dialog = window._flow.result_dialog
    outcomes = dialog.result.outcomes
    numbers = dialog.result.numbers
    assert [o.status for o in outcomes] == ["registered"] * 3
    assert all(is_valid_prescription_number(n) for n in numbers) and len(set(numbers)) == 3
    assert [label.text().replace(" ", "") for label in dialog.number_labels] == numbers
    assert page_qr_codes(dialog.result.pdf) == [[n] for n in numbers]
    desk = window.context.services.prescribing
    history = desk.history(window.patient_panel.current_patient().to_patient())
    assert {e.number for e in history} >= set(numbers)
    assert any(e.summary.startswith("Biologie médicale : HEMOGRAMME") for e in history)
    assert care.draft.count() == 0 and window.editor.draft_lines() == []  # the next consultation starts empty

    # the three pages out of CUPS, in one job
    require_service(_cups_pdf_queue_ready(), "CUPS with the cups-pdf queue PDF")
    window.context.settings.default_printer = "PDF"
    dialog.print_now()
    qtbot.waitUntil(lambda: "« PDF »" in dialog.print_status.text(), timeout=30000)
    written = _file_cups_wrote(f"consultation_{numbers[0]}")  # cups-pdf: the job name, spaces as _
    prefix = tmp_path / "page"
    for _attempt in range(60):  # cups-pdf may still be finishing the file (its trailer comes last)
        if subprocess.run(["pdftoppm", "-r", "150", "-png", str(written), str(prefix)],
                          capture_output=True).returncode == 0:
            break
        time.sleep(0.5)
    from PIL import Image

    printed = [[c.text for c in zxingcpp.read_barcodes(Image.open(p)) if c.format == zxingcpp.BarcodeFormat.QRCode]
               for p in sorted(tmp_path.glob("page*.png"))]
    assert printed == [[n] for n in numbers]
    dialog.close()
