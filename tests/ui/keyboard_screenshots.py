"""Screens of the keyboard consultation at a laptop's and a desktop's size, into docs/screenshots/.

    .venv/bin/python tests/ui/keyboard_screenshots.py [OUT_DIR]

For each of 1366 × 768 and 1920 × 1080 (the window: the screen less a 40-pixel taskbar and a
30-pixel title bar): the drug results of « doliprane 1000 » with two lines written (the alerts
panel folded: no alert), the line being written, the print preview, the results of a search of
long combination names (« amoxicilline acide clavulanique »), and the alerts panel open on a
contre-indication. Offscreen, in a temporary data directory.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo_screens import REPO, demo_window, output_folder, pump

SIZES = ((1366, 768), (1920, 1080))
TASKBAR, TITLE_BAR = 40, 30


def main(out: Path) -> int:
    from lap_app.ui.printing_ui import make_preview

    with demo_window(out, size=None, screen=(1920, 1080)) as (_env, window):
        editor = window.editor
        window.patient_panel.select(window.context.services.patients.search("BERNARD")[0])
        for query in ("spasfon", "amoxicilline 1 g"):
            editor.search.edit.setText(query)
            pump(0.1)
            editor.search._choose_current()
            editor.line_editor.duration_spin.setValue(7)
            editor.line_editor.commit()
        pdf = None
        for width, height in SIZES:
            window.resize(width, height - TASKBAR - TITLE_BAR)
            editor.search.edit.setText("doliprane 1000")
            editor.search.edit.setFocus()
            pump(0.5)
            window.grab().save(str(out / f"keys-{width}x{height}-1-results.png"))
            editor.search._choose_current()
            pump(0.4)
            window.grab().save(str(out / f"keys-{width}x{height}-2-line.png"))
            editor.line_editor.cancel()
            if pdf is None:
                prescribing = window.context.services.prescribing
                pdf = prescribing.preview_pdf(editor.draft_lines()) if hasattr(prescribing, "preview_pdf") else None
            if pdf is None:
                from lap_app.fhir import from_bundle
                from lap_app.render import render_ordonnance_pdf

                bundle = REPO / "tests" / "fixtures" / "ordonnance-bundle.json"
                pdf = render_ordonnance_pdf(from_bundle(json.loads(bundle.read_text(encoding="utf-8"))), "A5")
            preview = make_preview(window, window.context, pdf, "ordonnance")
            preview.resize(min(900, width - 20), height - TASKBAR - TITLE_BAR - 20)
            preview.show()
            pump(0.6)
            preview.grab().save(str(out / f"keys-{width}x{height}-3-preview.png"))
            preview.close()
            editor.search.edit.setText("amoxicilline acide clavulanique")
            editor.search.edit.setFocus()
            pump(0.5)
            window.grab().save(str(out / f"keys-{width}x{height}-4-long-names.png"))
        for query in ("simvastatine 20", "clarithromycine 500"):  # a contre-indication: the panel opens
            editor.search.edit.setText(query)
            pump(0.1)
            editor.search._choose_current()
            editor.line_editor.duration_spin.setValue(7)
            editor.line_editor.commit()
        for width, height in SIZES:
            window.resize(width, height - TASKBAR - TITLE_BAR)
            pump(0.5)
            window.grab().save(str(out / f"keys-{width}x{height}-5-alert.png"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(output_folder(sys.argv)))
