"""Save a PNG of each main screen into docs/screenshots/ (offscreen, demo environment).

    .venv/bin/python tests/ui/screenshots.py [OUT_DIR]

Screens: login, patient form, writing with alerts, validation result, print preview, the
« Prescrit (démo) » window after a pharmacist dispensed, history with its follow-up, locked.
Runs in a temporary data directory; nothing of the user's is touched.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo_screens import demo_window, log_in, output_folder, pump, until


def main(out: Path) -> int:
    from lap_app.services.drafting import line_for_drug

    with demo_window(out, logged_in=False) as (env, window):
        page = window.login_page
        until(page.pin_edit.isEnabled)
        page.pin_edit.setText("12")
        pump()
        window.grab().save(str(out / "01-login.png"))
        log_in(window)
        context = window.context

        form = window.patient_panel.open_form()
        form.family_edit.setText("LEFEVRE")
        form.given_edit.setText("Alice")
        form.birth_edit.setText("12/04/1985")
        form.ins_edit.setText("2 85 04 75 112 042 00")
        form.save()  # wrong key: refused, highlighted
        pump()
        form.grab().save(str(out / "02-patient-bad-nir.png"))
        form.reject()

        # as the physician does: type in the patient search, Enter picks the highlighted row
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        panel = window.patient_panel
        panel.search_edit.setFocus()
        QTest.keyClicks(panel.search_edit, "durand")
        QTest.keyClick(panel.search_edit, Qt.Key.Key_Return)
        record = panel.current_patient()
        if record is None or record.family_name != "DURAND" or panel.results.currentItem() is None:
            raise SystemExit("patient DURAND not picked through the panel")
        panel.search_edit.clear()  # the whole list again, the patient's row still highlighted
        drugs = context.drugs
        lines = []
        for query in ("simvastatine 20", "itraconazole", "paracetamol 1 g"):
            line = line_for_drug(drugs.search(query, limit=1)[0])
            line.posology.duration, line.posology.duration_unit = 30, "d"
            lines.append(line)
        window.editor.load_lines(lines)
        window.editor.search.edit.setText("amoxi")
        pump(0.5)
        window.grab().save(str(out / "03-writing-with-alerts.png"))
        window.editor.search.edit.clear()

        alerts = window.editor.alerts_panel()
        for card in alerts.cards():
            if card.ack_check is not None:
                card.ack_check.setChecked(True)
        window.validate()
        until(lambda: window._flow.result_dialog is not None or window._flow.message is not None)
        dialog = window._flow.result_dialog
        if dialog is None:
            raise SystemExit("validation refused: " + window._flow.message.text())
        pump()
        dialog.grab().save(str(out / "04-validated.png"))
        dialog.show_preview()
        dialog.preview.resize(900, 900)
        pump(1.0)
        dialog.preview.grab().save(str(out / "05-print-preview.png"))
        dialog.preview.close()
        dialog.close()

        pharmacy = env.window_extension.open_prescrit()
        pharmacy.choose_profession("pharmacien")
        pharmacy.number_edit.setText(dialog.number_label.text())
        pharmacy.read()
        until(lambda: pharmacy.table.rowCount() > 0, what="pharmacy")
        pharmacy.dispense_button.click()  # the pharmacist dispenses everything
        until(lambda: "close" in pharmacy.message.text(), what="dispensed")
        pump()
        pharmacy.grab().save(str(out / "06-prescrit.png"))
        pharmacy.close()

        window.history.refresh()
        until(lambda: window.history.table.rowCount() and window.history.table.item(0, 2).text().startswith("délivrée"),
              what="history")
        window.history.table.selectRow(0)
        window.history.consult_follow_up()
        until(lambda: "✓" in window.history.detail.text(), what="follow-up")
        pump()
        window.grab().save(str(out / "07-history.png"))

        env.pull_card()
        until(window.is_locked, timeout=3)
        pump()
        window.grab().save(str(out / "08-locked.png"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(output_folder(sys.argv)))
