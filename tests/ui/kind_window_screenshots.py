"""The whole main window with the kinds of ordonnance, as PNG in docs/screenshots/window-*.png
(offscreen Qt, demo environment in a temporary folder; nothing of the user's is touched).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/ui/kind_window_screenshots.py [OUT_DIR]

Screens: medicines with LPP devices on the same ordonnance (patient in ALD), biology with a
ready-made template, nursing, the patient's history of every kind, a consultation the base
stopped midway (its result dialog), then completed by « Réessayer ».
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo_screens import demo_window, output_folder, pump, until
from wrong_signature import WrongSecondSignature


def main(out: Path) -> int:
    from lap_app.domain.kinds import OrdonnanceKind
    from lap_app.services.drafting import line_for_drug

    with demo_window(out) as (_env, window):
        context = window.context
        record = context.services.patients.search("DURAND")[0]
        window.patient_panel.select(record)
        line = line_for_drug(context.drugs.search("metformine 1000", limit=1)[0])
        line.posology.duration, line.posology.duration_unit = 3, "mo"
        window.editor.load_lines([line])
        care = window.care_editor
        care.choose_kind(OrdonnanceKind.DISPOSITIFS)
        care.with_medicines_check.setChecked(True)
        care.search_edit.setText("bandelettes")
        pump(0.5)
        care.add_current()
        window._show_kind(OrdonnanceKind.DISPOSITIFS)
        care.search_edit.setText("lecteur de glycémie")
        pump(0.5)
        window.grab().save(str(out / "window-devices-with-medicines.png"))
        care.search_edit.clear()
        care.with_medicines_check.setChecked(False)

        care.choose_kind(OrdonnanceKind.BIOLOGIE)
        care._fill_templates()
        next(a for a in care.templates_menu.actions() if a.text() == "Bilan diabète annuel").trigger()
        pump()
        window.grab().save(str(out / "window-biology.png"))

        care.choose_kind(OrdonnanceKind.SOINS_INFIRMIERS)
        care.act_combo.setCurrentText("Pansement simple d'une plaie")
        care.times_spin.setValue(2)
        care.nursing_duration.setValue(15)
        care.nursing_home.setChecked(True)
        care.sundays_check.setChecked(True)
        care.add_current()
        pump()
        window.grab().save(str(out / "window-nursing.png"))

        real_card = context.session.card
        context.session.card = WrongSecondSignature(real_card)
        window.validate()
        flow = window._flow
        until(lambda: flow.result_dialog is not None or flow.message is not None, timeout=60, what="validation")
        if flow.result_dialog is None:
            raise SystemExit("validation refused: " + flow.message.text())
        first = flow.result_dialog
        pump()
        first.grab().save(str(out / "window-consultation-incomplete.png"))
        window.grab().save(str(out / "window-after-incomplete.png"))
        context.session.card = real_card
        first.retry_button.click()
        until(lambda: flow.result_dialog is not first, timeout=60, what="retry")
        pump()
        flow.result_dialog.grab().save(str(out / "window-consultation-completed.png"))
        flow.result_dialog.close()

        window.history.refresh()
        until(lambda: window.history.table.rowCount() >= 7, what="history")
        pump(0.5)
        window.grab().save(str(out / "window-history-every-kind.png"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(output_folder(sys.argv)))
